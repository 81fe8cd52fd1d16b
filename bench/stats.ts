/** Summaries of repeated measurements: median with its range, and number formats for the tables. */

export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** Median (mean of the middle two for an even count), min and max; NaN for none. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** A number with `digits` significant decimals for small values and none for large ones. */
export function num(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return "–";
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString("en-US").replace(/,/g, " ");
  if (Math.abs(value) >= 10) return value.toFixed(Math.min(digits, 1));
  return value.toFixed(digits);
}

/** "median (min–max)", or just the median for a single value. */
export function withRange(s: Spread, digits = 2): string {
  if (s.min === s.max) return num(s.median, digits);
  return `${num(s.median, digits)} (${num(s.min, digits)}–${num(s.max, digits)})`;
}

/** A ratio as a percentage change, signed: +3.1 %. */
export function percentChange(value: number, reference: number): string {
  const change = ((value - reference) / reference) * 100;
  return `${change >= 0 ? "+" : "−"}${Math.abs(change).toFixed(1)} %`;
}

/**
 * The `p`th percentile, in ms, of every call in `histograms` together (0.01 ms
 * buckets, see LoadReport.histogram; the bucket's upper edge is returned).
 */
export function pooledPercentile(histograms: readonly (readonly [number, number])[][], p: number): number {
  const counts = new Map<number, number>();
  for (const histogram of histograms) for (const [bucket, count] of histogram) counts.set(bucket, (counts.get(bucket) ?? 0) + count);
  const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
  if (total === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * total);
  let seen = 0;
  for (const bucket of [...counts.keys()].sort((a, b) => a - b)) {
    seen += counts.get(bucket)!;
    if (seen >= rank) return (bucket + 1) / 100;
  }
  return Number.NaN;
}
