import type { RunCheckpoint, RunPhase, RunReport, SeriesTrend } from './model.js';
import { trendSeries } from './trend-series.js';

/**
 * Where the post-GC heap trend leads: the limit that stops the process first and how much load
 * (requests, time) it takes to get there at the measured Theil–Sen slope. Facts only; the words
 * are verdict-words.ts describeProjection.
 */
export interface HeapProjection {
  /** 'v8-heap': V8's heap_size_limit (the process dies with "heap out of memory"); 'cgroup': the container's memory limit (the OOM killer). */
  limit: 'v8-heap' | 'cgroup';
  limitBytes: number;
  cgroupPath?: string;
  /** Memory left under that limit at the last load checkpoint: limit − heap used (V8), limit − RSS (cgroup). */
  headroomBytes: number;
  /** Heap growth per 1,000 requests (0 when the trend ran over time). */
  slopePer1000RequestsBytes: number;
  /** Heap growth per second of load (0 when unknown). */
  slopePerSecondBytes: number;
  /** Requests until the limit; null when the trend ran over time. */
  requestsToLimit: number | null;
  /** Load time until the limit, at the measured request rate (or the per-second slope). */
  msToLimit: number | null;
}

/** The fitted post-GC heap line, for drawing: the checkpoints the trend test used and its intercept. */
export interface HeapTrendLine {
  /** x of each point: requests served so far, or ms since the run started. */
  byRequests: boolean;
  points: Array<{ x: number; y: number; atMs: number; phase: string }>;
  /** Slope per unit of x (bytes per request, or per ms) and the Theil–Sen intercept. */
  slope: number;
  intercept: number;
}

/** What a heap trend is drawn from: the run's or one process's (RunReport.processes) checkpoints and trends, over the run's phases. */
export interface TrendSource {
  trends: readonly SeriesTrend[];
  checkpoints: readonly RunCheckpoint[];
  phases: readonly RunPhase[];
}

/** The points the verdict's trend test used (trend-series.ts) and its Theil–Sen line. */
export function heapTrendLine(source: TrendSource): HeapTrendLine | null {
  const trend = source.trends.find((t) => t.series === 'heapUsed');
  if (!trend || trend.points < 2) return null;
  const { series, byRequests } = trendSeries(source.checkpoints, source.phases);
  if (series.length < 2) return null;
  const slope = byRequests ? trend.growthPer1000RequestsBytes / 1000 : trend.growthPerSecondBytes / 1000;
  const points = series.map((c) => ({ x: byRequests ? c.requestsSoFar : c.atMs, y: c.heapUsedBytes, atMs: c.atMs, phase: c.phase }));
  const residuals = points.map((p) => p.y - slope * p.x).sort((a, b) => a - b);
  const mid = residuals.length >> 1;
  const intercept = residuals.length % 2 ? residuals[mid]! : (residuals[mid - 1]! + residuals[mid]!) / 2;
  return { byRequests, points, slope, intercept };
}

/** Null unless the heap trend is a leak with a positive slope and a limit is known. */
export function projectHeapToLimit(report: RunReport): HeapProjection | null {
  const trend = report.trends.find((t) => t.series === 'heapUsed');
  const limits = report.target.memoryLimits;
  if (!trend || !trend.increasing || !limits) return null;
  const perRequest = trend.growthPer1000RequestsBytes / 1000;
  const perMs = trend.growthPerSecondBytes / 1000;
  if (perRequest <= 0 && perMs <= 0) return null;
  const last = report.checkpoints.filter((c) => report.phases.some((p) => p.kind === 'load' && p.name === c.phase)).at(-1) ?? report.checkpoints.at(-1);
  if (!last) return null;
  const candidates: Array<Pick<HeapProjection, 'limit' | 'limitBytes' | 'headroomBytes' | 'cgroupPath'>> = [];
  if (limits.heapSizeLimitBytes !== null) candidates.push({ limit: 'v8-heap', limitBytes: limits.heapSizeLimitBytes, headroomBytes: limits.heapSizeLimitBytes - last.heapUsedBytes });
  // The cgroup counts the whole process: the heap's growth reaches it when RSS does.
  if (limits.cgroup) candidates.push({ limit: 'cgroup', limitBytes: limits.cgroup.maxBytes, headroomBytes: limits.cgroup.maxBytes - last.rssBytes, cgroupPath: limits.cgroup.path });
  const first = candidates.sort((a, b) => a.headroomBytes - b.headroomBytes)[0];
  if (!first) return null;
  const headroomBytes = Math.max(0, first.headroomBytes);
  const load = report.phases.filter((p) => p.kind === 'load' && p.http);
  const requests = load.reduce((sum, p) => sum + p.http!.requests, 0);
  const loadMs = load.reduce((sum, p) => sum + p.http!.durationMs, 0);
  const requestsToLimit = perRequest > 0 ? headroomBytes / perRequest : null;
  const msPerRequest = requests > 0 && loadMs > 0 ? loadMs / requests : null;
  const msToLimit = requestsToLimit !== null ? (msPerRequest === null ? null : requestsToLimit * msPerRequest) : headroomBytes / perMs;
  const slopePerSecondBytes = perMs > 0 ? trend.growthPerSecondBytes : msPerRequest === null ? 0 : (perRequest / msPerRequest) * 1000;
  return {
    ...first, headroomBytes, slopePer1000RequestsBytes: trend.growthPer1000RequestsBytes, slopePerSecondBytes,
    requestsToLimit, msToLimit,
  };
}
