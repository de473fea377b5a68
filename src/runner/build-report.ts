import { memwatchRuleEvents } from '../stats/index.js';
import type { GcSample, MemwatchLeakEvent } from '../agent/protocol.js';
import {
  RUN_REPORT_SCHEMA_VERSION, type AgentSeen, type MemwatchRuleFiring, type ProcessReport, type RunCheckpoint, type RunPhase, type RunReport,
} from '../report/index.js';
import { collectSeries } from './collect.js';
import { computeConnectionCost } from './connection-cost.js';
import { loadFailures } from './describe.js';
import { isWrapperProcess } from './readiness.js';
import type { AgentRecord, ProcessRecord, RunEnding, RunRecord, RunSettingsRecord, UnmeasuredRecord } from './run-record.js';
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

/**
 * The agent runs the memwatch rule online (its restored 'leak' event); GCs whose stats were still
 * in flight when it was told to stop are covered by replaying the rule here.
 */
function memwatchFirings(gcs: readonly GcSample[], leaks: readonly MemwatchLeakEvent[], startedAtMs: number): MemwatchRuleFiring[] {
  const replayed = memwatchRuleEvents(gcs.map((g) => ({ timeMs: g.timeMs, usedHeapBytes: g.usedHeapBytes, forced: g.forced })));
  return (leaks.length >= replayed.length ? leaks : replayed)
    .map((e) => ({ atMs: e.timeMs - startedAtMs, consecutiveIncreases: e.consecutiveIncreases, growthBytes: e.growthBytes, durationMs: e.durationMs }));
}

/**
 * The target's checkpoints with every other serving process's figures added in (a cluster holds its
 * connections in the workers, not in the primary), when each was measured at every checkpoint.
 */
function summedOverProcesses(checkpoints: readonly RunCheckpoint[], processes: readonly ProcessRecord[]): readonly RunCheckpoint[] {
  if (processes.length === 0 || processes.some((p) => p.checkpoints.length !== checkpoints.length)) return checkpoints;
  return checkpoints.map((c, k) => processes.reduce((sum, p) => {
    const o = p.checkpoints[k]!;
    return {
      ...sum,
      heapUsedBytes: sum.heapUsedBytes + o.heapUsedBytes, externalBytes: sum.externalBytes + o.externalBytes, rssBytes: sum.rssBytes + o.rssBytes,
      openSockets: (sum.openSockets ?? 0) + (o.openSockets ?? 0),
    };
  }, c));
}

/** Another serving process, judged by the same rules as the target on its own checkpoints and snapshot diff. */
function processReport(p: ProcessRecord, phases: readonly RunPhase[], startedAtMs: number, minGrowthBytes: number): ProcessReport {
  const trends = computeTrends(p.checkpoints, phases, { minGrowthBytes });
  const verdict = decideVerdict({
    trends, findings: p.analysis?.findings ?? [], memwatchRule: memwatchFirings(p.gcs, p.leaks, startedAtMs), minGrowthBytes,
    outOfMemory: false, snapshotsTaken: p.snapshots.length > 0, ...(p.analysisFailure === undefined ? {} : { analysisFailure: p.analysisFailure }),
  });
  if (p.lost !== undefined) {
    verdict.partial = true;
    // Its figures stop where it was lost: what they show may be a leak, but never a clean bill.
    if (verdict.outcome === 'clean') verdict.outcome = 'inconclusive';
  }
  return {
    pid: p.hello.pid, ppid: p.hello.ppid, argv: p.hello.argv, clusterWorkerId: p.hello.clusterWorkerId ?? null,
    checkpoints: p.checkpoints, trends, snapshots: [...p.snapshots], analysis: p.analysis, ...(p.analysisNote === undefined ? {} : { analysisNote: p.analysisNote }),
    verdict, ...(p.lost === undefined ? {} : { lost: p.lost }),
  };
}

function reportOptions(settings: RunSettingsRecord): RunReport['options'] {
  const { loadUrl, loadCommand, ...rest } = settings;
  return { ...(loadUrl === '' ? {} : { url: loadUrl }), ...(loadCommand === undefined ? {} : { loadCommand }), ...rest };
}

/** Why each listed agent was (not) chosen as the target. */
function agentsSeen(agents: readonly AgentRecord[], processes: readonly ProcessReport[]): AgentSeen[] {
  return agents.map((a) => ({
    pid: a.hello.pid,
    ppid: a.hello.ppid,
    argv: a.hello.argv,
    chosen: a.chosen,
    note: a.chosen ? (a.listeningPorts.length > 0 ? `listens on port ${a.listeningPorts[0]}` : 'first node process that is not a package manager')
      : processes.some((p) => p.pid === a.hello.pid) ? 'serves the load port too: measured beside the target (see processes)'
      : isWrapperProcess(a.hello.argv) ? 'package-manager wrapper' : 'not the process that serves the load',
  }));
}

/** The report of a run: trends, memwatch rule, verdict and the process table, derived from what the run observed. Pure. */
export function buildRunReport(record: RunRecord): RunReport {
  const { startedAtMs, phases, checkpoints, ending, exit } = record;
  const crashedDuring = ending.kind === 'target-exited' ? ending.phase : null;
  const crashed = crashedDuring !== null;
  const outOfMemory = outOfMemoryPattern.test(record.stderrTail);
  const series = collectSeries(record.target, startedAtMs, phases);
  const trends = computeTrends(checkpoints, phases, { minGrowthBytes: record.settings.minGrowthBytes });
  const memwatchRule = memwatchFirings(record.target.gcs, record.target.leaks, startedAtMs);
  const failures = loadFailures(phases, record.settings.acceptedStatuses);
  const processes = (record.processes ?? []).map((p) => processReport(p, phases, startedAtMs, record.settings.minGrowthBytes));
  const verdict = decideVerdict({
    processes,
    trends, findings: record.analysis?.findings ?? [], ...(record.analysis?.causes ? { causes: record.analysis.causes } : {}), memwatchRule, minGrowthBytes: record.settings.minGrowthBytes,
    outOfMemory, snapshotsTaken: record.files.snapshots.length > 0,
    ...(record.analysisFailure === undefined ? {} : { analysisFailure: record.analysisFailure }),
    ...(crashedDuring === null ? {} : { crash: { phase: crashedDuring, exit } }),
    ...(failures === undefined ? {} : { loadFailures: { ...failures, acceptedStatuses: [...record.settings.acceptedStatuses], maxErrorRate: record.settings.maxErrorRate } }),
    ...(ending.kind === 'interrupted' ? { interrupted: { phase: ending.phase, signal: ending.signal ?? null } } : {}),
    ...(ending.kind === 'unresponsive' ? { unresponsive: { phase: ending.phase, cause: ending.cause, waitedMs: ending.waitedMs } } : {}),
  });
  const agents = agentsSeen(record.agents, processes);
  const hello = record.target.hello;
  const connectionCost = computeConnectionCost(summedOverProcesses(checkpoints, record.processes ?? []));
  return {
    schemaVersion: RUN_REPORT_SCHEMA_VERSION,
    tool: { name: 'leakcheck', version: record.toolVersion },
    runId: record.runId,
    startedAt: new Date(startedAtMs).toISOString(),
    durationMs: record.endedAtMs - startedAtMs,
    command: record.command,
    cwd: record.cwd,
    options: reportOptions(record.settings),
    target: {
      pid: hello.pid,
      argv: hello.argv,
      nodeVersion: hello.nodeVersion,
      memwatch: hello.memwatch,
      gcSource: hello.gcSource,
      ...(hello.allocations === undefined ? {} : { allocations: hello.allocations }),
      agents,
      exit: crashed ? { code: exit.code, signal: exit.signal, phase: crashedDuring } : null,
      crashed,
      outOfMemory,
      stderrTail: record.stderrTail.slice(-4096),
      memoryLimits: { heapSizeLimitBytes: record.target.gcs.at(-1)?.heapSizeLimitBytes ?? null, cgroup: record.target.cgroupLimit },
      ...(hello.clusterWorkerId === undefined ? {} : { clusterWorkerId: hello.clusterWorkerId }),
    },
    phases,
    samples: series.samples,
    gcs: series.gcs,
    checkpoints,
    trends,
    memwatchRule,
    analysis: record.analysis,
    ...(record.analysisNote === undefined ? {} : { analysisNote: record.analysisNote }),
    ...(record.allocationSites === undefined ? {} : { allocationSites: record.allocationSites }),
    verdict,
    ...(processes.length === 0 ? {} : { processes }),
    ...(connectionCost === undefined ? {} : { connectionCost }),
    files: { ...record.files, snapshots: [...record.files.snapshots] },
  };
}

/**
 * The report of a run that ended before it measured anything (the target never started, exited
 * or never listened, the run was interrupted or failed first): outcome 'not-measured', with the
 * command, the target's pid, exit and stderr, and the agents seen. Every series is empty. Pure.
 */
export function buildUnmeasuredReport(record: UnmeasuredRecord): RunReport {
  const exit = record.exit === null ? null : { code: record.exit.code, signal: record.exit.signal, ...(record.exit.spawnError === undefined ? {} : { spawnError: record.exit.spawnError }) };
  const exitedOnItsOwn = record.cause === 'exited-before-ready' || record.cause === 'failed-to-start';
  // The spawned process's own agent, when it said hello (a wrapper such as npm has none).
  const hello = record.agents.find((a) => a.hello.pid === record.pid)?.hello;
  return {
    schemaVersion: RUN_REPORT_SCHEMA_VERSION,
    tool: { name: 'leakcheck', version: record.toolVersion },
    runId: record.runId,
    startedAt: new Date(record.startedAtMs).toISOString(),
    durationMs: record.endedAtMs - record.startedAtMs,
    command: record.command,
    cwd: record.cwd,
    options: reportOptions(record.settings),
    target: {
      pid: record.pid,
      argv: hello?.argv ?? record.command,
      nodeVersion: hello?.nodeVersion ?? null,
      memwatch: hello?.memwatch ?? { available: false, error: 'no agent reported from the target' },
      ...(hello === undefined ? {} : { gcSource: hello.gcSource }),
      agents: agentsSeen(record.agents, []),
      exit: exitedOnItsOwn && record.exit !== null ? { code: record.exit.code, signal: record.exit.signal, phase: null } : null,
      crashed: false,
      outOfMemory: outOfMemoryPattern.test(record.stderrTail),
      stderrTail: record.stderrTail.slice(-4096),
    },
    phases: [],
    samples: [],
    gcs: [],
    checkpoints: [],
    trends: [],
    memwatchRule: [],
    analysis: null,
    analysisNote: 'nothing was measured: no snapshot diff',
    verdict: {
      outcome: 'not-measured',
      leak: false,
      partial: false,
      reasons: [{ kind: 'not-measured', leak: false, cause: record.cause, errorCode: record.error.code, message: record.error.message, exit, signal: record.signal }],
    },
    files: { ...record.files, snapshots: [...record.files.snapshots] },
  };
}
