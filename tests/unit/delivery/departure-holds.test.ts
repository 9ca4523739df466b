import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { departureHold, emissionIntervalMs, holdLocally, notBeforeLocal } from "@/lib/delivery/reserve-send";
import { maxInWindow } from "../../helpers/webhook-receiver";

/** A seeded generator, so a failure reproduces. */
function random(seed: number) {
  return () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

/**
 * A busy site's sends, one per booked start (k·I), each leaving `lateness()` ms after it was allowed
 * to. When `holding`, as the worker does: a send waits for the holds that apply to it, and a
 * departure sets its hold when it happens, so a send deciding before an earlier one has left does not
 * see that one's hold yet (events in time order).
 */
function departures(rps: number, count: number, lateness: () => number, holding: boolean): number[] {
  const siteId = randomUUID();
  const interval = emissionIntervalMs(rps);
  const same = (t: number) => t; // one process, its clock the database's
  const pending: { startAt: number; departed: number }[] = [];
  const departAllUpTo = (t: number) => {
    pending.sort((a, b) => a.departed - b.departed);
    while (pending.length && pending[0]!.departed <= t) {
      const { startAt, departed } = pending.shift()!;
      const hold = departureHold(rps, startAt, departed);
      if (holding && hold) holdLocally(siteId, hold, departed);
    }
  };
  const out: number[] = [];
  for (let k = 0; k < count; k++) {
    const startAt = 1_000_000 + k * interval;
    let allowed = startAt;
    for (let previous = -Infinity; allowed > previous; ) {
      previous = allowed;
      departAllUpTo(allowed);
      if (holding) allowed = notBeforeLocal(siteId, startAt, [], same);
    }
    const departed = allowed + lateness();
    pending.push({ startAt, departed });
    out.push(departed);
  }
  return out;
}

const rateOf = (times: number[]) => ((times.length - 1) / (Math.max(...times) - Math.min(...times))) * 1000;

describe("departure holds", () => {
  // Mostly on time, now and then 20–80 ms late (a loaded machine's starved event loop).
  const loaded = (seed: number) => {
    const next = random(seed);
    return () => (next() < 0.1 ? 20 + next() * 60 : next() * 2);
  };

  for (const rps of [5, 10, 100]) {
    // The rate: a late send's excess over the margin passes on to the sends it holds, each round
    // shedding the margin; with a tenth of the sends 20–80 ms late that costs up to 2 % at 100 rps.
    it(`keep every 1 s window of departures at ${rps} rps or fewer, at ≥ 97 % of the rate`, () => {
      for (let seed = 1; seed <= 20; seed++) {
        const held = departures(rps, rps * 20, loaded(seed), true);
        expect(maxInWindow(held)).toBeLessThanOrEqual(rps);
        expect(rateOf(held) / rps).toBeGreaterThanOrEqual(0.97);
      }
    });
  }

  it("are what keeps the windows: the same lateness without them crowds rps + 1 into a second", () => {
    const crowded = Array.from({ length: 20 }, (_, i) => maxInWindow(departures(10, 200, loaded(i + 1), false)));
    expect(Math.max(...crowded)).toBe(11);
  });

  it("bind only the sends at least rps bookings after the late one", () => {
    const rps = 5;
    const interval = emissionIntervalMs(rps);
    // 30 ms late: 20 ms more than the 1 % margin (10 ms), so the send 5 starts later must wait that much.
    const hold = departureHold(rps, 0, 30)!;
    expect(hold.until).toBeCloseTo(1032, 6);
    const siteId = randomUUID();
    holdLocally(siteId, hold, 30);
    expect(notBeforeLocal(siteId, 4 * interval, [], (t) => t)).toBe(4 * interval);
    expect(notBeforeLocal(siteId, 5 * interval, [], (t) => t)).toBeCloseTo(1032, 6);
    // Within the margin: no hold at all.
    expect(departureHold(rps, 0, 8)).toBeNull();
  });
});
