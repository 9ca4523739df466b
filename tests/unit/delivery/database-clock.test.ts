import { describe, expect, it } from "vitest";
import { databaseClock, type LocalClock } from "@/lib/delivery/database-clock";

describe("databaseClock", () => {
  it("waits by the upper bound and measures lateness by the lower one", () => {
    const clock = databaseClock();
    // Sent at local 1000, the database read 1000 (same clock), the answer arrived 40 ms later (a busy process).
    clock.sample(1000, 1000, 1040);
    expect(clock.toLocal(2000)).toBe(2041);
    // Waking at 2041 for a start at 2000 may really be 41 ms late: a send must not believe it is on time.
    expect(clock.latestDatabaseNow(2041) - 2000).toBe(41);
  });

  it("a fast round trip later tightens both bounds (regression: a loose first sample let a 5-rps site start 6 times in a second)", () => {
    const clock = databaseClock();
    clock.sample(1000, 1000, 1040);
    clock.sample(5000, 5000, 5001);
    expect(clock.uncertaintyMs()).toBe(2);
    expect(clock.toLocal(6000)).toBe(6002);
    expect(clock.latestDatabaseNow(6002) - 6000).toBe(2);
  });

  it("follows a clock offset between machines", () => {
    const clock = databaseClock();
    // The database's clock is 500 ms behind this one.
    clock.sample(500, 1000, 1002);
    expect(clock.toLocal(1500)).toBe(2003);
    expect(clock.latestDatabaseNow(2003)).toBe(1503);
  });

  it("counts every send as late before any sample", () => {
    expect(databaseClock().latestDatabaseNow(1000)).toBe(Infinity);
  });

  it("drops the previous window's bounds when they contradict the current ones (the clock was stepped)", () => {
    const clock = databaseClock(1_000);
    clock.sample(1000, 1000, 1001);
    clock.sample(2500 - 300, 2500, 2501); // the local clock jumped 300 ms ahead
    expect(clock.toLocal(3000)).toBe(3302);
  });
  it("a sub-millisecond local clock adds no millisecond to the bounds: an idle site's start needs no wait", () => {
    const local: LocalClock = { now: () => 0, resolutionMs: 0.01 };
    const clock = databaseClock(60_000, local);
    // Sent at 1000.2, the database read 1000.5 and started the send there, the answer arrived at 1000.7.
    clock.sample(1000.5, 1000.2, 1000.7);
    expect(clock.toLocal(1000.5)).toBeCloseTo(1000.71, 6);
    expect(clock.latestDatabaseNow(1000.71)).toBeCloseTo(1001.01, 6);
  });

  it("starts over from an answer that contradicts the window's bounds (a clock moved within the window)", () => {
    const clock = databaseClock();
    clock.sample(1000, 1000, 1001);
    // The local clock fell 300 ms behind (say the machine slept and the monotonic clock stood still).
    clock.sample(2000, 1700, 1702);
    expect(clock.uncertaintyMs()).toBe(3);
    expect(clock.toLocal(3000)).toBe(2703);
    expect(clock.latestDatabaseNow(2703)).toBe(3003);
  });
});
