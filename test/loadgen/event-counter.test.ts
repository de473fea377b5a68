import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventCounter, readDecimal } from '../../src/loadgen/event-counter.js';
import { encodeEvent, HEARTBEAT_FRAME } from '../../src/server/sse-frame.js';

class Sink {
  readonly latencies: number[] = [];
  record(ms: number): void {
    this.latencies.push(ms);
  }
}

test('EventCounter counts events and heartbeats and reads send times, whatever the read boundaries', () => {
  const stream = Buffer.concat([
    Buffer.from('retry: 2000\n\n'),
    encodeEvent('n.1', Buffer.from(`1000.250 ${'x'.repeat(100)}`)),
    HEARTBEAT_FRAME,
    encodeEvent('n.2', Buffer.from('990\nsecond line')),
    encodeEvent('n.3', Buffer.from('not a time')),
    Buffer.from('data:1001.5\r\n\r\n'),
  ]);
  for (const size of [1, 2, 3, 7, 40, 41, stream.length]) {
    const counter = new EventCounter();
    const sink = new Sink();
    let events = 0;
    for (let at = 0; at < stream.length; at += size) {
      // The bytes sit at an offset in a larger buffer, as in the worker's shared onread buffer.
      const shared = Buffer.alloc(4096, 0x0a);
      const piece = stream.subarray(at, at + size);
      piece.copy(shared, 100);
      events += counter.push(shared, 100, 100 + piece.length, sink, () => 1002);
    }
    assert.equal(events, 4, `read size ${size}`);
    assert.equal(counter.events, 4);
    assert.equal(counter.comments, 1);
    assert.deepEqual(sink.latencies, [1.75, 12, 0.5], `read size ${size}`);
  }
});

test('EventCounter rejects lone CR line ends and events past the bound', () => {
  assert.throws(() => new EventCounter().push(Buffer.from('data: 1\rdata: 2\n\n'), 0, 17, new Sink(), () => 0), /CR/);
  const big = Buffer.from(`data: ${'x'.repeat(200)}`);
  assert.throws(() => new EventCounter(100).push(big, 0, big.length, new Sink(), () => 0), /larger than 100/);
});

test('readDecimal reads the leading number up to a space', () => {
  const text = Buffer.from('1763912345678.125 pad');
  assert.equal(readDecimal(text, 0, text.length), 1763912345678.125);
  assert.ok(Number.isNaN(readDecimal(Buffer.from('x1'), 0, 2)));
  assert.ok(Number.isNaN(readDecimal(Buffer.from(''), 0, 0)));
});
