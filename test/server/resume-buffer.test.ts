import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResumeBuffer } from '../../src/server/resume-buffer.js';

const frame = (text: string) => Buffer.from(text);
const limits = { framesPerId: 3, maxIds: 2, maxBytes: 1 << 20, ttlMs: 1_000 };

test('a resume inside the ring is exact and reports no gap', () => {
  const buffer = new ResumeBuffer(limits);
  for (let seq = 1; seq <= 3; seq++) buffer.record('a', seq, frame(`m${seq}`), 0);
  const missed = buffer.framesAfter('a', 1);
  assert.deepEqual(missed.frames.map((f) => f.seq), [2, 3]);
  assert.equal(missed.gap, false);
  assert.equal(buffer.framesAfter('a', -1).gap, false, 'an unplaceable id is the caller\'s to report');
});

test('a resume from before what the ring still holds reports a gap', () => {
  const buffer = new ResumeBuffer(limits);
  for (let seq = 1; seq <= 5; seq++) buffer.record('a', seq, frame(`m${seq}`), 0);
  assert.deepEqual(buffer.framesAfter('a', 1), { frames: [3, 4, 5].map((seq) => ({ seq, frame: frame(`m${seq}`) })), gap: true });
  assert.equal(buffer.framesAfter('a', 2).gap, false, 'frame 2 was the newest dropped: resuming after it misses nothing');
});

test('an id evicted whole may have held newer frames: a resume from below them reports a gap', () => {
  const buffer = new ResumeBuffer(limits);
  buffer.record('a', 1, frame('a1'), 0);
  buffer.record('b', 2, frame('b2'), 0);
  buffer.record('c', 3, frame('c3'), 0); // maxIds 2: 'a' goes
  assert.equal(buffer.idCount, 2);
  assert.deepEqual(buffer.framesAfter('a', 0), { frames: [], gap: true });
  assert.deepEqual(buffer.framesAfter('a', 1), { frames: [], gap: false }, 'nothing newer than its last frame was evicted');
  buffer.sweep(5_000); // the TTL drops the rest
  assert.equal(buffer.idCount, 0);
  assert.equal(buffer.byteCount, 0);
  assert.equal(buffer.framesAfter('c', 2).gap, true);
});

test('a buffer filled from a log that starts later reports a gap for resumes from before that start', () => {
  const buffer = new ResumeBuffer(limits);
  buffer.missedThrough(10);
  buffer.record('a', 11, frame('m11'), 0);
  assert.equal(buffer.framesAfter('a', 4).gap, true, 'frames 5-10 may have been sent to a');
  assert.equal(buffer.framesAfter('b', 4).gap, true, 'and to an id it holds nothing for');
  assert.deepEqual(buffer.framesAfter('a', 10), { frames: [{ seq: 11, frame: frame('m11') }], gap: false });
  buffer.missedThrough(3);
  assert.equal(buffer.framesAfter('a', 9).gap, true, 'an older start does not lower it');
});
