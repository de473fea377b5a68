import { memwatchRuleEvents } from '../stats/index.js';
import { RUN_REPORT_SCHEMA_VERSION, type AgentSeen, type RunReport } from '../report/index.js';
import { collectSeries } from './collect.js';
import { computeConnectionCost } from './connection-cost.js';
import { loadFailures } from './describe.js';
import { isWrapperProcess } from './readiness.js';
import type { RunEnding, RunRecord } from './run-record.js';
import { computeTrends, decideVerdict } from './verdict.js';

const outOfMemoryPattern = /heap out of memory|Allocation failed - JavaScript heap|ERR_WORKER_OUT_OF_MEMORY/;

/** Why the three-snapshot diff cannot run for this run, or undefined when it can. */
export function analysisSkipReason(ending: RunEnding, snapshots: boolean, snapshotCount: number, analyzerEnabled: boolean): string | undefined {
  if (ending.kind === 'interrupted') return 'the run was interrupted: no snapshot diff';
  if (!snapshots) return 'snapshots were turned off (--no-snapshots): no snapshot diff';
  if (snapshotCount < 3) return `snapshot diff needs 3 snapshots, the run has ${snapshotCount}`;
  if (!analyzerEnabled) return 'snapshot analysis was turned off';
  return undefined;
}

/** The report of a run: trends, memwatch rule, verdict and the process table, derived from what the run observed. Pure. */
export function buildRunReport(record: RunRecord): RunReport {
  const { startedAtMs, phases, checkpoints, ending, exit } = record;
  const crashedDuring = ending.kind === 'target-exited' ? ending.phase : null;
  const crashed = crashedDuring !== null;
  const outOfMemory = outOfMemoryPattern.test(record.stderrTail);
  const series = collectSeries(record.target, startedAtMs, phases);
  const trends = computeTrends(checkpoints, phases, { minGrowthBytes: record.settings.minGrowthBytes });
  // The agent runs the memwatch rule online (its restored 'leak' event); GCs whose stats were
  // still in flight when it was told to stop are covered by replaying the rule here.
  const replayed = memwatchRuleEvents(record.target.gcs.map((g) => ({ timeMs: g.timeMs, usedHeapBytes: g.usedHeapBytes, forced: g.forced })));
  const memwatchRule = (record.target.leaks.length >= replayed.length ? record.target.leaks : replayed)
    .map((e) => ({ atMs: e.timeMs - startedAtMs, consecutiveIncreases: e.consecutiveIncreases, growthBytes: e.growthBytes, durationMs: e.durationMs }));
  const failures = loadFailures(phases, record.settings.acceptedStatuses);
  const verdict = decideVerdict({
    trends, findings: record.analysis?.findings ?? [], memwatchRule, minGrowthBytes: record.settings.minGrowthBytes,
    outOfMemory, snapshotsTaken: record.files.snapshots.length > 0,
    ...(crashedDuring === null ? {} : { crash: { phase: crashedDuring, exit } }),
    ...(failures === undefined ? {} : { loadFailures: { ...failures, acceptedStatuses: [...record.settings.acceptedStatuses], maxErrorRate: record.settings.maxErrorRate } }),
    ...(ending.kind === 'interrupted' ? { interrupted: { phase: ending.phase, signal: ending.signal ?? null } } : {}),
    ...(ending.kind === 'unresponsive' ? { unresponsive: { phase: ending.phase, cause: ending.cause, waitedMs: ending.waitedMs } } : {}),
  });
  const agents: AgentSeen[] = record.agents.map((a) => ({
    pid: a.hello.pid,
    ppid: a.hello.ppid,
    argv: a.hello.argv,
    chosen: a.chosen,
    note: a.chosen ? (a.listeningPorts.length > 0 ? `listens on port ${a.listeningPorts[0]}` : 'first node process that is not a package manager')
      : isWrapperProcess(a.hello.argv) ? 'package-manager wrapper' : 'not the process that serves the load',
  }));
  const hello = record.target.hello;
  const { loadCommand } = record.settings;
  const connectionCost = computeConnectionCost(checkpoints);
  return {
    schemaVersion: RUN_REPORT_SCHEMA_VERSION,
    tool: { name: 'leakcheck', version: record.toolVersion },
    runId: record.runId,
    startedAt: new Date(startedAtMs).toISOString(),
    durationMs: record.endedAtMs - startedAtMs,
    command: record.command,
    cwd: record.cwd,
    options: {
      url: record.settings.loadUrl,
      ...(loadCommand === undefined ? {} : { loadCommand }),
      concurrency: record.settings.concurrency,
      minGrowthBytes: record.settings.minGrowthBytes,
      checkpointsPerPhase: record.settings.checkpointsPerPhase,
      snapshots: record.settings.snapshots,
      keepSnapshots: record.settings.keepSnapshots,
      acceptedStatuses: record.settings.acceptedStatuses,
      maxErrorRate: record.settings.maxErrorRate,
    },
    target: {
      pid: hello.pid,
      argv: hello.argv,
      nodeVersion: hello.nodeVersion,
      memwatch: hello.memwatch,
      gcSource: hello.gcSource,
      agents,
      exit: crashed ? { code: exit.code, signal: exit.signal, phase: crashedDuring } : null,
      crashed,
      outOfMemory,
      stderrTail: record.stderrTail.slice(-4096),
      memoryLimits: { heapSizeLimitBytes: record.target.gcs.at(-1)?.heapSizeLimitBytes ?? null, cgroup: record.target.cgroupLimit },
    },
    phases,
    samples: series.samples,
    gcs: series.gcs,
    checkpoints,
    trends,
    memwatchRule,
    analysis: record.analysis,
    ...(record.analysisNote === undefined ? {} : { analysisNote: record.analysisNote }),
    verdict,
    ...(connectionCost === undefined ? {} : { connectionCost }),
    files: { ...record.files, snapshots: [...record.files.snapshots] },
  };
}
