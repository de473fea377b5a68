import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunCheckpoint, RunPhase } from '../../src/report/index.js';
import type { AgentHello } from '../../src/runner/agent-server.js';
import { analysisSkipReason, buildRunReport } from '../../src/runner/build-report.js';
import { runFilesIn } from '../../src/runner/run-files.js';
import type { RunRecord } from '../../src/runner/run-record.js';

const MiB = 1024 * 1024;
const t0 = Date.UTC(2026, 11, 1, 12, 0, 0);

function hello(pid: number, argv: string[]): AgentHello {
  return { type: 'hello', protocol: 1, pid, ppid: pid - 1, argv, execArgv: [], title: 'node', nodeVersion: 'v20.20.2', memwatch: { available: true }, gcSource: 'memwatch' };
}

function loadPhase(name: string, kind: RunPhase['kind'], startMs: number, requests: number, statusCounts: Record<string, number> = { 200: requests }): RunPhase {
  const errors = statusCounts['error'] ?? 0;
  return {
    name, kind, startMs, endMs: startMs + 1000,
    http: { requests, statusCounts, errors, errorSamples: errors ? ['ECONNRESET: socket hang up'] : [], durationMs: 1000, requestsPerSecond: requests, latencyP50Ms: 1, latencyP99Ms: 2, latencyMaxMs: 3 },
  };
}

/** Warm-up boundary then four checkpoints per load phase; the heap grows by `perRequest` bytes per request. */
function checkpointsFor(perRequest: number): RunCheckpoint[] {
  const rows: RunCheckpoint[] = [];
  const add = (phase: string, req: number, boundary: boolean) => rows.push({
    atMs: 1000 + req, phase, requestsSoFar: req, boundary, rssBytes: 60 * MiB, heapTotalBytes: 20 * MiB,
    heapUsedBytes: 10 * MiB + req * perRequest, externalBytes: MiB, arrayBuffersBytes: 0, gcMs: 2, totalMs: 3,
  });
  add('warmup', 0, true);
  for (const [p, name] of ['load1', 'load2'].entries()) for (let k = 1; k <= 4; k++) add(name, p * 1000 + k * 250, k === 4);
  return rows;
}

function record(overrides: Partial<RunRecord> = {}): RunRecord {
  const target = hello(101, ['/usr/bin/node', '/srv/app.js']);
  return {
    toolVersion: '9.9.9',
    runId: 'r-1',
    startedAtMs: t0,
    endedAtMs: t0 + 4321,
    command: ['npm', 'start'],
    cwd: '/srv',
    settings: { loadUrl: 'http://127.0.0.1:3000/', concurrency: 4, minGrowthBytes: MiB, checkpointsPerPhase: 4, snapshots: false, keepSnapshots: 'on-leak', acceptedStatuses: [], maxErrorRate: 0.5 },
    target: {
      hello: target,
      memory: [{ timeMs: t0 + 1500, rssBytes: 1, heapTotalBytes: 2, heapUsedBytes: 3, externalBytes: 4, arrayBuffersBytes: 5 }],
      gcs: [],
      leaks: [],
      cgroupLimit: null,
    },
    agents: [
      { hello: hello(100, ['/usr/bin/node', '/usr/lib/node_modules/npm/bin/npm-cli.js', 'start']), chosen: false, listeningPorts: [] },
      { hello: target, chosen: true, listeningPorts: [3000] },
      { hello: hello(102, ['/usr/bin/node', '/srv/worker.js']), chosen: false, listeningPorts: [] },
    ],
    exit: { code: null, signal: 'SIGTERM' },
    stderrTail: '',
    ending: { kind: 'completed' },
    phases: [loadPhase('warmup', 'warmup', 0, 100), loadPhase('load1', 'load', 1000, 1000), loadPhase('load2', 'load', 2000, 1000)],
    checkpoints: checkpointsFor(2048),
    analysis: null,
    analysisNote: 'snapshots were turned off (--no-snapshots): no snapshot diff',
    files: runFilesIn('/tmp/r-1'),
    ...overrides,
  };
}

test('a growing heap gives a leak verdict, and the report carries the record on the run clock', () => {
  const report = buildRunReport(record());
  assert.equal(report.verdict.outcome, 'leak');
  assert.ok(report.verdict.reasons.some((r) => r.kind === 'heap-trend' && r.leak));
  assert.equal(report.startedAt, '2026-12-01T12:00:00.000Z');
  assert.equal(report.durationMs, 4321);
  assert.deepEqual(report.tool, { name: 'leakcheck', version: '9.9.9' });
  assert.equal(report.samples[0]!.atMs, 1500);
  assert.equal(report.samples[0]!.phase, 'load1');
  assert.equal(report.target.exit, null, 'a target the runner stopped did not crash');
  assert.equal(report.analysisNote, 'snapshots were turned off (--no-snapshots): no snapshot diff');
  assert.equal(report.files.reportJson, '/tmp/r-1/report.json');
});

test('each process seen is listed with why it was or was not taken as the target', () => {
  const report = buildRunReport(record());
  assert.deepEqual(report.target.agents.map((a) => [a.pid, a.chosen, a.note]), [
    [100, false, 'package-manager wrapper'],
    [101, true, 'listens on port 3000'],
    [102, false, 'not the process that serves the load'],
  ]);
  assert.equal(report.target.pid, 101);
});

test('a target that exited during a phase is a crash with its exit status; out-of-memory in stderr makes it a leak', () => {
  const flat = checkpointsFor(0);
  const crashed = buildRunReport(record({ ending: { kind: 'target-exited', phase: 'load1' }, exit: { code: 1, signal: null }, checkpoints: flat.slice(0, 3) }));
  assert.equal(crashed.verdict.outcome, 'crashed');
  assert.deepEqual(crashed.target.exit, { code: 1, signal: null, phase: 'load1' });
  assert.equal(crashed.target.outOfMemory, false);
  const oom = buildRunReport(record({
    ending: { kind: 'target-exited', phase: 'load2' }, exit: { code: null, signal: 'SIGABRT' }, checkpoints: flat,
    stderrTail: 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
  }));
  assert.equal(oom.verdict.outcome, 'leak');
  assert.equal(oom.target.outOfMemory, true);
});

test('an interrupted run is interrupted, and a load where every request failed is inconclusive', () => {
  const interrupted = buildRunReport(record({ ending: { kind: 'interrupted', phase: 'load2' }, checkpoints: checkpointsFor(0) }));
  assert.equal(interrupted.verdict.outcome, 'interrupted');
  const failing = record({
    checkpoints: checkpointsFor(0),
    phases: [loadPhase('warmup', 'warmup', 0, 100, { error: 100 }), loadPhase('load1', 'load', 1000, 1000, { error: 1000 }), loadPhase('load2', 'load', 2000, 1000, { error: 1000 })],
  });
  assert.equal(buildRunReport(failing).verdict.outcome, 'inconclusive');
});

test('memwatch rule firings the agent did not get to send are replayed from its GC samples', () => {
  const gcs = Array.from({ length: 7 }, (_, i) => ({
    timeMs: t0 + 1000 + i * 100, usedHeapBytes: (10 + i) * MiB, totalHeapBytes: 0, totalHeapExecutableBytes: 0, totalPhysicalBytes: 0,
    totalAvailableBytes: 0, heapSizeLimitBytes: 0, mallocedBytes: 0, peakMallocedBytes: 0, gcPauseNs: 1e6, scavengeCount: 0, scavengeTotalNs: 0,
    markSweepCompactCount: i, markSweepCompactTotalNs: 0, incrementalMarkingCount: 0, incrementalMarkingTotalNs: 0,
    processWeakCallbacksCount: 0, processWeakCallbacksTotalNs: 0, forced: false, source: 'memwatch' as const,
  }));
  const base = record();
  const report = buildRunReport({ ...base, target: { ...base.target, gcs } });
  assert.deepEqual(report.memwatchRule, [{ atMs: 1500, consecutiveIncreases: 5, growthBytes: 5 * MiB, durationMs: 500 }]);
  assert.equal(report.gcs.length, 7);
});

test('the snapshot diff is skipped with a reason when it cannot run', () => {
  assert.match(analysisSkipReason({ kind: 'interrupted', phase: 'load1' }, true, 3, true)!, /interrupted/);
  assert.match(analysisSkipReason({ kind: 'completed' }, false, 0, true)!, /--no-snapshots/);
  assert.equal(analysisSkipReason({ kind: 'completed' }, true, 2, true), 'snapshot diff needs 3 snapshots, the run has 2');
  assert.match(analysisSkipReason({ kind: 'completed' }, true, 3, false)!, /turned off/);
  assert.equal(analysisSkipReason({ kind: 'target-exited', phase: 'load2' }, true, 3, true), undefined, 'a crash after the last snapshot still gets its diff');
});

test('a cluster worker lost mid-run leaves it and the run inconclusive, never clean', () => {
  const flat = checkpointsFor(0);
  const worker = (pid: number, lost?: { phase: string; error: string }) => ({
    hello: { ...hello(pid, ['/usr/bin/node', '/srv/app.js']), clusterWorkerId: pid - 200 },
    checkpoints: lost === undefined ? flat : flat.slice(0, 5), snapshots: [], gcs: [], leaks: [], analysis: null, ...(lost === undefined ? {} : { lost }),
  });
  const whole = buildRunReport(record({ checkpoints: flat, processes: [worker(201), worker(202)] }));
  assert.equal(whole.verdict.outcome, 'clean', 'both workers measured to the end');
  const report = buildRunReport(record({ checkpoints: flat, processes: [worker(201), worker(202, { phase: 'load2', error: 'the agent disconnected' })] }));
  assert.equal(report.processes![1]!.verdict.outcome, 'inconclusive');
  assert.equal(report.processes![1]!.verdict.partial, true);
  assert.equal(report.processes![0]!.verdict.outcome, 'clean');
  assert.equal(report.verdict.outcome, 'inconclusive');
  assert.equal(report.verdict.leak, false);
});
