import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import type { AuthMethod } from "@/lib/auth-methods/method-names";
import { sealParams } from "@/lib/auth-methods/stored-params";
import type { Database } from "@/lib/db/client";
import { customers, trustedSites, webhookAttempts, webhookMessages } from "@/lib/db/schema";
import { retryPolicySchema, type RetryPolicyInput } from "@/lib/delivery/policy/retry-policy";
import type { SecretBox } from "@/lib/secrets";

export async function insertCustomer(db: Database): Promise<string> {
  const [row] = await db
    .insert(customers)
    .values({ name: "Ada Lovelace", email: `ada-${randomUUID()}@example.com` })
    .returning({ id: customers.id });
  return row!.id;
}

export interface SiteOptions {
  url: string;
  status?: "draft" | "active" | "inactive";
  rps?: number;
  threads?: number;
  timeoutMs?: number;
  contentType?: string;
  authMethod?: AuthMethod;
  authParams?: Record<string, unknown>;
  box?: SecretBox;
  /** Checked by the schema the form and the API use; omitted: the default policy. */
  retryPolicy?: RetryPolicyInput;
  orderedPerCustomer?: boolean;
}

/** An active site (unless told otherwise) with generous pacing, secrets sealed as the app stores them. */
export async function insertSite(db: Database, options: SiteOptions): Promise<string> {
  const authMethod = options.authMethod ?? "none";
  const params = options.authParams ?? {};
  const [row] = await db
    .insert(trustedSites)
    .values({
      name: `site ${randomUUID()}`,
      url: options.url,
      status: options.status ?? "active",
      rps: options.rps ?? 1000,
      threads: options.threads ?? 50,
      timeoutMs: options.timeoutMs ?? 5_000,
      contentType: options.contentType ?? "application/json",
      authMethod,
      authParams: options.box ? sealParams(authMethod, params, options.box) : params,
      ...(options.retryPolicy ? { retryPolicy: retryPolicySchema.parse(options.retryPolicy) } : {}),
      orderedPerCustomer: options.orderedPerCustomer ?? false,
    })
    .returning({ id: trustedSites.id });
  return row!.id;
}

export async function messageRow(db: Database, id: string) {
  const [row] = await db.select().from(webhookMessages).where(eq(webhookMessages.id, id));
  return row!;
}

export async function attemptRows(db: Database, messageId: string) {
  return db.select().from(webhookAttempts).where(eq(webhookAttempts.messageId, messageId)).orderBy(webhookAttempts.attemptNo);
}

/** Polls `check` until it returns a truthy value, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T> | T, timeoutMs = 10_000, what = "condition"): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Resolves once the message is done or failed. */
export function waitUntilFinished(db: Database, id: string, timeoutMs = 10_000) {
  return waitFor(
    async () => {
      const row = await messageRow(db, id);
      return row.status === "done" || row.status === "failed" ? row : null;
    },
    timeoutMs,
    `message ${id} to finish`,
  );
}
