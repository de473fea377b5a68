import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeEvent, HEARTBEAT_FRAME, SseDecoder } from '../../src/server/sse-frame.js';

test('an event frame is an id line, one data line per input line, and a blank line', () => {
  assert.equal(encodeEvent('n.1', Buffer.from('hello')).toString(), 'id: n.1\ndata: hello\n\n');
  assert.equal(encodeEvent('n.2', Buffer.from('a\nb\r\nc\rd')).toString(), 'id: n.2\ndata: a\ndata: b\ndata: c\ndata: d\n\n');
  assert.equal(encodeEvent('n.3', Buffer.alloc(0)).toString(), 'id: n.3\ndata: \n\n');
  assert.equal(encodeEvent('n.4', Buffer.from('x\n')).toString(), 'id: n.4\ndata: x\ndata: \n\n');
});

test('the decoder reads back what the encoder wrote, whatever the chunking', () => {
  const bodies = ['plain', 'two\nlines', 'ünïcödé ✓', '', 'trailing\n', 'cr\rand\r\ncrlf'];
  const stream = Buffer.concat([HEARTBEAT_FRAME, ...bodies.map((body, k) => encodeEvent(`t.${k}`, Buffer.from(body)))]);
  for (const size of [1, 2, 3, 7, stream.length]) {
    const decoder = new SseDecoder();
    const events = [];
    for (let offset = 0; offset < stream.length; offset += size) events.push(...decoder.push(stream.subarray(offset, offset + size)));
    assert.deepEqual(events.map((e) => e.id), bodies.map((_, k) => `t.${k}`));
    assert.deepEqual(events.map((e) => e.data), bodies.map((b) => b.replace(/\r\n|\r/g, '\n')));
    assert.equal(decoder.comments, 1);
  }
});

test('the decoder refuses an event larger than its bound instead of buffering it', () => {
  const decoder = new SseDecoder(100);
  assert.throws(() => decoder.push(Buffer.from(`data: ${'x'.repeat(200)}`)), /larger than 100 bytes/);
});
