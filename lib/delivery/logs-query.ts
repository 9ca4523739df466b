import { z } from "zod";

/**
 * The Logs filters, shared by the Logs page (URL search params), its filter form, the chart and
 * `GET /api/webhooks/logs`. Client-safe: no database imports.
 */
export const ATTEMPT_STATUSES = ["queued", "resent", "failed", "done"] as const;
export type AttemptStatusName = (typeof ATTEMPT_STATUSES)[number];

const isoDateTime = (label: string) =>
  z.iso.datetime({ offset: true, error: `${label} must be an ISO 8601 date and time, e.g. 2026-11-10T14:00:00Z` });

const filterShape = {
  status: z.enum(ATTEMPT_STATUSES, { error: "Status must be queued, resent, failed or done" }).optional(),
  siteId: z.uuid({ error: "Trusted site must be a site id" }).optional(),
  customerId: z.uuid({ error: "Customer must be a customer id" }).optional(),
  action: z.string().trim().min(1).max(200, "Action is at most 200 characters").optional(),
  /** Inclusive lower bound on created_at. */
  from: isoDateTime("From").optional(),
  /** Exclusive upper bound on created_at. */
  to: isoDateTime("To").optional(),
};

const rangeInOrder = (q: { from?: string; to?: string }) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to);
const rangeIssue = { message: "From must be before To", path: ["to"] };

export const logsFilterSchema = z.object(filterShape).refine(rangeInOrder, rangeIssue);
export type LogsFilter = z.output<typeof logsFilterSchema>;

/** A cursor carries created_at in microseconds: milliseconds would skip rows created within the same millisecond. */
const cursorSchema = z
  .string()
  .regex(/^\d{1,20}\.[0-9a-f-]{1,36}$/, "Not a cursor from this API")
  .transform((c) => {
    const [micros, id] = c.split(".") as [string, string];
    return { micros, id };
  });

export const pageShape = {
  cursor: cursorSchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
};

export const logsQuerySchema = z.object({ ...filterShape, ...pageShape }).refine(rangeInOrder, rangeIssue);
export type LogsQueryInput = z.input<typeof logsQuerySchema>;

/** The body of `POST /api/webhooks/resend-failed`: the Logs filters of one site (status is implied: failed). */
export const resendFailedSchema = z
  .object({ ...filterShape, siteId: z.uuid({ error: "Choose a trusted site" }) })
  .omit({ status: true })
  .refine(rangeInOrder, rangeIssue);
export type ResendFailedFilter = z.output<typeof resendFailedSchema>;

/** The filter as URL search params (what the page links carry), dropping empty values. */
export function filterSearchParams(filter: Partial<Record<keyof typeof filterShape | "cursor", string | undefined>>) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) if (value) params.set(key, value);
  return params;
}

/** Reads one value per key from Next.js `searchParams` (a repeated key keeps its first value). */
export function firstValues(searchParams: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(searchParams)) {
    const v = Array.isArray(value) ? value[0] : value;
    if (v !== undefined && v !== "") out[key] = v;
  }
  return out;
}
