import { describe, expect, it } from "vitest";
import { attemptsNotAfter, attemptsNotBefore } from "@/lib/db/attempt-partitions";

describe("the created_at bounds of a batch's current attempts", () => {
  const early = new Date("2026-12-02T10:00:00.000Z");
  const late = new Date("2026-12-03T23:59:59.999Z");

  it("run from the oldest message's time to a millisecond past the newest one's (times come back rounded down)", () => {
    expect(attemptsNotBefore([late, early])).toBe("2026-12-02T10:00:00.000Z");
    expect(attemptsNotAfter([late, early])).toBe("2026-12-04T00:00:00.000Z");
  });

  it("are unbounded when a message's time is unknown", () => {
    expect(attemptsNotBefore([early, undefined])).toBe("-infinity");
    expect(attemptsNotAfter([early, undefined])).toBe("infinity");
  });
});
