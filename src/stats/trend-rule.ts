/**
 * The online leak rule over post-GC heap figures that `leakcheck/watch` fires its 'leak' event
 * with: the run verdict's trend test (trend.ts) over a sliding window of the last full GCs, instead
 * of memwatch's count of consecutive increases. Pure, like the rest of src/stats.
 */
import { theilSenSlope, trendTest, type TrendResult } from './trend.js';
import type { MemwatchRuleInput } from './memwatch-rule.js';

export interface TrendRuleOptions {
  /** Full GCs the test looks back over (default 30). Older ones leave the window. */
  windowGcs?: number;
  /** Full GCs needed before the rule may fire (default 8: Mann–Kendall needs 8 rising points to reach p < 0.001). */
  minGcs?: number;
  /** Growth over the window (Theil–Sen line) below which nothing is called a leak (default 1 MiB). */
  minGrowthBytes?: number;
  /** One-sided Mann–Kendall significance level (default 0.01: the rule runs for the life of the process, so it is tested often). */
  alpha?: number;
}

export interface TrendRuleEvent {
  /** The GC at which the rule fired. */
  timeMs: number;
  /** Full GCs in the window that made the rule fire. */
  points: number;
  /** Post-GC used heap at the first and the last GC of the window. */
  startBytes: number;
  endBytes: number;
  /** Growth over the window by the Theil–Sen line (outliers do not move it). */
  growthBytes: number;
  slopeBytesPerSecond: number;
  pValue: number;
  /** Robust sigma of the post-GC heap around the line. */
  noiseBytes: number;
  durationMs: number;
}

/** The trend over the current window, as each stats event carries it. */
export interface TrendRuleState {
  points: number;
  growthBytes: number;
  slopeBytesPerSecond: number;
  pValue: number;
  noiseBytes: number;
  increasing: boolean;
}

/**
 * Fires when the post-GC heap of the last `windowGcs` GCs rises significantly (Mann–Kendall), by
 * more than `minGrowthBytes` and 3× the noise (Theil–Sen), and is still rising in the newer half
 * of the window: a cache that filled and stopped shows a rise that is significant but over. After
 * firing the window starts empty, so the next event rests on new GCs only. Forced GCs (the
 * watcher's own snapshots) are skipped, as in the memwatch rule.
 */
export class TrendRule {
  readonly #windowGcs: number;
  readonly #minGcs: number;
  readonly #minGrowthBytes: number;
  readonly #alpha: number;
  #window: MemwatchRuleInput[] = [];
  #state: TrendRuleState = { points: 0, growthBytes: 0, slopeBytesPerSecond: 0, pValue: 1, noiseBytes: 0, increasing: false };

  constructor(options: TrendRuleOptions = {}) {
    this.#windowGcs = Math.max(3, options.windowGcs ?? 30);
    this.#minGcs = Math.min(this.#windowGcs, Math.max(3, options.minGcs ?? 8));
    this.#minGrowthBytes = options.minGrowthBytes ?? 1024 * 1024;
    this.#alpha = options.alpha ?? 0.01;
  }

  get state(): TrendRuleState {
    return this.#state;
  }

  push(sample: MemwatchRuleInput): TrendRuleEvent | undefined {
    if (sample.forced) return undefined;
    this.#window.push(sample);
    if (this.#window.length > this.#windowGcs) this.#window.shift();
    const points = this.#window.map((s) => ({ x: s.timeMs, y: s.usedHeapBytes }));
    const trend = trendTest(points, { alpha: this.#alpha, minGrowth: this.#minGrowthBytes });
    this.#state = toState(trend);
    if (points.length < this.#minGcs || !trend.increasing) return undefined;
    const recentSlope = theilSenSlope(points.slice(points.length >> 1));
    if (recentSlope <= 0.25 * trend.slope) return undefined;
    const first = this.#window[0]!;
    const event: TrendRuleEvent = {
      timeMs: sample.timeMs,
      points: trend.points,
      startBytes: first.usedHeapBytes,
      endBytes: sample.usedHeapBytes,
      growthBytes: trend.growth,
      slopeBytesPerSecond: trend.slope * 1000,
      pValue: trend.pValue,
      noiseBytes: trend.noise,
      durationMs: sample.timeMs - first.timeMs,
    };
    this.#window = [];
    return event;
  }
}

function toState(trend: TrendResult): TrendRuleState {
  return {
    points: trend.points,
    growthBytes: trend.growth,
    slopeBytesPerSecond: trend.slope * 1000,
    pValue: trend.pValue,
    noiseBytes: trend.noise,
    increasing: trend.increasing,
  };
}
