import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeTrends, decideVerdict } from '../../src/runner/index.js';
import type { RunCheckpoint, RunPhase } from '../../src/report/index.js';

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
  const verdict = decideVerdict({ trends, findings: [], memwatchRule: [], crashed: false, outOfMemory: false });
  assert.equal(verdict.outcome, 'leak');
  assert.ok(verdict.reasons.some((r) => r.kind === 'heap-trend' && r.leak));
});

test('a cache that fills during load1 and stays flat in load2 is not a leak', () => {
  const trends = computeTrends(checkpoints(4, 1000, (r) => 10 * MiB + Math.min(r, 1000) * 4096), phases, { minGrowthBytes: MiB });
  assert.equal(trends.find((t) => t.series === 'heapUsed')!.increasing, false);
  const verdict = decideVerdict({ trends, findings: [], memwatchRule: [], crashed: false, outOfMemory: false, minGrowthBytes: MiB });
  assert.equal(verdict.outcome, 'clean');
  assert.match(verdict.reasons.find((r) => r.kind === 'heap-trend')!.message, /rose, then stopped/);
});

test('off-heap growth is reported as its own reason while the heap stays flat', () => {
  const trends = computeTrends(checkpoints(4, 1000, () => 10 * MiB, (r) => MiB + r * 16384), phases, { minGrowthBytes: MiB });
  const verdict = decideVerdict({ trends, findings: [], memwatchRule: [], crashed: false, outOfMemory: false });
  assert.equal(verdict.outcome, 'leak');
  assert.deepEqual(verdict.reasons.filter((r) => r.leak).map((r) => r.kind), ['off-heap-trend']);
});

test('RSS growth alone is explained as memory not returned to the OS, not called a leak', () => {
  const base = checkpoints(4, 1000, () => 10 * MiB);
  const withRss = base.map((c) => ({ ...c, rssBytes: 50 * MiB + c.requestsSoFar * 8192 }));
  const trends = computeTrends(withRss, phases, { minGrowthBytes: MiB });
  const verdict = decideVerdict({ trends, findings: [], memwatchRule: [], crashed: false, outOfMemory: false });
  assert.equal(verdict.outcome, 'clean');
  assert.match(verdict.reasons.find((r) => r.kind === 'rss-only')!.message, /not returned to the OS/);
  const withSnapshots = decideVerdict({ trends, findings: [], memwatchRule: [], crashed: false, outOfMemory: false, snapshotsTaken: true });
  assert.equal(withSnapshots.reasons.some((r) => r.kind === 'rss-only'), false);
});

test('a crash is its own outcome; an out-of-memory crash is a leak', () => {
  const trends = computeTrends(checkpoints(1, 1000, () => 10 * MiB), phases, { minGrowthBytes: MiB });
  assert.equal(decideVerdict({ trends, findings: [], memwatchRule: [], crashed: true, outOfMemory: false, crashDescription: 'exited with code 1 during load1' }).outcome, 'crashed');
  assert.equal(decideVerdict({ trends, findings: [], memwatchRule: [], crashed: true, outOfMemory: true }).outcome, 'leak');
});

test('a snapshot finding of severity leak is a leak even when the heap trend is below the threshold', () => {
  const trends = computeTrends(checkpoints(4, 1000, () => 10 * MiB), phases, { minGrowthBytes: MiB });
  const verdict = decideVerdict({
    trends, memwatchRule: [], crashed: false, outOfMemory: false,
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
  assert.match(snapshotReasons[0]!.message, /'error': 700 listeners/);
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
