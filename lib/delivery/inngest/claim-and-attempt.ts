import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { trustedSites, webhookMessages } from "../../db/schema";
import { attemptMessage, type DeliveryDeps } from "../attempt-message";
import { claimMessage, extendClaims, nextInLine, releaseClaim, type ClaimedMessage } from "../claim-messages";
import { DEFAULT_CLAIM_TTL_MS } from "../policy/delivery-rules";

/**
 * What one try at a message's current attempt came to, as plain JSON (a step's result is stored
 * and replayed by the driver). Times are ISO strings on the database's clock.
 */
export type TryOutcome =
  | { kind: "done"; attemptNo: number }
  | { kind: "failed"; attemptNo: number }
  /** The attempt failed and became `resent`; attempt `attemptNo + 1` is due at `nextAttemptAt`. */
  | { kind: "retry"; attemptNo: number; nextAttemptAt: string }
  /** Nothing was sent (the site's threads were busy or its starts booked): the same attempt again at `until`. */
  | { kind: "postponed"; attemptNo: number; until: string }
  /** The current attempt is scheduled later (the driver woke early or was asked twice). */
  | { kind: "not-due"; until: string }
  /** Someone else holds the message (or an earlier try that died does) until `until`. */
  | { kind: "held"; until: string }
  /** The claim passed to another holder mid-attempt; that holder records the attempt. */
  | { kind: "lost"; attemptNo: number }
  /** Nothing left to do: the message is done, failed, or gone. */
  | { kind: "finished" }
  /** The message's site is not active: nothing was sent or used up; activating the site announces it again. */
  | { kind: "paused" }
  /** The site delivers in order per customer and an earlier message of the customer is in flight: when it ends, its run announces this one. */
  | { kind: "waiting" };

const CLAIM_TTL_MS = DEFAULT_CLAIM_TTL_MS;

/**
 * Claims a message by id for this try alone and, if its current attempt is due, runs it with the
 * same core as the local worker (attemptMessage), renewing the claim while it runs. A try that finds
 * the attempt not yet due gives the claim back untouched, so two callers can never shorten the
 * interval between attempts. `maxTimeoutMs` caps the site's timeout (token requests and the send).
 */
export async function claimAndAttempt(deps: DeliveryDeps, messageId: string, options: { maxTimeoutMs?: number } = {}): Promise<TryOutcome> {
  const claimToken = randomUUID();
  const message = await claimMessage(deps.db, messageId, claimToken, CLAIM_TTL_MS);
  if (!message) return whyNotClaimed(deps, messageId);
  // A site saved before the host limit was lowered: its timeout is cut to what fits in a step.
  if (options.maxTimeoutMs !== undefined) message.site.timeoutMs = Math.min(message.site.timeoutMs, options.maxTimeoutMs);
  const dueAt = await scheduledLater(deps, message);
  if (dueAt) {
    await releaseClaim(deps.db, message);
    return { kind: "not-due", until: dueAt.toISOString() };
  }
  const renewal = setInterval(() => {
    extendClaims(deps.db, claimToken, [message.id], CLAIM_TTL_MS).catch(() => {});
  }, CLAIM_TTL_MS / 3);
  try {
    const outcome = await attemptMessage(deps, message);
    const attemptNo = message.attempt.attemptNo;
    switch (outcome.kind) {
      case "done":
      case "failed":
      case "lost":
        return { kind: outcome.kind, attemptNo };
      case "paused":
        return outcome;
      case "retry":
        return { kind: "retry", attemptNo, nextAttemptAt: outcome.nextAttemptAt.toISOString() };
      case "postponed":
        return { kind: "postponed", attemptNo, until: outcome.until.toISOString() };
    }
  } finally {
    clearInterval(renewal);
  }
}

/** When the claimed message's current attempt is due, if that is still in the future. */
async function scheduledLater(deps: DeliveryDeps, message: ClaimedMessage): Promise<Date | null> {
  const [row] = await deps.db.execute<{ due_ms: number | null }>(sql`
    select extract(epoch from next_attempt_at)::float8 * 1000 as due_ms from webhook_messages
    where id = ${message.id} and locked_by = ${message.claimToken} and next_attempt_at > clock_timestamp()`);
  return row?.due_ms == null ? null : new Date(row.due_ms);
}

async function whyNotClaimed(deps: DeliveryDeps, messageId: string): Promise<TryOutcome> {
  const [row] = await deps.db
    .select({ status: webhookMessages.status, lockedUntil: webhookMessages.lockedUntil, siteStatus: trustedSites.status })
    .from(webhookMessages)
    .innerJoin(trustedSites, eq(trustedSites.id, webhookMessages.siteId))
    .where(eq(webhookMessages.id, messageId));
  if (!row || row.status === "done" || row.status === "failed") return { kind: "finished" };
  if (row.siteStatus !== "active") return { kind: "paused" };
  const [line] = await deps.db.execute<{ next: boolean }>(sql`select ${nextInLine} as next from webhook_messages m where m.id = ${messageId}`);
  if (line && !line.next) return { kind: "waiting" };
  // Held: the claim lapses by `lockedUntil` at the latest (renewed only while its holder lives).
  return { kind: "held", until: (row.lockedUntil ?? new Date()).toISOString() };
}
