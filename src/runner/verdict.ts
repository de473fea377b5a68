import { trendTest, type TrendPoint } from '../stats/index.js';
import {
  outcomeOf, trendSeries,
  type ExitFacts, type MemwatchRuleFiring, type RunCheckpoint, type RunPhase, type RunVerdict, type SeriesTrend, type SnapshotFinding,
  type TrendJudgement, type VerdictReason,
} from '../report/index.js';

export interface TrendSettings {
  /** Growth over the load phases below which no trend is called a leak. */
  minGrowthBytes: number;
  /** One-sided Mann–Kendall significance level. */
  alpha?: number;
}

const seriesKeys = {
  heapUsed: 'heapUsedBytes',
  external: 'externalBytes',
  arrayBuffers: 'arrayBuffersBytes',
  rss: 'rssBytes',
} as const;

/**
 * Trend of each series over the checkpoints (post forced full GC) from the last boundary before
 * the first load phase to the end of the last load phase. x is requests served when every load
 * phase counted requests (so the slope reads "bytes per 1000 requests"), else time.
 */
export function computeTrends(checkpoints: readonly RunCheckpoint[], phases: readonly RunPhase[], settings: TrendSettings): SeriesTrend[] {
  const loadPhases = phases.filter((p) => p.kind === 'load');
  const { baseline, series, byRequests } = trendSeries(checkpoints, phases);
  return (Object.keys(seriesKeys) as Array<keyof typeof seriesKeys>).map((name) => {
    const key = seriesKeys[name];
    const points: TrendPoint[] = series.map((c) => ({ x: byRequests ? c.requestsSoFar : c.atMs, y: c[key] }));
    const result = trendTest(points, { alpha: settings.alpha ?? 0.05, minGrowth: settings.minGrowthBytes });
    const growthByPhaseBytes: SeriesTrend['growthByPhaseBytes'] = [];
    let previous = baseline;
    for (const phase of loadPhases) {
      const end = [...checkpoints].reverse().find((c) => c.boundary && c.phase === phase.name);
      if (end && previous) growthByPhaseBytes.push({ phase: phase.name, growthBytes: end[key] - previous[key] });
      if (end) previous = end;
    }
    // A cache that is still filling in the first load phase rises and then stops: the trend is
    // significant, but a leak keeps growing in the last phase too. Ask for at least a quarter of
    // the average growth per phase there.
    const lastPhase = growthByPhaseBytes[growthByPhaseBytes.length - 1];
    const persistent = lastPhase !== undefined && growthByPhaseBytes.length === loadPhases.length
      && lastPhase.growthBytes > 0.25 * (result.growth / Math.max(1, loadPhases.length));
    // Mann–Kendall cannot reach significance on a handful of points (3 points: p ≥ 0.15). Then
    // fall back to the phase boundaries themselves, which are exact post-GC measurements: every
    // load phase grew, evenly enough, and by at least minGrowth in total.
    const fewPoints = result.points < 6;
    const phaseGrowths = growthByPhaseBytes.map((p) => p.growthBytes);
    const totalByPhases = phaseGrowths.reduce((a, b) => a + b, 0);
    const everyPhaseGrew = fewPoints && phaseGrowths.length === loadPhases.length && phaseGrowths.length >= 2
      && totalByPhases >= settings.minGrowthBytes
      && phaseGrowths.every((g) => g > 0.25 * (totalByPhases / phaseGrowths.length));
    return {
      series: name,
      points: result.points,
      firstBytes: result.first,
      lastBytes: result.last,
      growthBytes: result.growth,
      growthPer1000RequestsBytes: byRequests ? result.slope * 1000 : 0,
      growthPerSecondBytes: byRequests ? 0 : result.slope * 1000,
      pValue: result.pValue,
      noiseBytes: result.noise,
      growthByPhaseBytes,
      increasing: (result.increasing && persistent) || everyPhaseGrew,
    };
  });
}

export interface VerdictInput {
  trends: readonly SeriesTrend[];
  /** Findings of the snapshot diff; those of severity "leak" count, suspects do not. */
  findings: readonly SnapshotFinding[];
  /** The findings grouped by holder (analysis.causes): one reason per leak cause, not per finding. Absent: one per leak finding. */
  causes?: readonly { findingIndex: number; related: readonly number[]; severity: SnapshotFinding['severity']; growthBytes: number }[];
  memwatchRule: readonly MemwatchRuleFiring[];
  /** Set when the target ended on its own before the run finished: during which phase, and how. */
  crash?: { phase: string; exit: ExitFacts };
  outOfMemory: boolean;
  /** The --min-growth in effect, to explain a rise that stayed below it. */
  minGrowthBytes?: number;
  /** Set when the run was stopped from outside (Ctrl-C, SIGTERM): during which phase, by which signal. */
  interrupted?: { phase: string; signal: string | null };
  /** Set when the agent stopped answering while the target stayed (a blocked event loop). */
  unresponsive?: { phase: string; cause: 'checkpoint-timeout' | 'agent-disconnected'; waitedMs: number };
  /** The load requests that failed, with the gate that judges them. */
  loadFailures?: { requests: number; failed: number; statusCounts: Record<string, number>; acceptedStatuses: number[]; maxErrorRate: number; firstError: string | null };
  /**
   * Heap snapshots were written during the run. Writing one makes the process take tens of MiB
   * from the OS that the allocator keeps afterwards, so RSS then says more about leakcheck than
   * about the target and cannot support an "RSS only" conclusion.
   */
  snapshotsTaken?: boolean;
  /** Set when the snapshot diff was to run and failed. */
  analysisFailure?: AnalysisFailure;
  /** The verdicts of the other processes that served the load (RunReport.processes, in order). */
  processes?: ReadonlyArray<{ pid: number; clusterWorkerId: number | null; verdict: RunVerdict }>;
}

/** Why a snapshot diff that was to run failed: the error's code (LeakcheckError) and file, when it has them. */
export interface AnalysisFailure {
  code: string | null;
  file: string | null;
  message: string;
}

/** Fewer post-GC points than this and no trend is computed at all. */
const minTrendPoints = 3;

/**
 * The verdict: a leak is a significant, persistent rise of live memory after full GCs (on the V8
 * heap or off it), a snapshot finding the detectors rate as a leak, or an out-of-memory crash.
 * RSS growing alone is reported but is not a live-object leak: the allocator may simply not have
 * returned freed pages to the OS.
 */
export function decideVerdict(input: VerdictInput): RunVerdict {
  const reasons: VerdictReason[] = [];
  const trend = (name: SeriesTrend['series']) => input.trends.find((t) => t.series === name);
  const heap = trend('heapUsed');
  const external = trend('external');
  const arrayBuffers = trend('arrayBuffers');
  const rss = trend('rss');
  const minGrowthBytes = input.minGrowthBytes ?? 0;

  if (input.outOfMemory) {
    reasons.push({ kind: 'out-of-memory', leak: true, phase: input.crash?.phase ?? null, exit: input.crash?.exit ?? null });
  } else if (input.crash) {
    reasons.push({ kind: 'crash', leak: false, phase: input.crash.phase, exit: input.crash.exit });
  }
  if (input.interrupted) reasons.push({ kind: 'interrupted', leak: false, ...input.interrupted });
  if (input.unresponsive) reasons.push({ kind: 'unresponsive', leak: false, ...input.unresponsive });
  const failures = input.loadFailures;
  // A crash explains its own refused connections.
  const loadFailed = !input.crash && failures !== undefined && failures.failed > failures.maxErrorRate * failures.requests;
  if (loadFailed) reasons.push({ kind: 'load-failed', leak: false, ...failures });

  if (!heap || heap.points < minTrendPoints) {
    reasons.push({ kind: 'too-few-points', leak: false, points: heap?.points ?? 0, neededPoints: minTrendPoints });
  } else {
    reasons.push({ kind: 'heap-trend', leak: heap.increasing, judgement: judgeTrend(heap, input.minGrowthBytes), trend: heap, minGrowthBytes });
  }
  if (external && external.points >= minTrendPoints) {
    const abMostly = arrayBuffers !== undefined && arrayBuffers.growthBytes > 0.5 * external.growthBytes && external.increasing;
    reasons.push({
      kind: 'off-heap-trend', leak: external.increasing, judgement: judgeTrend(external, input.minGrowthBytes), trend: external, minGrowthBytes,
      ...(abMostly ? { arrayBuffersGrowthBytes: arrayBuffers.growthBytes } : {}),
    });
  }
  if (rss && rss.increasing && !heap?.increasing && !external?.increasing && !input.snapshotsTaken) {
    reasons.push({ kind: 'rss-only', leak: false, growthBytes: rss.growthBytes });
  }
  const causes = input.causes ?? input.findings.map((finding, findingIndex) => ({ findingIndex, related: [], severity: finding.severity, growthBytes: finding.growth.bytes }));
  for (const cause of causes) {
    const finding = input.findings[cause.findingIndex];
    if (cause.severity !== 'leak' || finding === undefined) continue;
    reasons.push({
      kind: 'snapshot', leak: true, findingIndex: cause.findingIndex, detector: finding.kind, retainedBytes: finding.retainedSize, growthBytes: finding.growth.bytes,
      ...(cause.related.length > 0 ? { relatedFindings: cause.related.length, causeGrowthBytes: cause.growthBytes } : {}),
    });
  }
  if (input.analysisFailure) reasons.push({ kind: 'analysis-failed', leak: false, ...input.analysisFailure });
  if (input.memwatchRule.length > 0) {
    reasons.push({
      kind: 'memwatch-rule', leak: false, firings: input.memwatchRule.length,
      consecutiveIncreases: Math.max(...input.memwatchRule.map((e) => e.consecutiveIncreases)),
      growthBytes: input.memwatchRule.reduce((sum, e) => sum + e.growthBytes, 0),
    });
  }

  input.processes?.forEach((p, processIndex) => {
    reasons.push({ kind: 'process', leak: p.verdict.leak, processIndex, pid: p.pid, clusterWorkerId: p.clusterWorkerId, outcome: p.verdict.outcome });
  });

  const leak = reasons.some((r) => r.leak);
  return { outcome: outcomeOf(reasons), leak, partial: input.crash !== undefined || input.interrupted !== undefined || input.unresponsive !== undefined, reasons };
}

/** Which test a series' rise failed, so a user can tell "flat" from "rose a little" from "rose, then stopped". */
export function judgeTrend(trend: SeriesTrend, minGrowthBytes: number | undefined): TrendJudgement {
  if (trend.increasing) return 'keeps-growing';
  if (!(trend.pValue < 0.05 && trend.growthBytes > 0)) return 'no-sustained-growth';
  if (minGrowthBytes !== undefined && trend.growthBytes < minGrowthBytes) return 'below-min-growth';
  if (trend.growthBytes <= 3 * trend.noiseBytes) return 'within-noise';
  return 'stopped-growing';
}
