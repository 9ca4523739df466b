import { describe, expect, it } from "vitest";
import { timeZoneChoice } from "@/lib/time-zone/time-display";
import { cachedFormatterCount, formatDateTime, formatTimeOfDay, fromZonedInputValue, offsetMinutes, toZonedInputValue } from "@/lib/time-zone/zoned-time";

const NEW_YORK = "America/New_York";

describe("times in UTC or the browser's zone", () => {
  it("writes an instant in UTC as before, and in New York with its offset, winter and summer", () => {
    expect(formatDateTime("2026-12-02T03:08:36.500Z", "UTC")).toBe("2026-12-02 03:08:36 UTC");
    expect(formatDateTime("2026-12-02T03:08:36Z", NEW_YORK)).toBe("2026-12-01 22:08:36 -05:00");
    expect(formatDateTime("2026-07-01T12:00:00Z", NEW_YORK)).toBe("2026-07-01 08:00:00 -04:00");
    expect(formatDateTime("2026-07-01T12:00:00Z", "Asia/Kolkata", { seconds: false })).toBe("2026-07-01 17:30 +05:30");
    expect(formatTimeOfDay("2026-12-02T00:00:00Z", NEW_YORK)).toBe("19:00:00 -05:00");
    // Midnight is 00, never 24.
    expect(formatDateTime("2026-12-02T05:00:00Z", NEW_YORK)).toBe("2026-12-02 00:00:00 -05:00");
  });

  it("reads a datetime-local value on the chosen clock and shows it back the same", () => {
    expect(fromZonedInputValue("2026-12-01T22:08", NEW_YORK)).toBe("2026-12-02T03:08:00Z");
    expect(fromZonedInputValue("2026-12-01T22:08", "UTC")).toBe("2026-12-01T22:08:00Z");
    expect(toZonedInputValue("2026-12-02T03:08:00Z", NEW_YORK)).toBe("2026-12-01T22:08");
    expect(toZonedInputValue("2026-12-02T03:08:00Z", "UTC")).toBe("2026-12-02T03:08");
    // Across the spring-forward change (2026-03-08 02:00 New York): before it -05:00, after it -04:00.
    expect(fromZonedInputValue("2026-03-08T01:30", NEW_YORK)).toBe("2026-03-08T06:30:00Z");
    expect(fromZonedInputValue("2026-03-08T03:30", NEW_YORK)).toBe("2026-03-08T07:30:00Z");
    expect(offsetMinutes(new Date("2026-03-08T07:30:00Z"), NEW_YORK)).toBe(-240);
    expect(fromZonedInputValue("", NEW_YORK)).toBeUndefined();
    // Not a datetime-local value: passed on for the shared schema to name the field.
    expect(fromZonedInputValue("yesterday", NEW_YORK)).toBe("yesterday");
  });

  it("trusts the cookies only with a zone the runtime knows", () => {
    expect(timeZoneChoice(undefined, NEW_YORK)).toEqual({ display: "utc", zone: "UTC" });
    expect(timeZoneChoice("local", NEW_YORK)).toEqual({ display: "local", zone: NEW_YORK });
    expect(timeZoneChoice("local", "Mars/Olympus_Mons")).toEqual({ display: "local", zone: "UTC" });
    expect(timeZoneChoice("local", undefined)).toEqual({ display: "local", zone: "UTC" });
  });
});

describe("the zone formatter cache", () => {
  it("stays bounded however many spellings of a zone the time-zone cookie brings (Intl ignores case)", () => {
    // The j-th letter upper-case when bit j of i is set: 2,000 distinct spellings of New York.
    const spelling = (i: number) => {
      let j = 0;
      return NEW_YORK.toLowerCase().replace(/[a-z]/g, (c) => ((i >> j++) & 1 ? c.toUpperCase() : c));
    };
    const spellings = new Set(Array.from({ length: 2_000 }, (_, i) => spelling(i)));
    expect(spellings.size).toBe(2_000);
    for (const zone of spellings) expect(timeZoneChoice("local", zone).zone).toBe(zone);
    expect(cachedFormatterCount()).toBeGreaterThan(0);
    expect(cachedFormatterCount()).toBeLessThanOrEqual(64);
    // A spelling forgotten long ago still works, and so does the usual one.
    expect(formatDateTime("2026-12-02T03:08:36Z", spelling(0))).toBe("2026-12-01 22:08:36 -05:00");
    expect(formatDateTime("2026-12-02T03:08:36Z", NEW_YORK)).toBe("2026-12-01 22:08:36 -05:00");
  });
});
