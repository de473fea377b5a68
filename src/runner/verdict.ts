import { trendTest, type TrendPoint } from '../stats/index.js';
import { formatByteDelta, formatBytes } from '../report/index.js';
import type {
  MemwatchRuleFiring, RunCheckpoint, RunPhase, SeriesTrend, SnapshotFinding, Verdict, VerdictReason,
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
  const loadNames = new Set(loadPhases.map((p) => p.name));
  const firstLoad = phases.findIndex((p) => p.kind === 'load');
  const beforeLoad = new Set(phases.slice(0, Math.max(0, firstLoad)).map((p) => p.name));
  const baseline = [...checkpoints].reverse().find((c) => c.boundary && beforeLoad.has(c.phase));
  const inLoad = checkpoints.filter((c) => loadNames.has(c.phase));
  const series = baseline ? [baseline, ...inLoad] : inLoad;
  const byRequests = loadPhases.length > 0 && loadPhases.every((p) => (p.http?.requests ?? 0) > 0) && series.length > 1
    && series[series.length - 1]!.requestsSoFar > series[0]!.requestsSoFar;
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
  memwatchRule: readonly MemwatchRuleFiring[];
  /** The target ended on its own before the run finished. */
  crashed: boolean;
  outOfMemory: boolean;
  /** "exited with code 1 during load1" */
  crashDescription?: string;
  /** The --min-growth in effect, to explain a rise that stayed below it. */
  minGrowthBytes?: number;
  /** The phase during which the user stopped the run (Ctrl-C), if so. */
  interruptedDuring?: string;
  /** A doubt about the load itself (e.g. nearly every response was a 404), shown but not decisive. */
  loadWarning?: string;
  /** Why the measurements cannot be trusted (e.g. every request failed), if so. */
  unusableLoad?: string;
  /**
   * Heap snapshots were written during the run. Writing one makes the process take tens of MiB
   * from the OS that the allocator keeps afterwards, so RSS then says more about leakcheck than
   * about the target and cannot support an "RSS only" conclusion.
   */
  snapshotsTaken?: boolean;
}

/**
 * The verdict: a leak is a significant, persistent rise of live memory after full GCs (on the V8
 * heap or off it), a snapshot finding the detectors rate as a leak, or an out-of-memory crash.
 * RSS growing alone is reported but is not a live-object leak: the allocator may simply not have
 * returned freed pages to the OS.
 */
export function decideVerdict(input: VerdictInput): Verdict {
  const reasons: VerdictReason[] = [];
  const trend = (name: SeriesTrend['series']) => input.trends.find((t) => t.series === name);
  const heap = trend('heapUsed');
  const external = trend('external');
  const arrayBuffers = trend('arrayBuffers');
  const rss = trend('rss');

  if (input.outOfMemory) {
    reasons.push({ kind: 'out-of-memory', leak: true, message: `the target ran out of memory (${input.crashDescription ?? 'crashed'})` });
  } else if (input.crashed) {
    reasons.push({ kind: 'crash', leak: false, message: `the target ended before the run did: ${input.crashDescription ?? 'it exited'}` });
  }
  if (input.interruptedDuring) {
    reasons.push({ kind: 'interrupted', leak: false, message: `the run was interrupted during ${input.interruptedDuring}; the figures cover the run up to then` });
  }
  if (input.unusableLoad) reasons.push({ kind: 'no-data', leak: false, message: input.unusableLoad });
  if (input.loadWarning) reasons.push({ kind: 'load', leak: false, message: input.loadWarning });

  if (!heap || heap.points < 3) {
    reasons.push({ kind: 'no-data', leak: false, message: `too few post-GC measurements for a trend (${heap?.points ?? 0}; need 3)` });
  } else {
    reasons.push({ kind: 'heap-trend', leak: heap.increasing, message: describeTrend('live JS heap after GC', heap, input.minGrowthBytes) });
  }
  if (external && external.points >= 3) {
    const abPart = arrayBuffers && arrayBuffers.growthBytes > 0.5 * external.growthBytes && external.increasing
      ? ` (of which ArrayBuffers ${formatByteDelta(arrayBuffers.growthBytes)})` : '';
    reasons.push({ kind: 'off-heap-trend', leak: external.increasing, message: describeTrend('off-heap memory (external)', external, input.minGrowthBytes) + abPart });
  }
  if (rss && rss.increasing && !heap?.increasing && !external?.increasing && !input.snapshotsTaken) {
    reasons.push({
      kind: 'rss-only',
      leak: false,
      message: `RSS grew by ${formatBytes(rss.growthBytes)} while live heap and external memory did not: memory not returned to the OS (allocator fragmentation) or native memory outside V8's accounting, not a leak of JS objects`,
    });
  }
  for (const finding of input.findings.filter((f) => f.severity === 'leak')) {
    reasons.push({
      kind: 'snapshot',
      leak: true,
      message: `snapshot diff: ${finding.title} (retains ${formatBytes(finding.retainedSize)}, ${formatByteDelta(finding.growth.bytes)} since warm-up)`,
    });
  }
  if (input.memwatchRule.length > 0) {
    const total = input.memwatchRule.reduce((sum, e) => sum + e.growthBytes, 0);
    reasons.push({
      kind: 'memwatch-rule',
      leak: false,
      message: `memwatch's original rule (5 consecutive full-GC heap increases) fired ${input.memwatchRule.length} time(s), ${formatByteDelta(total)} in those runs; informative only, the trend test decides`,
    });
  }

  const leak = reasons.some((r) => r.leak);
  const outcome = leak ? 'leak' : input.crashed ? 'crashed' : input.interruptedDuring ? 'interrupted' : input.unusableLoad || !heap || heap.points < 3 ? 'inconclusive' : 'clean';
  return { outcome, leak, reasons };
}

function describeTrend(what: string, trend: SeriesTrend, minGrowthBytes: number | undefined): string {
  const perRequests = trend.growthPer1000RequestsBytes !== 0 ? `, ${formatByteDelta(trend.growthPer1000RequestsBytes)} per 1000 requests` : '';
  const phases = trend.growthByPhaseBytes.map((p) => `${p.phase} ${formatByteDelta(p.growthBytes)}`).join(', ');
  // Say which test a rise failed, so a user can tell "flat" from "rose a little" from "rose, then stopped".
  const rose = trend.pValue < 0.05 && trend.growthBytes > 0;
  const verdict = trend.increasing ? 'keeps growing'
    : !rose ? 'no sustained growth'
      : minGrowthBytes !== undefined && trend.growthBytes < minGrowthBytes ? `small rise, below --min-growth ${formatBytes(minGrowthBytes)}`
        : trend.growthBytes <= 3 * trend.noiseBytes ? 'rise within the noise'
          : 'rose, then stopped (not growing in the last phase)';
  return `${what}: ${verdict}, ${formatBytes(trend.firstBytes)} → ${formatBytes(trend.lastBytes)} (trend ${formatByteDelta(trend.growthBytes)}${perRequests}; p=${trend.pValue.toFixed(3)}; ${phases})`;
}
