import { sql } from "drizzle-orm";
import type { Database } from "../db";
import { executePrepared } from "../db/prepared";

/**
 * This process's view of the database clock, as bounds on the offset local − database time.
 *
 * Waiting "start − now" as the database computed it would make each send late by however long its
 * answer took to arrive, and that delay varies (queued queries, a busy event loop). Instead each
 * answer bounds the offset: the database read its clock after the statement was sent and before the
 * answer arrived, so sent − databaseNow ≤ offset ≤ arrived − databaseNow (NTP's reasoning). The
 * tightest bounds of recent samples are kept.
 *
 * A send waits until the upper bound says its start has surely come, and measures its lateness
 * against the lower bound: with only a loose early sample (one slow round trip on a loaded machine)
 * a send could otherwise go out tens of milliseconds after its slot while believing it was on time,
 * and two processes' sends then crowd one second past the limit.
 */
export interface LocalClock {
  /** This process's time in ms. */
  now(): number;
  /** How much later than what now() says the moment may really have been (Date.now() floors to the ms: 1). */
  resolutionMs: number;
}

export const millisecondClock: LocalClock = { now: () => Date.now(), resolutionMs: 1 };

/**
 * Sub-millisecond local time: the wall clock at process start plus the monotonic clock since. With
 * Date.now() every bound carries a millisecond for its flooring, so a send to an idle site (start =
 * now) waited a timer's millisecond or more for a start that had already come. The bounds only need
 * one consistent local clock; a jump of this one against the database's (the machine slept) shows
 * as contradicting samples, which start the bounds over (see sample).
 */
export const preciseClock: LocalClock = { now: () => performance.timeOrigin + performance.now(), resolutionMs: 0.01 };

export function databaseClock(windowMs = 60_000, local: LocalClock = millisecondClock) {
  let current = { low: -Infinity, high: Infinity, since: -Infinity };
  let previous = { low: -Infinity, high: Infinity };

  function bounds(): { low: number; high: number } {
    const low = Math.max(current.low, previous.low);
    const high = Math.min(current.high, previous.high);
    // Bounds from the previous window that contradict the current one mean the clock moved: drop them.
    if (low <= high) return { low, high };
    return { low: current.low, high: current.high };
  }

  return {
    /** This process's time, as the bounds and the arguments below count it. */
    now: local.now,
    /**
     * Records an answer: `databaseNow` as read by the statement, `sentAt` taken before the statement
     * was issued and `arrivedAt` once its answer was here (both on `now()`'s clock).
     */
    sample(databaseNow: number, sentAt: number, arrivedAt = local.now()) {
      // Samples age out so a drifting clock is followed; the previous window's bounds still count.
      if (arrivedAt - current.since > windowMs) {
        previous = current;
        current = { low: -Infinity, high: Infinity, since: arrivedAt };
      }
      const low = sentAt - databaseNow;
      const high = arrivedAt + local.resolutionMs - databaseNow;
      current.low = Math.max(current.low, low);
      current.high = Math.min(current.high, high);
      // An answer that contradicts this window's bounds means a clock moved: start over from it.
      if (current.low > current.high) {
        previous = { low: -Infinity, high: Infinity };
        current = { low, high, since: arrivedAt };
      }
    },
    /** The earliest local time at which the database's clock has surely reached `databaseTime`. */
    toLocal(databaseTime: number): number {
      const { high } = bounds();
      return databaseTime + (Number.isFinite(high) ? high : 0);
    },
    /** The latest the database's clock can read now: what a send's lateness is measured against. */
    latestDatabaseNow(localNow = local.now()): number {
      const { low } = bounds();
      // Never sampled: nothing bounds it, and every send counts as late until a sample arrives.
      return Number.isFinite(low) ? localNow - low : Infinity;
    },
    /** How wide the offset is known to be, in ms (Infinity before any sample). */
    uncertaintyMs(): number {
      const { low, high } = bounds();
      return high - low;
    },
  };
}

export type DatabaseClock = ReturnType<typeof databaseClock>;

/**
 * Takes a few plain round trips so the bounds are tight before the first send; the fastest of them
 * decides, so one answer delayed by a busy machine does no harm.
 */
export async function calibrateDatabaseClock(db: Database, clock: DatabaseClock, samples = 5): Promise<void> {
  for (let i = 0; i < samples; i++) {
    const sentAt = clock.now();
    const [row] = await executePrepared<{ now_ms: number }>(db, sql`select extract(epoch from clock_timestamp())::float8 * 1000 as now_ms`);
    clock.sample(row!.now_ms, sentAt);
  }
}
