import type { Outcome, PhaseIncomplete, SeriesTrend, SnapshotFinding } from './model.js';
import type { ExitFacts, TrendJudgement, VerdictReason } from './run-verdict.js';
import { allocationPlace, findingTitle } from './finding-words.js';
import type { HeapProjection } from './heap-projection.js';
import { formatByteDelta, formatBytes, formatCount, formatDurationMs } from './units.js';

/** How a reason is shown: it says leak, it is a caveat the reader should weigh, or it is a check that passed. */
export type ReasonTone = 'leak' | 'warning' | 'ok';

/** One classification for every renderer (the text marker and the HTML colour must agree). */
export function reasonTone(reason: VerdictReason): ReasonTone {
  if (reason.leak) return 'leak';
  if (reason.kind === 'heap-trend' || reason.kind === 'off-heap-trend') return 'ok';
  if (reason.kind === 'process') return reason.outcome === 'clean' ? 'ok' : 'warning';
  if (reason.kind === 'v1-message') return reason.v1Kind === 'heap-trend' || reason.v1Kind === 'off-heap-trend' ? 'ok' : 'warning';
  return 'warning';
}

/** The verdict in one or two words, as the headline of every output. */
export const outcomeHeadline: Readonly<Record<Outcome, string>> = {
  leak: 'LEAK', clean: 'CLEAN', crashed: 'TARGET CRASHED', interrupted: 'INTERRUPTED', inconclusive: 'INCONCLUSIVE', 'not-measured': 'NOT MEASURED',
};

export function outcomeTone(outcome: Outcome): ReasonTone {
  return outcome === 'clean' ? 'ok' : outcome === 'leak' || outcome === 'crashed' ? 'leak' : 'warning';
}

/** "exited with code 1", "was killed by SIGKILL", "could not start (command not found: nodee)". */
export function describeExit(exit: ExitFacts): string {
  if (exit.spawnError) return `could not start (${exit.spawnError})`;
  if (exit.signal) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.code}`;
}

/** Why a phase stopped early: "stopped by SIGTERM", "the target exited with code 3", … */
export function describeIncomplete(incomplete: PhaseIncomplete): string {
  switch (incomplete.kind) {
    case 'phase-timeout':
      return `stopped by --phase-timeout (${formatDurationMs(incomplete.timeoutMs)}) after ${formatCount(incomplete.requests)} of ${formatCount(incomplete.plannedRequests)} requests`;
    case 'interrupted': return incomplete.signal ? `stopped by ${incomplete.signal}` : 'interrupted';
    case 'target-exited': return `the target ${describeExit(incomplete.exit)}`;
    case 'unresponsive':
      return incomplete.cause === 'checkpoint-timeout'
        ? `the target did not answer a checkpoint within ${formatDurationMs(incomplete.waitedMs)} (event loop blocked?)`
        : 'the agent disconnected while the target kept running';
    case 'stored-text': return incomplete.text;
  }
}

/** Said beside a verdict whose run ended before its last phase. */
export const partialVerdictWords = 'partial: the run ended before its last phase; the figures cover only the phases that ran';

const seriesWhat: Record<SeriesTrend['series'], string> = {
  heapUsed: 'live JS heap after GC',
  external: 'off-heap memory (external)',
  arrayBuffers: 'ArrayBuffers',
  rss: 'RSS',
};

const judgementWords: Record<TrendJudgement, string> = {
  'keeps-growing': 'keeps growing',
  'no-sustained-growth': 'no sustained growth',
  'below-min-growth': 'small rise, below --min-growth',
  'within-noise': 'rise within the noise',
  'stopped-growing': 'rose, then stopped (not growing in the last phase)',
};

/**
 * One reason as a sentence. `findings` are the run's snapshot findings, which snapshot reasons
 * point into (schema-1 reports have no snapshot reasons: theirs are 'v1-message').
 */
export function describeReason(reason: VerdictReason, findings: readonly SnapshotFinding[]): string {
  switch (reason.kind) {
    case 'heap-trend':
    case 'off-heap-trend': {
      const judgement = reason.judgement === 'below-min-growth'
        ? `${judgementWords[reason.judgement]} ${formatBytes(reason.minGrowthBytes)}` : judgementWords[reason.judgement];
      const arrayBuffers = reason.arrayBuffersGrowthBytes === undefined ? '' : ` (of which ArrayBuffers ${formatByteDelta(reason.arrayBuffersGrowthBytes)})`;
      return `${seriesWhat[reason.trend.series]}: ${judgement}, ${describeTrendFigures(reason.trend)}${arrayBuffers}`;
    }
    case 'rss-only':
      return `RSS grew by ${formatBytes(reason.growthBytes)} while live heap and external memory did not: memory not returned to the OS (allocator fragmentation) or native memory outside V8's accounting, not a leak of JS objects`;
    case 'snapshot': {
      const finding = findings[reason.findingIndex];
      const subject = finding ? findingTitle(finding) : `a ${reason.detector} finding`;
      const cause = reason.relatedFindings === undefined ? ''
        : `; one cause with ${reason.relatedFindings} more finding${reason.relatedFindings === 1 ? '' : 's'} under the same holder, which keeps ${formatBytes(reason.causeGrowthBytes ?? 0)} allocated since warm-up`;
      const place = finding ? allocationPlace(finding) : null;
      return `snapshot diff: ${subject} (retains ${formatBytes(reason.retainedBytes)}, ${formatByteDelta(reason.growthBytes)} since warm-up${cause})${place === null ? '' : `; allocated at ${place}`}`;
    }
    case 'memwatch-rule':
      return `memwatch's original rule (${reason.consecutiveIncreases} consecutive full-GC heap increases) fired ${reason.firings} time(s), ${formatByteDelta(reason.growthBytes)} in those runs; informative only, the trend test decides`;
    case 'out-of-memory':
      return `the target ran out of memory (${reason.exit ? `${describeExit(reason.exit)} during ${reason.phase ?? 'the run'}` : 'crashed'})`;
    case 'crash':
      return `the target ended before the run did: ${describeExit(reason.exit)} during ${reason.phase}`;
    case 'interrupted':
      return `the run was ${reason.signal ? `stopped by ${reason.signal}` : 'interrupted'} during ${reason.phase}; the figures cover the run up to then`;
    case 'unresponsive':
      return reason.cause === 'checkpoint-timeout'
        ? `the target did not answer a checkpoint within ${formatDurationMs(reason.waitedMs)} during ${reason.phase} (is its event loop blocked?); it was stopped`
        : `the agent disconnected during ${reason.phase} while the target kept running; it was stopped`;
    case 'too-few-points':
      return `too few post-GC measurements for a trend (${reason.points}; need ${reason.neededPoints})`;
    case 'not-measured':
      return `nothing was measured: ${reason.message}`;
    case 'analysis-failed':
      return `the snapshot diff failed${reason.code ? ` (${reason.code})` : ''}: ${reason.message}; without it no culprit was searched for, so the run is not clean`;
    case 'load-failed': {
      const counts = Object.entries(reason.statusCounts).sort((x, y) => y[1] - x[1]).map(([status, n]) => `${status}×${formatCount(n)}`).join(' ');
      const firstError = reason.firstError ? `; first error: ${reason.firstError}` : '';
      return `${Math.round((reason.failed / reason.requests) * 100)}% of ${formatCount(reason.requests)} load requests failed (${counts}${firstError}), more than --max-error-rate ${reason.maxErrorRate}: the run measured the error path, not the code under test; pass --url with a real route, or --accept-status for statuses that are expected`;
    }
    case 'process':
      return `${processLabel(reason.pid, reason.clusterWorkerId)}, measured at the same checkpoints: ${outcomeHeadline[reason.outcome]}${reason.leak ? ' (see Processes)' : ''}`;
    case 'v1-message':
      return reason.message;
  }
}

/** "cluster worker 2 (pid 4242)", or "process 4240" for one that is not a cluster worker (a cluster's primary). */
export function processLabel(pid: number, clusterWorkerId: number | null | undefined): string {
  return clusterWorkerId === null || clusterWorkerId === undefined ? `process ${pid}` : `cluster worker ${clusterWorkerId} (pid ${pid})`;
}

/** "5.11 MiB → 7.27 MiB (trend +2.21 MiB, +2.76 MiB per 1000 requests; p=0.000; load1 +1.04 MiB, load2 +1.11 MiB)" */
function describeTrendFigures(trend: SeriesTrend): string {
  const parts = [`trend ${trendGrowthText(trend)}`, `p=${trend.pValue.toFixed(3)}`];
  if (trend.growthByPhaseBytes.length > 0) parts.push(trend.growthByPhaseBytes.map((p) => `${p.phase} ${formatByteDelta(p.growthBytes)}`).join(', '));
  return `${formatBytes(trend.firstBytes)} → ${formatBytes(trend.lastBytes)} (${parts.join('; ')})`;
}

/** "+2.21 MiB, +2.76 MiB per 1000 requests": the Theil–Sen growth and its slope, per request when the load was counted. */
export function trendGrowthText(trend: SeriesTrend): string {
  const slope = trend.growthPer1000RequestsBytes !== 0 ? `, ${formatByteDelta(trend.growthPer1000RequestsBytes)} per 1000 requests`
    : trend.growthPerSecondBytes ? `, ${formatByteDelta(trend.growthPerSecondBytes)} per second` : '';
  return `${formatByteDelta(trend.growthBytes)}${slope}`;
}

/** "~1.9 million", "~42,000", "~350": two significant figures, because the slope is an estimate. */
function approximateCount(count: number): string {
  if (count >= 1e9) return `~${(count / 1e9).toPrecision(2)} billion`;
  if (count >= 1e6) return `~${(count / 1e6).toPrecision(2)} million`;
  const rounded = Number(count.toPrecision(2));
  return `~${formatCount(rounded)}`;
}

/** "~40 min", "~3.5 h", "~2.1 days". */
function approximateDuration(ms: number): string {
  const minutes = ms / 60_000;
  if (minutes < 1) return `~${Math.max(1, Math.round(ms / 1000))} s`;
  if (minutes < 90) return `~${Math.round(minutes)} min`;
  const hours = minutes / 60;
  if (hours < 48) return `~${Number(hours.toPrecision(2))} h`;
  return `~${Number((hours / 24).toPrecision(2))} days`;
}

/**
 * "at this rate (+2.76 MiB per 1,000 requests) the heap reaches its 4.00 GiB V8 heap limit after
 * ~1.5 million more requests (~2.0 h of this load)" — the same sentence in the text and HTML verdicts.
 */
export function describeProjection(projection: HeapProjection): string {
  const rate = projection.slopePer1000RequestsBytes > 0 ? `${formatByteDelta(projection.slopePer1000RequestsBytes)} per 1,000 requests`
    : `${formatByteDelta(projection.slopePerSecondBytes)} per second`;
  const limit = projection.limit === 'v8-heap' ? `the heap reaches its ${formatBytes(projection.limitBytes)} V8 heap limit`
    : `the process reaches its ${formatBytes(projection.limitBytes)} cgroup memory limit (${projection.cgroupPath ?? '?'})`;
  if (projection.headroomBytes === 0) return `at this rate (${rate}) ${limit} now`;
  const when = projection.requestsToLimit !== null
    ? `after ${approximateCount(projection.requestsToLimit)} more requests${projection.msToLimit === null ? '' : ` (${approximateDuration(projection.msToLimit)} of this load)`}`
    : `after ${approximateDuration(projection.msToLimit ?? 0)} more of this load`;
  return `at this rate (${rate}) ${limit} ${when}`;
}
