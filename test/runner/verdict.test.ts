import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeTrends, decideVerdict, judgeTrend } from '../../src/runner/index.js';
import { describeReason, type RunCheckpoint, type RunPhase, type RunVerdict } from '../../src/report/index.js';

const words = (verdict: RunVerdict, kind: string) => describeReason(verdict.reasons.find((r) => r.kind === kind)!, []);

const MiB = 1024 * 1024;

function phase(name: string, kind: RunPhase['kind'], requests: number): RunPhase {
  return { name, kind, startMs: 0, endMs: 0, http: { requests, statusCounts: {}, errors: 0, errorSamples: [], durationMs: 1, requestsPerSecond: 1, latencyP50Ms: 1, latencyP99Ms: 1, latencyMaxMs: 1 } };
}

/** Checkpoints: one warm-up boundary, then `perPhase` per load phase; heap/external from callbacks of the request count. */
function checkpoints(perPhase: number, requestsPerPhase: number, heap: (req: number) => number, external: (req: number) => number = () => MiB): RunCheckpoint[] {
  const out: RunCheckpoint[] = [];
  const add = (phaseName: string, req: number, boundary: boolean) => out.push({
    atMs: req, phase: phaseName, requestsSoFar: req, boundary, rssBytes: 50 * MiB, heapTotalBytes: 0,
    heapUsedBytes: heap(req), externalBytes: external(req), arrayBuffersBytes: 0, gcMs: 1, totalMs: 1,
  });
  add('warmup', 0, true);
  for (const [p, name] of ['load1', 'load2'].entries()) {
    for (let k = 1; k <= perPhase; k++) add(name, p * requestsPerPhase + (k * requestsPerPhase) / perPhase, k === perPhase);
  }
  return out;
}

const phases = [phase('warmup', 'warmup', 100), phase('load1', 'load', 1000), phase('load2', 'load', 1000)];

test('a heap that grows in both load phases is a leak, and the reason says so', () => {
  const trends = computeTrends(checkpoints(4, 1000, (r) => 10 * MiB + r * 2048), phases, { minGrowthBytes: MiB });
  const heap = trends.find((t) => t.series === 'heapUsed')!;
  assert.equal(heap.increasing, true);
  assert.equal(Math.round(heap.growthPer1000RequestsBytes), 2048 * 1000);
  const verdict = decideVerdict({ trends, findings: [], memwatchRule: [], outOfMemory: false });
  assert.equal(verdict.outcome, 'leak');
  assert.ok(verdict.reasons.some((r) => r.kind === 'heap-trend' && r.leak));
});

test('a cache that fills during load1 and stays flat in load2 is not a leak', () => {
  const trends = computeTrends(checkpoints(4, 1000, (r) => 10 * MiB + Math.min(r, 1000) * 4096), phases, { minGrowthBytes: MiB });
  assert.equal(trends.find((t) => t.series === 'heapUsed')!.increasing, false);
  const verdict = decideVerdict({ trends, findings: [], memwatchRule: [], outOfMemory: false, minGrowthBytes: MiB });
  assert.equal(verdict.outcome, 'clean');
  assert.match(words(verdict, 'heap-trend'), /rose, then stopped/);
});

test('off-heap growth is reported as its own reason while the heap stays flat', () => {
  const trends = computeTrends(checkpoints(4, 1000, () => 10 * MiB, (r) => MiB + r * 16384), phases, { minGrowthBytes: MiB });
  const verdict = decideVerdict({ trends, findings: [], memwatchRule: [], outOfMemory: false });
  assert.equal(verdict.outcome, 'leak');
  assert.deepEqual(verdict.reasons.filter((r) => r.leak).map((r) => r.kind), ['off-heap-trend']);
});

test('RSS growth alone is explained as memory not returned to the OS, not called a leak', () => {
  const base = checkpoints(4, 1000, () => 10 * MiB);
  const withRss = base.map((c) => ({ ...c, rssBytes: 50 * MiB + c.requestsSoFar * 8192 }));
  const trends = computeTrends(withRss, phases, { minGrowthBytes: MiB });
  const verdict = decideVerdict({ trends, findings: [], memwatchRule: [], outOfMemory: false });
  assert.equal(verdict.outcome, 'clean');
  assert.match(words(verdict, 'rss-only'), /not returned to the OS/);
  const withSnapshots = decideVerdict({ trends, findings: [], memwatchRule: [], outOfMemory: false, snapshotsTaken: true });
  assert.equal(withSnapshots.reasons.some((r) => r.kind === 'rss-only'), false);
});

test('a crash is its own outcome; an out-of-memory crash is a leak', () => {
  const trends = computeTrends(checkpoints(1, 1000, () => 10 * MiB), phases, { minGrowthBytes: MiB });
  assert.equal(decideVerdict({ trends, findings: [], memwatchRule: [], crash: { phase: 'load1', exit: { code: 1, signal: null } }, outOfMemory: false }).outcome, 'crashed');
  assert.equal(decideVerdict({ trends, findings: [], memwatchRule: [], crash: { phase: 'load2', exit: { code: null, signal: 'SIGABRT' } }, outOfMemory: true }).outcome, 'leak');
});

test('a snapshot finding of severity leak is a leak even when the heap trend is below the threshold', () => {
  const trends = computeTrends(checkpoints(4, 1000, () => 10 * MiB), phases, { minGrowthBytes: MiB });
  const verdict = decideVerdict({
    trends, memwatchRule: [], outOfMemory: false,
    findings: [
      {
        kind: 'duplicate-listeners', severity: 'leak', subject: { emitter: 'EventEmitter', emitterId: 5, event: 'error' }, retainedSize: 3e6, growth: { count: 600, bytes: 2e6 },
        location: null, retainerPath: null, evidence: { unit: 'listeners', counts: [100, 400, 700], bytes: [1, 2, 3], survivingCount: 300 },
      },
      {
        kind: 'class-growth', severity: 'suspect', subject: { className: '(string)', holder: null }, retainedSize: 1e4, growth: { count: 146, bytes: 1e4 },
        location: null, retainerPath: null, evidence: { unit: 'objects', counts: [1, 2, 3], bytes: [1, 2, 3], survivingCount: 146 },
      },
    ],
  });
  assert.equal(verdict.outcome, 'leak');
  const snapshotReasons = verdict.reasons.filter((r) => r.kind === 'snapshot');
  assert.equal(snapshotReasons.length, 1, 'suspects are shown in the findings, not counted as reasons');
  assert.deepEqual(snapshotReasons[0], { kind: 'snapshot', leak: true, findingIndex: 0, detector: 'duplicate-listeners', retainedBytes: 3e6, growthBytes: 2e6 });
});

// Issue 11 item 4: the run's summary counts causes, not findings.
test('leak findings under one holder give one snapshot reason, which counts the others', () => {
  const trends = computeTrends(checkpoints(4, 1000, () => 10 * MiB), phases, { minGrowthBytes: MiB });
  const listeners = (event: string, emitterId: number) => ({
    kind: 'duplicate-listeners' as const, severity: 'leak' as const, subject: { emitter: 'ConsoleTransport', emitterId, event }, retainedSize: 3e4, growth: { count: 600, bytes: 2e4 },
    location: null, retainerPath: null, evidence: { unit: 'listeners' as const, counts: [20, 320, 620], bytes: [1, 2, 3], survivingCount: 300 },
  });
  const findings = [listeners('error', 5), listeners('logged', 5), listeners('flush', 5), listeners('close', 9)];
  const causes = [
    { findingIndex: 0, related: [1, 2], severity: 'leak' as const, growthBytes: 4.5e5 },
    { findingIndex: 3, related: [], severity: 'leak' as const, growthBytes: 2e4 },
  ];
  const verdict = decideVerdict({ trends, memwatchRule: [], outOfMemory: false, findings, causes });
  const snapshotReasons = verdict.reasons.filter((r) => r.kind === 'snapshot');
  assert.deepEqual(snapshotReasons.map((r) => r.kind === 'snapshot' && [r.findingIndex, r.relatedFindings, r.causeGrowthBytes]), [[0, 2, 4.5e5], [3, undefined, undefined]]);
  assert.match(describeReason(snapshotReasons[0]!, findings), /; one cause with 2 more findings under the same holder, which keeps 439 KiB allocated since warm-up\)$/);
  assert.doesNotMatch(describeReason(snapshotReasons[1]!, findings), /one cause/);
  // Without causes (a report saved before them) every leak finding is a reason of its own.
  assert.equal(decideVerdict({ trends, memwatchRule: [], outOfMemory: false, findings }).reasons.filter((r) => r.kind === 'snapshot').length, 4);
});

test('reasons are facts in base units: a growing heap carries its trend, judgement and --min-growth', () => {
  const trends = computeTrends(checkpoints(4, 1000, (r) => 10 * MiB + r * 2048), phases, { minGrowthBytes: MiB });
  const verdict = decideVerdict({ trends, findings: [], memwatchRule: [{ atMs: 5, consecutiveIncreases: 5, growthBytes: 3 * MiB, durationMs: 9 }], outOfMemory: false, minGrowthBytes: MiB });
  const heap = verdict.reasons.find((r) => r.kind === 'heap-trend');
  assert.ok(heap && heap.kind === 'heap-trend');
  assert.equal(heap.judgement, 'keeps-growing');
  assert.equal(heap.minGrowthBytes, MiB);
  assert.equal(heap.trend.series, 'heapUsed');
  assert.equal(heap.trend.growthBytes, 2000 * 2048);
  assert.equal(heap.trend.growthPer1000RequestsBytes, 2048 * 1000);
  assert.equal(heap.trend.points, 9);
  assert.deepEqual(verdict.reasons.find((r) => r.kind === 'memwatch-rule'), { kind: 'memwatch-rule', leak: false, firings: 1, consecutiveIncreases: 5, growthBytes: 3 * MiB });
  assert.equal(verdict.partial, false);
});

test('a crash and an interruption are facts (phase, exit status, signal) and make the verdict partial', () => {
  const trends = computeTrends(checkpoints(4, 1000, () => 10 * MiB), phases, { minGrowthBytes: MiB });
  const crashed = decideVerdict({ trends, findings: [], memwatchRule: [], outOfMemory: false, crash: { phase: 'load1', exit: { code: 1, signal: null } } });
  assert.deepEqual(crashed.reasons[0], { kind: 'crash', leak: false, phase: 'load1', exit: { code: 1, signal: null } });
  assert.equal(crashed.partial, true);
  assert.equal(words(crashed, 'crash'), 'the target ended before the run did: exited with code 1 during load1');
  const stopped = decideVerdict({ trends, findings: [], memwatchRule: [], outOfMemory: false, interrupted: { phase: 'load2', signal: 'SIGTERM' } });
  assert.equal(stopped.outcome, 'interrupted');
  assert.equal(stopped.partial, true);
  assert.equal(words(stopped, 'interrupted'), 'the run was stopped by SIGTERM during load2; the figures cover the run up to then');
});

test('which test a rise failed is told apart: flat, below --min-growth, within the noise, rose then stopped', () => {
  const base = { series: 'heapUsed' as const, points: 9, firstBytes: 0, lastBytes: 0, growthPer1000RequestsBytes: 0, growthPerSecondBytes: 0, growthByPhaseBytes: [] };
  assert.equal(judgeTrend({ ...base, growthBytes: 5 * MiB, pValue: 0.001, noiseBytes: 0, increasing: true }, MiB), 'keeps-growing');
  assert.equal(judgeTrend({ ...base, growthBytes: 5 * MiB, pValue: 0.2, noiseBytes: 0, increasing: false }, MiB), 'no-sustained-growth');
  assert.equal(judgeTrend({ ...base, growthBytes: -MiB, pValue: 0.001, noiseBytes: 0, increasing: false }, MiB), 'no-sustained-growth');
  assert.equal(judgeTrend({ ...base, growthBytes: MiB / 2, pValue: 0.001, noiseBytes: 0, increasing: false }, MiB), 'below-min-growth');
  assert.equal(judgeTrend({ ...base, growthBytes: 2 * MiB, pValue: 0.001, noiseBytes: MiB, increasing: false }, MiB), 'within-noise');
  assert.equal(judgeTrend({ ...base, growthBytes: 2 * MiB, pValue: 0.001, noiseBytes: 0, increasing: false }, MiB), 'stopped-growing');
});

test('with only the phase boundaries (too few points for Mann–Kendall) steady growth in every phase is still a leak', () => {
  const leaky = computeTrends(checkpoints(1, 1000, (r) => 10 * MiB + r * 1024), phases, { minGrowthBytes: MiB });
  const heap = leaky.find((t) => t.series === 'heapUsed')!;
  assert.equal(heap.points, 3);
  assert.ok(heap.pValue > 0.05, 'the rank test alone cannot decide on 3 points');
  assert.equal(heap.increasing, true);
  const warmingUp = computeTrends(checkpoints(1, 1000, (r) => 10 * MiB + (r > 1000 ? 1.9 * MiB : 0.1 * MiB)), phases, { minGrowthBytes: MiB });
  assert.equal(warmingUp.find((t) => t.series === 'heapUsed')!.increasing, false, 'growth concentrated in one phase is not steady');
  const small = computeTrends(checkpoints(1, 1000, (r) => 10 * MiB + r * 100), phases, { minGrowthBytes: MiB });
  assert.equal(small.find((t) => t.series === 'heapUsed')!.increasing, false, 'steady but below --min-growth');
});

test('the load gate: more than --max-error-rate of the load requests failing is inconclusive; at or below it, or accepted, is not', () => {
  const trends = computeTrends(checkpoints(4, 1000, () => 10 * MiB), phases, { minGrowthBytes: MiB });
  const gate = (failed: number) => decideVerdict({
    trends, findings: [], memwatchRule: [], outOfMemory: false,
    loadFailures: { requests: 100, failed, statusCounts: { 200: 100 - failed, 500: failed }, acceptedStatuses: [], maxErrorRate: 0.5, firstError: null },
  });
  assert.equal(gate(51).outcome, 'inconclusive');
  assert.equal(gate(50).outcome, 'clean');
  assert.equal(gate(50).reasons.some((r) => r.kind === 'load-failed'), false);
  const crashed = decideVerdict({
    trends, findings: [], memwatchRule: [], outOfMemory: false, crash: { phase: 'load1', exit: { code: 1, signal: null } },
    loadFailures: { requests: 100, failed: 90, statusCounts: { error: 90, 200: 10 }, acceptedStatuses: [], maxErrorRate: 0.5, firstError: 'ECONNREFUSED' },
  });
  assert.equal(crashed.outcome, 'crashed');
  assert.equal(crashed.reasons.some((r) => r.kind === 'load-failed'), false, 'a crash explains its own refused connections');
});
