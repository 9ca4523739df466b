/**
 * This process's view of the database clock. Waiting "start − now" as the database computed it
 * would make each send late by however long its answer took to arrive, and that delay varies
 * (queued queries, a busy event loop): sends reserved 1/rps apart would then reach the receiver
 * closer together. Instead each answer is a sample of local − database time; the smallest recent
 * sample is the offset (clock skew plus the fastest round trip), as NTP filters its samples.
 */
export function databaseClock(windowMs = 60_000) {
  let best = Infinity;
  let bestAt = 0;
  let previous = Infinity;
  return {
    /** Records an answer: `databaseNow` as read by the statement, on arrival here. */
    sample(databaseNow: number, localNow = Date.now()) {
      const offset = localNow - databaseNow;
      // Samples age out so a drifting clock is followed; the previous window's best stays a bound.
      if (localNow - bestAt > windowMs) {
        previous = best;
        best = Infinity;
        bestAt = localNow;
      }
      best = Math.min(best, offset);
    },
    /** A database time on this process's clock. */
    toLocal(databaseTime: number): number {
      const offset = Math.min(best, previous);
      return databaseTime + (Number.isFinite(offset) ? offset : 0);
    },
  };
}

export type DatabaseClock = ReturnType<typeof databaseClock>;
