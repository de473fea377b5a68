import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunkRequests, commandCheckpointIntervals, scheduleCheckpoints } from '../../src/runner/checkpoint-policy.js';
import { buildLoadPlan, parsePhases } from '../../src/runner/index.js';

const all = { checkpointsPerPhase: 4, snapshots: true, heapDiff: true };

test('warm-up then two load phases: three snapshots, the HeapDiff started, restarted and ended at the measured boundaries', () => {
  const schedules = scheduleCheckpoints(buildLoadPlan({}), all);
  assert.deepEqual(schedules, [
    { chunks: 1, end: { boundary: true, measured: true, snapshotFile: '00-warmup.heapsnapshot', heapDiff: 'start' } },
    { chunks: 4, mid: { boundary: false }, end: { boundary: true, measured: true, snapshotFile: '01-load1.heapsnapshot', heapDiff: 'restart' } },
    { chunks: 4, mid: { boundary: false }, end: { boundary: true, measured: true, snapshotFile: '02-load2.heapsnapshot', heapDiff: 'end' } },
  ]);
});

test('without a warm-up the baseline is spliced in front of load1, named start', () => {
  const schedules = scheduleCheckpoints(buildLoadPlan({ warmupRequests: 0, loadPhases: 3, idleMs: 1000 }), { ...all, checkpointsPerPhase: 2 });
  assert.deepEqual(schedules[0]!.baseline, { boundary: true, measured: true, snapshotFile: '00-start.heapsnapshot', heapDiff: 'start' });
  assert.deepEqual(schedules.map((s) => [s.chunks, s.end.snapshotFile, s.end.heapDiff]), [
    [2, '01-load1.heapsnapshot', 'restart'], [2, '02-load2.heapsnapshot', 'restart'], [2, '03-load3.heapsnapshot', 'end'], [1, undefined, undefined],
  ]);
  assert.equal(schedules[3]!.mid, undefined, 'an idle phase is not measured in the middle');
  assert.equal(schedules.slice(1).some((s) => s.baseline), false);
});

test('only the last of several warm-ups is measured; unsafe phase names become safe file names', () => {
  const phases = parsePhases({ phases: [
    { name: 'w1', kind: 'warmup', requests: 1 }, { name: '../w 2', kind: 'warmup', requests: 1 },
    { name: 'a', requests: 1 }, { name: 'b', requests: 1 },
  ] }, 'p.json', {});
  const schedules = scheduleCheckpoints(phases, { checkpointsPerPhase: 1, snapshots: true, heapDiff: false });
  assert.deepEqual(schedules.map((s) => s.end), [
    { boundary: true }, { boundary: true, measured: true, snapshotFile: '00-w_2.heapsnapshot' },
    { boundary: true, measured: true, snapshotFile: '01-a.heapsnapshot' }, { boundary: true, measured: true, snapshotFile: '02-b.heapsnapshot' },
  ]);
});

test('with snapshots and HeapDiff off every checkpoint is a forced GC and a sample only', () => {
  const schedules = scheduleCheckpoints(buildLoadPlan({}), { checkpointsPerPhase: 0, snapshots: false, heapDiff: false });
  assert.ok(schedules.every((s) => s.end.snapshotFile === undefined && s.end.heapDiff === undefined));
  assert.equal(schedules[1]!.chunks, 1, 'at least one chunk per load phase');
});

test('requests split into chunks sum to the total, the larger chunks last', () => {
  assert.deepEqual([0, 1, 2, 3].map((k) => chunkRequests(10, 4, k)), [2, 3, 2, 3]);
  assert.deepEqual([0, 1, 2].map((k) => chunkRequests(2, 3, k)), [0, 1, 1]);
  assert.equal([0, 1, 2, 3, 4, 5, 6].reduce((s, k) => s + chunkRequests(2001, 7, k), 0), 2001);
});

test('load-command checkpoints back off 1.5x up to 5 s, or stay at a longer first interval', () => {
  const next = commandCheckpointIntervals(250);
  assert.deepEqual(Array.from({ length: 10 }, next), [250, 375, 562.5, 843.75, 1265.625, 1898.4375, 2847.65625, 4271.484375, 5000, 5000]);
  const slow = commandCheckpointIntervals(8000);
  assert.deepEqual([slow(), slow()], [8000, 8000]);
});
