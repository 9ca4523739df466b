import { describe, expect, it } from "vitest";
import { DURATION_BOUNDS, DURATION_BUCKETS, bucketRange, durationBucket, durationQuantile, emptyDurations } from "@/lib/delivery/duration-histogram";

const histogramOf = (durations: number[]) => {
  const h = emptyDurations();
  for (const d of durations) h[durationBucket(d)]!++;
  return h;
};

describe("duration histogram", () => {
  it("has whole-millisecond bounds, exact up to 8 ms, then at most 25 % apart and 21 % from 64 ms, open above 110 s", () => {
    expect(DURATION_BUCKETS).toBe(64);
    expect(DURATION_BOUNDS.slice(0, 8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (let i = 8; i < DURATION_BOUNDS.length; i++) {
      const ratio = DURATION_BOUNDS[i]! / DURATION_BOUNDS[i - 1]!;
      expect(ratio).toBeLessThanOrEqual(DURATION_BOUNDS[i - 1]! >= 64 ? 1.21 : 1.25);
    }
    expect(durationBucket(0)).toBe(0);
    expect(durationBucket(1)).toBe(1);
    expect(durationBucket(600_000)).toBe(DURATION_BUCKETS - 1);
    expect(bucketRange(DURATION_BUCKETS - 1)[1]).toBe(Infinity);
  });

  it("answers no quantile without durations, and each quantile inside the bucket of the exact one", () => {
    expect(durationQuantile(emptyDurations(), 0.5)).toBeNull();
    const durations = Array.from({ length: 1000 }, (_, i) => Math.round(5 + i ** 1.5 / 10));
    const h = histogramOf(durations);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = [...durations].sort((a, b) => a - b)[Math.ceil(q * durations.length) - 1]!;
      const [lower, upper] = bucketRange(durationBucket(exact));
      const estimate = durationQuantile(h, q)!;
      expect(estimate).toBeGreaterThanOrEqual(lower);
      expect(estimate).toBeLessThanOrEqual(upper);
    }
    // Everything in the open-ended bucket: its lower bound, not a made-up upper one.
    expect(durationQuantile(histogramOf([200_000, 300_000]), 0.95)).toBe(DURATION_BOUNDS.at(-1));
  });
});
