/**
 * The few statistics the benchmarks report: the median of repeated rounds (robust to a round that a
 * neighbour's burst of CPU slowed down) and latency quantiles over every sample kept.
 *
 * @example
 * median([3, 1, 2]); // 2
 * quantile(Float64Array.from([5, 1, 3]).sort(), 0.99); // 5
 */

/**
 * The `q` quantile (0 ≤ q ≤ 1) of samples already sorted ascending, by nearest rank: the sample at
 * index ⌊q·n⌋, the last one for q = 1. NaN when there is no sample.
 *
 * @example
 * quantile([1, 2, 3, 4], 0.5); // 3
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * The median of `values` (any order): the middle one, or the mean of the two middle ones. NaN when empty.
 *
 * @example
 * median([4, 1, 3, 2]); // 2.5
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
