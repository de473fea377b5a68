import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MemwatchRule, mannKendall, memwatchRuleEvents, normalCdf, theilSenSlope, trendTest, type TrendPoint,
} from '../../src/agent/leak-heuristic.js';

/** Deterministic pseudo-random noise in [-1, 1) (a small LCG), so series are reproducible. */
function noise(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  };
}

const MiB = 1024 * 1024;

function series(n: number, f: (i: number) => number): TrendPoint[] {
  return Array.from({ length: n }, (_, i) => ({ x: i * 100, y: f(i) }));
}

test('the memwatch rule fires after five consecutive post-GC increases and then counts again', () => {
  const values = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
  const events = memwatchRuleEvents(values.map((v, i) => ({ timeMs: i * 1000, usedHeapBytes: v * MiB, forced: false })));
  assert.equal(events.length, 2);
  assert.deepEqual(
    { consecutive: events[0]!.consecutiveIncreases, start: events[0]!.startBytes, end: events[0]!.endBytes, durationMs: events[0]!.durationMs },
    { consecutive: 5, start: 10 * MiB, end: 15 * MiB, durationMs: 5000 },
  );
  assert.equal(events[1]!.startBytes, 15 * MiB);
  assert.equal(events[1]!.endBytes, 20 * MiB);
});

test('the memwatch rule resets on any decrease and ignores forced GCs', () => {
  const rule = new MemwatchRule();
  const push = (v: number, forced = false) => rule.push({ timeMs: v, usedHeapBytes: v, forced });
  for (const v of [1, 2, 3, 4, 5]) assert.equal(push(v), undefined);
  assert.equal(push(4), undefined, 'a drop resets the count');
  for (const v of [5, 6, 7, 8]) assert.equal(push(v), undefined);
  assert.equal(push(100, true), undefined, 'a forced GC neither counts nor resets');
  assert.ok(push(9), 'the fifth increase after the drop fires');
});

test('Theil–Sen ignores a single wild outlier that would drag a least-squares line', () => {
  const points = series(20, (i) => 1000 + 10 * i);
  points[7] = { x: points[7]!.x, y: 1e9 };
  assert.equal(theilSenSlope(points), 10 / 100);
});

test('Mann–Kendall gives a tiny p-value for a steady rise and about one half for a flat series', () => {
  const rising = mannKendall(Array.from({ length: 12 }, (_, i) => i));
  assert.equal(rising.s, 66);
  assert.ok(rising.pValue < 0.001, `p=${rising.pValue}`);
  const flat = mannKendall(Array.from({ length: 12 }, () => 5));
  assert.equal(flat.s, 0);
  assert.equal(flat.pValue, 1);
});

test('the normal CDF matches known quantiles', () => {
  assert.ok(Math.abs(normalCdf(0) - 0.5) < 1e-7);
  assert.ok(Math.abs(normalCdf(1.959964) - 0.975) < 1e-6);
  assert.ok(Math.abs(normalCdf(-2.326348) - 0.01) < 1e-6);
});

test('a noisy linear leak is called increasing, with the growth estimated within 10 %', () => {
  const r = noise(7);
  const points = series(40, (i) => 50 * MiB + i * 100 * 1024 + r() * 300 * 1024);
  const result = trendTest(points, { minGrowth: MiB });
  assert.equal(result.increasing, true);
  const trueGrowth = 39 * 100 * 1024;
  assert.ok(Math.abs(result.growth - trueGrowth) / trueGrowth < 0.1, `growth ${result.growth} vs ${trueGrowth}`);
});

test('noise without a trend is not a leak, even with occasional GC spikes', () => {
  const r = noise(42);
  const points = series(40, (i) => 50 * MiB + r() * 400 * 1024 + (i % 13 === 0 ? 5 * MiB : 0));
  const result = trendTest(points, { minGrowth: MiB });
  assert.equal(result.increasing, false);
});

test('a significant but small rise stays below the growth threshold', () => {
  const points = series(20, (i) => 50 * MiB + i * 1024);
  const result = trendTest(points, { minGrowth: MiB });
  assert.ok(result.pValue < 0.001);
  assert.equal(result.increasing, false);
});

test('three points cannot make a trend significant: the rule needs more evidence', () => {
  const result = trendTest(series(3, (i) => i * 10 * MiB), { minGrowth: MiB });
  assert.equal(result.increasing, false);
  assert.ok(result.pValue > 0.05);
});
