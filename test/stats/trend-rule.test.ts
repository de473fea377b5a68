import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memwatchRuleEvents, TrendRule, type MemwatchRuleInput } from '../../src/stats/index.js';

const MiB = 1024 * 1024;
const gcs = (values: readonly number[]): MemwatchRuleInput[] => values.map((v, i) => ({ timeMs: i * 1000, usedHeapBytes: Math.round(v * MiB), forced: false }));
const fire = (samples: readonly MemwatchRuleInput[], rule = new TrendRule()) => samples.map((s) => rule.push(s)).filter((e) => e !== undefined);

// A slow leak (0.5 MiB per GC) under noise that drops the heap every third GC: memwatch's rule never
// sees five increases in a row; the rank test sees the rise.
const noisyLeak = Array.from({ length: 30 }, (_, i) => 50 + 0.5 * i + (i % 3 === 2 ? -1.2 : 0));

test('a slow leak with a drop every third GC fires the trend rule and not the memwatch rule', () => {
  assert.equal(memwatchRuleEvents(gcs(noisyLeak)).length, 0);
  const events = fire(gcs(noisyLeak));
  assert.ok(events.length >= 1);
  const first = events[0]!;
  assert.ok(first.points >= 8 && first.pValue < 0.01, JSON.stringify(first));
  assert.ok(Math.abs(first.slopeBytesPerSecond - 0.5 * MiB) < 0.2 * MiB, `slope ${first.slopeBytesPerSecond}`);
});

test('five tiny increases fire the memwatch rule; below the minimum growth the trend rule stays quiet', () => {
  const warming = [50, 50.01, 50.02, 50.03, 50.04, 50.05, 50.06, 50.07, 50.08, 50.09, 50.1, 50.1, 50.1];
  assert.ok(memwatchRuleEvents(gcs(warming)).length >= 1);
  assert.deepEqual(fire(gcs(warming)), []);
});

test('a cache that filled and stopped is a rise that is over: no event', () => {
  const filled = [...Array.from({ length: 12 }, (_, i) => 50 + i), ...Array(10).fill(62)];
  const rule = new TrendRule({ minGcs: 20 });
  assert.deepEqual(fire(gcs(filled), rule), []);
  assert.ok(rule.state.pValue < 0.01, 'the window is still significantly higher at its end than at its start');
});

test('forced GCs are not counted, and the window starts again after an event', () => {
  const rule = new TrendRule();
  const leak = gcs(Array.from({ length: 8 }, (_, i) => 50 + 2 * i));
  for (const s of leak.slice(0, 7)) {
    assert.equal(rule.push(s), undefined);
    assert.equal(rule.push({ ...s, usedHeapBytes: 0, forced: true }), undefined);
  }
  assert.equal(rule.state.points, 7);
  assert.ok(rule.push(leak[7]!), 'the eighth program GC fires');
  assert.equal(rule.push({ timeMs: 9000, usedHeapBytes: 70 * MiB, forced: false }), undefined);
  assert.equal(rule.state.points, 1);
});
