import { z } from "zod";
import { AUTH_METHODS } from "../auth-methods/method-names";
import { DEFAULT_RETRY_POLICY, retryPolicySchema } from "../delivery/policy/retry-policy";
import { httpUrl } from "../outbound/http-url";
import { clientCertificateSchema } from "./client-certificate";
import { requestShapeFields } from "./request-shape";

/**
 * A trusted site as the form and the API send it (DESIGN §2, §8). Client-safe (zod only), so the
 * form checks these fields in the browser; `authParams` is checked by the chosen method's schema
 * on the server (site-input.ts), its issues keyed `authParams.<field>`.
 */
export const siteFieldsSchema = z.object({
  name: z
    .string({ error: "Name is required" })
    .trim()
    .min(1, "Name is required")
    .max(100, "Name must be at most 100 characters"),
  url: httpUrl("URL"),
  contentType: z
    .string()
    .trim()
    .regex(/^[\w.+-]+\/[\w.+-]+(\s*;\s*[\w.+-]+=[^;]+)*$/, "Content type must look like application/json")
    .default("application/json"),
  ...requestShapeFields,
  clientCertificate: clientCertificateSchema,
  authMethod: z.enum(AUTH_METHODS, { error: "Choose an authentication method" }),
  authParams: z.record(z.string(), z.unknown()).default({}),
  rps: z.coerce
    .number({ error: "Maximum requests per second must be a number" })
    .int("Maximum requests per second must be a whole number")
    .min(1, "Maximum requests per second must be at least 1")
    .max(10_000, "Maximum requests per second must be at most 10000")
    .default(10),
  threads: z.coerce
    .number({ error: "Number of asynchronous threads must be a number" })
    .int("Number of asynchronous threads must be a whole number")
    .min(1, "Number of asynchronous threads must be at least 1")
    .max(100, "Number of asynchronous threads must be at most 100")
    .default(1),
  timeoutMs: z.coerce
    .number({ error: "Timeout must be a number" })
    .int("Timeout must be a whole number of milliseconds")
    .min(1_000, "Timeout must be between 1000 and 60000 ms")
    .max(60_000, "Timeout must be between 1000 and 60000 ms")
    .default(10_000),
  /** Attempts, schedule, fail-fast on 4xx and automatic deactivation; omitted: the default (5 attempts, 10 s apart). */
  retryPolicy: retryPolicySchema.default(DEFAULT_RETRY_POLICY),
  /** Deliver in order per customer (DESIGN §3): a customer's later message waits for the earlier one to finish. */
  orderedPerCustomer: z.boolean({ error: "Deliver in order per customer must be true or false" }).default(false),
});

export type SiteFields = z.input<typeof siteFieldsSchema>;
