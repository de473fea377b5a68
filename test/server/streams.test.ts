import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStream, rawExchange, request, startServer, statsUntil } from './server-process.js';

test('a subscriber receives messages published to its id, each with an id line', async (t) => {
  const server = await startServer(t);
  const stream = await openStream(t, server.port, '/sub/alice');
  assert.match(stream.head, /^HTTP\/1\.1 200 OK/);
  assert.match(stream.head, /content-type: text\/event-stream/i);
  const first = await request(server.port, 'POST', '/pub/alice', 'hello');
  assert.equal(first.status, 200);
  assert.deepEqual(JSON.parse(first.body), { delivered: 1 });
  await request(server.port, 'POST', '/pub/alice', 'two\nlines');
  await request(server.port, 'POST', '/pub/bob', 'not for alice');
  await stream.untilEvents(2);
  assert.deepEqual(stream.events.map((e) => e.data), ['hello', 'two\nlines']);
  const [a, b] = stream.events.map((e) => e.id);
  assert.notEqual(a, '');
  assert.notEqual(a, b);
});

test('one id with many connections and one connection under several ids both receive', async (t) => {
  const server = await startServer(t);
  const first = await openStream(t, server.port, '/sub/room');
  const second = await openStream(t, server.port, '/sub/room');
  const multi = await openStream(t, server.port, '/sub/room,alice');
  const response = await request(server.port, 'POST', '/pub/room', 'to the room');
  assert.deepEqual(JSON.parse(response.body), { delivered: 3 });
  await request(server.port, 'POST', '/pub/alice', 'to alice');
  await Promise.all([first.untilEvents(1), second.untilEvents(1), multi.untilEvents(2)]);
  assert.deepEqual(multi.events.map((e) => e.data), ['to the room', 'to alice']);
  const stats = await server.stats();
  assert.deepEqual(stats.router, { ids: 2, connections: 3 });
});

test('broadcast reaches every stream', async (t) => {
  const server = await startServer(t);
  const streams = await Promise.all(['a', 'b', 'c'].map((id) => openStream(t, server.port, `/sub/${id}`)));
  const response = await request(server.port, 'POST', '/broadcast', 'everyone');
  assert.deepEqual(JSON.parse(response.body), { delivered: 3 });
  for (const stream of streams) {
    await stream.untilEvents(1);
    assert.equal(stream.events[0].data, 'everyone');
  }
});

test('Last-Event-ID resumes with exactly the messages missed, from the bounded buffer', async (t) => {
  const server = await startServer(t, ['--resume-frames', '3']);
  const stream = await openStream(t, server.port, '/sub/carol');
  await request(server.port, 'POST', '/pub/carol', 'm1');
  await stream.untilEvents(1);
  const seen = stream.events[0].id;
  stream.close();
  await statsUntil(server, (s) => s.streams === 0, 'the stream gone');
  for (const body of ['m2', 'm3', 'm4']) await request(server.port, 'POST', '/pub/carol', body);

  const resumed = await openStream(t, server.port, '/sub/carol', { 'Last-Event-ID': seen });
  await resumed.untilEvents(3);
  assert.deepEqual(resumed.events.map((e) => e.data), ['m2', 'm3', 'm4']);

  assert.ok(resumed.events.every((e) => e.event === 'message'), 'everything missed was still buffered: no gap event');

  // The buffer keeps 3 frames: after two more, resuming from m1 can only give the last three, and
  // the stream is told first that m2 and m3 are gone.
  resumed.close();
  for (const body of ['m5', 'm6']) await request(server.port, 'POST', '/pub/carol', body);
  const late = await openStream(t, server.port, '/sub/carol', { 'Last-Event-ID': seen });
  await late.untilEvents(4);
  assert.deepEqual(late.events.map((e) => e.event), ['gap', 'message', 'message', 'message']);
  assert.deepEqual(JSON.parse(late.events[0].data), { after: seen, resumedAt: '', reason: 'resume-window' });
  assert.deepEqual(late.events.slice(1).map((e) => e.data), ['m4', 'm5', 'm6']);
  assert.equal((await server.stats()).messages.gaps, 1);

  const fresh = await openStream(t, server.port, '/sub/carol');
  await request(server.port, 'POST', '/pub/carol', 'live');
  await fresh.untilEvents(1);
  assert.deepEqual(fresh.events.map((e) => e.data), ['live'], 'no Last-Event-ID: no replay');
});

test('a Last-Event-ID from another node or an earlier run replays the whole buffer (at-least-once) after a gap event', async (t) => {
  const server = await startServer(t, ['--resume-frames', '4']);
  for (const body of ['a1', 'a2', 'a3']) await request(server.port, 'POST', '/pub/erin', body);
  const foreign = await openStream(t, server.port, '/sub/erin', { 'Last-Event-ID': 'deadbeef.2' });
  await foreign.untilEvents(4);
  assert.deepEqual(foreign.events[0], { event: 'gap', id: '', data: JSON.stringify({ after: 'deadbeef.2', resumedAt: '', reason: 'unknown-id' }) });
  assert.deepEqual(foreign.events.slice(1).map((e) => e.data), ['a1', 'a2', 'a3']);
  const viaQuery = await openStream(t, server.port, `/sub/erin?lastEventId=${encodeURIComponent(foreign.events[1].id)}`);
  await viaQuery.untilEvents(2);
  assert.deepEqual(viaQuery.events.map((e) => e.data), ['a2', 'a3'], 'the query parameter works like the header');
});

test('idle streams get heartbeat comments at the configured interval', async (t) => {
  const server = await startServer(t, ['--heartbeat-ms', '50']);
  const stream = await openStream(t, server.port, '/sub/quiet');
  await stream.until((s) => s.comments >= 3, 'three heartbeats');
  assert.equal(stream.events.length, 0);
});

test('closing connections removes every trace: router maps and counts return to empty', async (t) => {
  const server = await startServer(t);
  const streams = [];
  for (let k = 0; k < 20; k++) streams.push(await openStream(t, server.port, `/sub/u${k % 5},shared`));
  let stats = await server.stats();
  assert.equal(stats.streams, 20);
  assert.deepEqual(stats.router, { ids: 6, connections: 20 });
  for (const stream of streams) stream.close();
  // The earlier /stats requests' sockets close asynchronously too, so wait for them as well.
  stats = await statsUntil(server, (s) => s.streams === 0 && s.connections === 1, 'no streams; only the /stats request itself open');
  assert.deepEqual(stats.router, { ids: 0, connections: 0 });
  const after = await request(server.port, 'POST', '/pub/shared', 'anyone?');
  assert.deepEqual(JSON.parse(after.body), { delivered: 0 });
});

test('keep-alive connections can publish several pipelined requests', async (t) => {
  const server = await startServer(t);
  const stream = await openStream(t, server.port, '/sub/pipe');
  const { connect } = await import('node:net');
  const socket = connect({ host: '127.0.0.1', port: server.port });
  t.after(() => socket.destroy());
  let text = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => (text += chunk));
  const one = (body: string) => `POST /pub/pipe HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  socket.write(one('p1') + one('p2') + one('p3'));
  await stream.untilEvents(3);
  assert.deepEqual(stream.events.map((e) => e.data), ['p1', 'p2', 'p3']);
  await statsUntil(server, () => (text.match(/HTTP\/1\.1 200 OK/g) ?? []).length === 3, 'three responses');
  assert.equal(socket.destroyed, false, 'the publisher connection stays open');
});

test('broadcasts pipelined in one chunk are written together and keep publish order with messages to an id', async (t) => {
  const server = await startServer(t);
  const alice = await openStream(t, server.port, '/sub/alice');
  const bob = await openStream(t, server.port, '/sub/bob');
  const post = (path: string, body: string, close = false) =>
    `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n${close ? 'Connection: close\r\n' : ''}\r\n${body}`;
  // One chunk: the first two broadcasts are queued, the message to alice flushes them first, the
  // last broadcast is queued again and leaves after the chunk.
  const replies = await rawExchange(server.port, post('/broadcast', 'b1') + post('/broadcast', 'b2') + post('/pub/alice', 'p3') + post('/broadcast', 'b4', true));
  assert.deepEqual([...replies.matchAll(/\{"delivered":(\d+)\}/g)].map((m) => Number(m[1])), [2, 2, 1, 2]);
  await Promise.all([alice.untilEvents(4), bob.untilEvents(3)]);
  assert.deepEqual(alice.events.map((e) => e.data), ['b1', 'b2', 'p3', 'b4']);
  assert.deepEqual(bob.events.map((e) => e.data), ['b1', 'b2', 'b4']);
  const ids = alice.events.map((e) => Number(e.id.split('.')[1]));
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'event ids rise in publish order');
  const stats = await statsUntil(server, (s) => s.messages.delivered === 7, 'every frame counted');
  assert.equal(stats.messages.published, 4);
});
