// A flood's accounting: a refused send and a send left unanswered when the flood stops are told
// apart, since an unanswered send may still have been delivered (the 250k bench counts on it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { Flood } from '../../src/loadgen/floods.js';

/** A TCP server that reads requests and answers each with `answer(count)`, or not at all (null). */
async function fakeServer(t: { after: (fn: () => unknown) => void }, answer: (count: number) => string | null): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    let count = 0;
    socket.on('data', (chunk) => {
      // Pipelined requests arrive back to back, each body right before the next request line.
      for (const _ of chunk.toString('latin1').matchAll(/POST \/pub\//g)) {
        const reply = answer(++count);
        if (reply !== null) socket.write(reply);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return (server.address() as { port: number }).port;
}

const settings = (port: number) => ({
  targets: [{ host: '127.0.0.1', port }], localAddress: '127.0.0.1', ratePerSecond: 200, mode: 'id' as const, bodyBytes: 64,
  publishers: 2, pipeline: 4, idPrefix: 'u', idCount: 10, authSecret: null,
});

test('a flood counts 200 answers as acked with their deliveries, other statuses as rejected, and what is in flight at stop as unanswered', async (t) => {
  const ok = 'HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n{"delivered":3}';
  const refused = 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n';
  // Per connection: the first 3 sends answered 200, the 4th 503, the rest never answered.
  const port = await fakeServer(t, (count) => (count <= 3 ? ok : count === 4 ? refused : null));
  const flood = new Flood(settings(port));
  await new Promise((resolve) => setTimeout(resolve, 500));
  await flood.stop(100);
  const c = flood.counters;
  assert.equal(c.acked, 6, JSON.stringify(c));
  assert.equal(c.deliveries, 18);
  assert.equal(c.rejected, 2);
  // Each connection stops at its pipeline: 4 unanswered in flight, all counted when the flood closes them.
  assert.equal(c.unanswered, 8);
  assert.equal(c.published, c.acked + c.rejected + c.unanswered);
  assert.ok(c.behind > 0, 'the rate outran the full pipelines');
});

test('stop() waits up to its grace for late answers, which then count as acked, not unanswered', async (t) => {
  let late: Array<() => void> = [];
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      for (const _ of chunk.toString('latin1').matchAll(/POST \/pub\//g)) {
        late.push(() => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n{"delivered":1}'));
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  const flood = new Flood(settings((server.address() as { port: number }).port));
  await new Promise((resolve) => setTimeout(resolve, 300));
  // Answer everything 400 ms after the flood was told to stop: inside a 5 s grace.
  const stopping = flood.stop(5000);
  setTimeout(() => {
    for (const answer of late) answer();
    late = [];
  }, 400);
  await stopping;
  assert.equal(flood.counters.unanswered, 0, JSON.stringify(flood.counters));
  assert.equal(flood.counters.acked, flood.counters.published);
});
