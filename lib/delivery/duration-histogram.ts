/**
 * The duration summary kept per rollup row (`attempt_minutes.durations`): counts of attempts per
 * fixed, log-spaced range of whole milliseconds, so percentiles of any set of rows can be read by
 * adding their arrays. Bucket 0 is [0, 1 ms); bucket i ≥ 1 is [DURATION_BOUNDS[i-1], DURATION_BOUNDS[i]),
 * the last one open-ended. Bounds grow by a factor 2^¼ (≈ 19 %), rounded up to whole milliseconds
 * and de-duplicated: durations up to 8 ms are counted exactly, then buckets are at most 25 % wide
 * (2 ms at 8–10 ms), ≤ 21 % from 64 ms and ≈ 19 % from 256 ms on.
 *
 * The database places a duration with `attempt_duration_bucket` (the migration's copy of these
 * bounds; tests/integration/delivery/attempt-minutes.test.ts checks both agree). Client-safe.
 */
export const DURATION_BOUNDS: readonly number[] = (() => {
  const bounds: number[] = [];
  for (let k = 0; ; k++) {
    const bound = Math.ceil(2 ** (k / 4));
    if (bound > 120_000) return bounds;
    if (!bounds.includes(bound)) bounds.push(bound);
  }
})();

/** Length of a durations array. */
export const DURATION_BUCKETS = DURATION_BOUNDS.length + 1;

/** The bucket a duration falls in (what `attempt_duration_bucket` returns, 0-based). */
export function durationBucket(ms: number): number {
  let i = 0;
  while (i < DURATION_BOUNDS.length && ms >= DURATION_BOUNDS[i]!) i++;
  return i;
}

/** [lower, upper) of bucket i; the last bucket's upper bound is Infinity. */
export function bucketRange(i: number): [number, number] {
  return [i === 0 ? 0 : DURATION_BOUNDS[i - 1]!, DURATION_BOUNDS[i] ?? Infinity];
}

/** Adds durations arrays element-wise (arrays of another length are a programming error). */
export function addDurations(into: number[], add: readonly number[]): number[] {
  for (let i = 0; i < DURATION_BUCKETS; i++) into[i] = (into[i] ?? 0) + (add[i] ?? 0);
  return into;
}

export function emptyDurations(): number[] {
  return new Array<number>(DURATION_BUCKETS).fill(0);
}

/**
 * The q-quantile (0 < q < 1) of the counted durations, interpolated linearly inside the bucket
 * that holds it, so it is off by less than that bucket's width; null when nothing was counted.
 * In the open-ended last bucket it answers that bucket's lower bound.
 */
export function durationQuantile(durations: readonly number[], q: number): number | null {
  const total = durations.reduce((n, c) => n + c, 0);
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < durations.length; i++) {
    const count = durations[i]!;
    if (count > 0 && below + count >= rank) {
      const [lower, upper] = bucketRange(i);
      if (!Number.isFinite(upper)) return lower;
      return lower + ((rank - below) / count) * (upper - lower);
    }
    below += count;
  }
  return bucketRange(durations.length - 1)[0];
}
