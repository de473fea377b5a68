/**
 * Trend statistics over a measured series (post-GC heap, external memory, ...): Mann–Kendall for
 * significance, Theil–Sen for size, a robust noise estimate. Pure, no imports: the runner's
 * verdict uses them, and nothing here knows about runs or processes.
 */

export interface TrendPoint {
  /** Position along the run: milliseconds, or requests served so far. */
  x: number;
  /** The measured value (bytes). */
  y: number;
}

export interface TrendOptions {
  /** One-sided significance level of the Mann–Kendall test. */
  alpha?: number;
  /** Growth over the series (by the Theil–Sen line) below which a rise is not called a leak. */
  minGrowth?: number;
  /** The growth must also exceed this many times the residual noise (robust sigma). */
  noiseFactor?: number;
}

export interface TrendResult {
  points: number;
  /** Theil–Sen slope: median of pairwise slopes, per unit of x. */
  slope: number;
  /** slope × (last x − first x): how much the series grew, ignoring outliers. */
  growth: number;
  first: number;
  last: number;
  /** Mann–Kendall S statistic (concordant minus discordant pairs). */
  mannKendallS: number;
  /** Normal-approximation z of S, with tie and continuity corrections. */
  z: number;
  /** One-sided p-value for "the series increases". 1 when it cannot be computed. */
  pValue: number;
  /** Robust sigma of the residuals around the Theil–Sen line (1.4826 × MAD). */
  noise: number;
  /** Significant increase, larger than minGrowth and than noiseFactor × noise. */
  increasing: boolean;
}

/** At most this many points enter the O(n²) statistics; longer series are thinned evenly. */
const maxTrendPoints = 600;

/**
 * Robust trend test: Mann–Kendall (rank-based, so a single GC outlier cannot fake a trend) for
 * significance and Theil–Sen (median of slopes, breakdown point 29 %) for size. A leak must be
 * both significant and big enough to matter; a bounded cache that filled during warm-up gives a
 * flat series and fails the test.
 */
export function trendTest(input: readonly TrendPoint[], options: TrendOptions = {}): TrendResult {
  const alpha = options.alpha ?? 0.05;
  const minGrowth = options.minGrowth ?? 0;
  const noiseFactor = options.noiseFactor ?? 3;
  const points = thin(input, maxTrendPoints);
  const n = points.length;
  const first = n > 0 ? points[0]!.y : 0;
  const last = n > 0 ? points[n - 1]!.y : 0;
  if (n < 3) {
    return { points: n, slope: 0, growth: last - first, first, last, mannKendallS: 0, z: 0, pValue: 1, noise: 0, increasing: false };
  }
  const slope = theilSenSlope(points);
  const span = points[n - 1]!.x - points[0]!.x;
  const growth = slope * span;
  const { s, z, pValue } = mannKendall(points.map((p) => p.y));
  const intercept = median(points.map((p) => p.y - slope * p.x));
  const noise = 1.4826 * median(points.map((p) => Math.abs(p.y - (intercept + slope * p.x))));
  const increasing = pValue < alpha && growth > minGrowth && growth > noiseFactor * noise;
  return { points: n, slope, growth, first, last, mannKendallS: s, z, pValue, noise, increasing };
}

export function theilSenSlope(points: readonly TrendPoint[]): number {
  const n = points.length;
  const slopes = new Float64Array((n * (n - 1)) / 2);
  let count = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = points[j]!.x - points[i]!.x;
      if (dx !== 0) slopes[count++] = (points[j]!.y - points[i]!.y) / dx;
    }
  }
  return count === 0 ? 0 : median(slopes.subarray(0, count));
}

/** Mann–Kendall S with the tie-corrected variance (Kendall 1975) and a continuity correction. */
export function mannKendall(values: readonly number[]): { s: number; z: number; pValue: number } {
  const n = values.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) s += Math.sign(values[j]! - values[i]!);
  }
  const tieCounts = new Map<number, number>();
  for (const v of values) tieCounts.set(v, (tieCounts.get(v) ?? 0) + 1);
  let tieTerm = 0;
  for (const t of tieCounts.values()) if (t > 1) tieTerm += t * (t - 1) * (2 * t + 5);
  const variance = (n * (n - 1) * (2 * n + 5) - tieTerm) / 18;
  if (variance <= 0) return { s, z: 0, pValue: 1 };
  const z = s > 0 ? (s - 1) / Math.sqrt(variance) : s < 0 ? (s + 1) / Math.sqrt(variance) : 0;
  return { s, z, pValue: 1 - normalCdf(z) };
}

export function median(values: ArrayLike<number>): number {
  if (values.length === 0) return 0;
  // A typed array sorts numerically without a comparator call per comparison: the trend rule runs
  // this on 435 slopes after every full GC, and the comparator sort was most of its time.
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Standard normal CDF via the Abramowitz–Stegun 7.1.26 erf approximation (|error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

function thin(points: readonly TrendPoint[], max: number): readonly TrendPoint[] {
  if (points.length <= max) return points;
  const out: TrendPoint[] = [];
  const step = (points.length - 1) / (max - 1);
  for (let k = 0; k < max; k++) out.push(points[Math.round(k * step)]!);
  return out;
}
