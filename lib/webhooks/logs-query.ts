import { z } from "zod";
import { LATEST_DATE_MS, pageCursorSchema, pageLimitSchema } from "../page-cursor";
import { storable } from "../validation";

/**
 * The Logs filters, shared by the Logs page (URL search params), its filter form, the chart and
 * `GET /api/webhooks/logs`. Client-safe: no database imports.
 */
export const ATTEMPT_STATUSES = ["queued", "resent", "failed", "done"] as const;
export type AttemptStatusName = (typeof ATTEMPT_STATUSES)[number];

/** Dates both PostgreSQL and JS Date handle, and no attempt is older than the epoch. */
const EARLIEST = Date.UTC(1970, 0, 1);

const isoDateTime = (label: string) =>
  z.iso
    .datetime({ offset: true, error: `${label} must be an ISO 8601 date and time, e.g. 2026-11-10T14:00:00Z` })
    .refine((text) => !(Date.parse(text) < EARLIEST || Date.parse(text) >= LATEST_DATE_MS), `${label} must be between 1970 and 9999`);

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

export const logsFilterSchema = storable(z.object(filterShape).refine(rangeInOrder, rangeIssue));
export type LogsFilter = z.output<typeof logsFilterSchema>;

const MAX_BIGINT = 2n ** 63n - 1n;

/** Attempt ids are bigserial. */
const attemptId = z.string().refine((id) => /^\d{1,19}$/.test(id) && BigInt(id) >= 1n && BigInt(id) <= MAX_BIGINT);

const limit = pageLimitSchema;

export const logsQuerySchema = storable(
  z.object({ ...filterShape, cursor: pageCursorSchema(attemptId).optional(), limit }).refine(rangeInOrder, rangeIssue),
);

/** The Queue's `?cursor&limit`: messages have uuid ids. */
export const queueQuerySchema = storable(z.object({ cursor: pageCursorSchema(z.uuid()).optional(), limit }));

/** The body of `POST /api/webhooks/resend-failed`: the Logs filters of one site (status is implied: failed). */
export const resendFailedSchema = storable(
  z
    .object({ ...filterShape, siteId: z.uuid({ error: "Choose a trusted site" }) })
    .omit({ status: true })
    .refine(rangeInOrder, rangeIssue),
);
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
