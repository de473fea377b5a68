import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemwatchRule, memwatchRuleEvents } from '../../src/stats/index.js';

const MiB = 1024 * 1024;

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
