/**
 * Delivery-latency histogram: log-spaced buckets (each 2 % wider than the last) from 1 µs to about
 * 100 s in a fixed Uint32Array, so recording is O(1) without allocation, workers ship plain arrays
 * over IPC and the coordinator merges by addition. Percentiles are exact to the bucket (±1 %).
 */

const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
export const BUCKET_COUNT = 932; // GROWTH ** 931 ≈ 1e8 µs
const MIN_US = 1;

export class LatencyHistogram {
  readonly counts: Uint32Array;
  total = 0;

  constructor(counts?: ArrayLike<number>) {
    this.counts = new Uint32Array(BUCKET_COUNT);
    if (counts !== undefined) this.add(counts);
  }

  /** Records one latency in milliseconds (negative clock skew between processes counts as 0). */
  record(ms: number): void {
    const us = ms * 1000;
    const bucket = us <= MIN_US ? 0 : Math.min(BUCKET_COUNT - 1, Math.ceil(Math.log(us / MIN_US) / LOG_GROWTH));
    this.counts[bucket]++;
    this.total++;
  }

  add(counts: ArrayLike<number>): void {
    for (let bucket = 0; bucket < BUCKET_COUNT; bucket++) {
      const count = counts[bucket] ?? 0;
      this.counts[bucket] += count;
      this.total += count;
    }
  }

  /** The latency (ms) at quantile q in [0, 1], or NaN with no samples. */
  quantileMs(q: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let bucket = 0; bucket < BUCKET_COUNT; bucket++) {
      seen += this.counts[bucket];
      if (seen >= rank) return (MIN_US * GROWTH ** bucket) / 1000;
    }
    return (MIN_US * GROWTH ** (BUCKET_COUNT - 1)) / 1000;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
  }

  /** Sparse copy for IPC: [bucket, count, bucket, count, …]. */
  toSparse(): number[] {
    const out: number[] = [];
    for (let bucket = 0; bucket < BUCKET_COUNT; bucket++) if (this.counts[bucket] !== 0) out.push(bucket, this.counts[bucket]);
    return out;
  }

  addSparse(sparse: readonly number[]): void {
    for (let k = 0; k + 1 < sparse.length; k += 2) {
      this.counts[sparse[k]] += sparse[k + 1];
      this.total += sparse[k + 1];
    }
  }
}
