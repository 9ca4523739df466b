import { randomUUID } from "node:crypto";
import type { Database } from "@/lib/db/client";
import { claimMessage, releaseClaim } from "@/lib/delivery/claim-messages";
import { recordOutcome } from "@/lib/delivery/record-outcome";

/** Records `failures` failed attempts (500) through the state machine, then a success if `succeed`; no HTTP. */
export async function recordAttempts(db: Database, messageId: string, failures: number, succeed = false) {
  for (let n = 0; n < failures + (succeed ? 1 : 0); n++) {
    const claimed = await claimMessage(db, messageId, randomUUID(), 10_000);
    if (!claimed) throw new Error(`message ${messageId} could not be claimed`);
    const ok = succeed && n === failures;
    await recordOutcome(
      db,
      claimed,
      { succeeded: ok, responseCode: ok ? 200 : 500, error: ok ? null : "the receiver answered 500", durationMs: 3, startedAt: new Date() },
      // As the site's policy decides: no further attempt after its last.
      { retryInMs: claimed.attempt.attemptNo < claimed.site.retryPolicy.attempts ? 0 : null },
    );
  }
}

/** Fails every attempt the message's site allows (5 under the default policy). */
export async function failAllAttempts(db: Database, messageId: string) {
  const claimed = await claimMessage(db, messageId, randomUUID(), 1);
  if (!claimed) throw new Error(`message ${messageId} could not be claimed`);
  await releaseClaim(db, claimed);
  await recordAttempts(db, messageId, claimed.site.retryPolicy.attempts - claimed.attempt.attemptNo + 1);
}
export const deliver = (db: Database, messageId: string) => recordAttempts(db, messageId, 0, true);
