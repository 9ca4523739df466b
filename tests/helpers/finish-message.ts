import { randomUUID } from "node:crypto";
import type { Database } from "@/lib/db/client";
import { claimMessage } from "@/lib/delivery/claim-messages";
import { MAX_ATTEMPTS } from "@/lib/delivery/delivery-rules";
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
      { retryInMs: 0 },
    );
  }
}

export const failAllAttempts = (db: Database, messageId: string) => recordAttempts(db, messageId, MAX_ATTEMPTS);
export const deliver = (db: Database, messageId: string) => recordAttempts(db, messageId, 0, true);
