import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { once } from 'node:events';
import { openStream, rawExchange, request, startServer, statsUntil } from './server-process.js';

test('a client that stops reading is disconnected once its write queue passes the bound', async (t) => {
  const server = await startServer(t, ['--max-queue-bytes', '65536', '--resume-frames', '0']);
  const socket = connect({ host: '127.0.0.1', port: server.port });
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  socket.write('GET /sub/sloth HTTP/1.1\r\nHost: x\r\n\r\n');
  await statsUntil(server, (s) => s.streams === 1, 'the stream');
  socket.pause(); // never read again: kernel buffers fill, then the server's queue
  socket.on('error', () => {});
  const body = 'x'.repeat(32 * 1024);
  let dropped = false;
  // Bounded: kernel buffers on loopback hold at most a few MB, so this ends far below the cap.
  for (let k = 0; k < 2000 && !dropped; k++) {
    const reply = await request(server.port, 'POST', '/pub/sloth', body);
    dropped = JSON.parse(reply.body).delivered === 0;
  }
  assert.equal(dropped, true, 'the slow consumer was dropped within 2000 messages');
  const stats = await statsUntil(server, (s) => s.streams === 0, 'the stream gone');
  assert.equal(stats.messages.queueBoundDrops, 1, 'dropped by the queue bound');
  assert.equal(stats.messages.stallDrops, 0, 'not by the heartbeat (15 s default)');
  assert.deepEqual(stats.router, { ids: 0, connections: 0 });
});

test('a stalled stream is dropped by the heartbeat sweep even when no more messages come', async (t) => {
  const server = await startServer(t, ['--max-queue-bytes', '67108864', '--heartbeat-ms', '50', '--stall-beats', '2', '--resume-frames', '0']);
  const socket = connect({ host: '127.0.0.1', port: server.port });
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  socket.write('GET /sub/stuck HTTP/1.1\r\nHost: x\r\n\r\n');
  await statsUntil(server, (s) => s.streams === 1, 'the stream');
  socket.pause();
  socket.on('error', () => {});
  // Enough to fill the loopback kernel buffers so bytes stay queued in the server process.
  const body = 'y'.repeat(60 * 1024);
  for (let k = 0; k < 400; k++) {
    const reply = await request(server.port, 'POST', '/pub/stuck', body);
    if (JSON.parse(reply.body).delivered === 0) break;
  }
  const stats = await statsUntil(server, (s) => s.streams === 0, 'the stalled stream dropped');
  assert.equal(stats.messages.stallDrops, 1, 'dropped by the heartbeat sweep');
  assert.equal(stats.messages.queueBoundDrops, 0, 'not by the 64 MiB queue bound');
});

test('broadcasts joined into one write never trip the queue bound that each alone would pass', async (t) => {
  const server = await startServer(t, ['--max-queue-bytes', '2000']);
  const stream = await openStream(t, server.port, '/sub/reader');
  const body = 'y'.repeat(1500);
  const post = (close: boolean) => `POST /broadcast HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n${close ? 'Connection: close\r\n' : ''}\r\n${body}`;
  await rawExchange(server.port, post(false) + post(false) + post(true));
  await stream.untilEvents(3);
  const stats = await statsUntil(server, (s) => s.messages.delivered === 3, 'three frames delivered');
  assert.equal(stats.messages.queueBoundDrops, 0);
  assert.equal(stats.messages.stallDrops, 0);
  assert.equal(stats.streams, 1);
});
