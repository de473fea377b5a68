import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEnvelope, encodeEnvelope, KIND_BROADCAST, KIND_ID } from '../../src/server/fanout.js';
import { openStream, privateRedis, request, startServer, statsUntil } from './server-process.js';

test('bus envelopes round-trip ids and binary bodies', () => {
  const body = Buffer.from([0, 1, 2, 255, 10, 13]);
  const decoded = decodeEnvelope(encodeEnvelope('abcd1234', { kind: KIND_ID, id: 'user.7', body }));
  assert.deepEqual(decoded, { tag: 'abcd1234', message: { kind: KIND_ID, id: 'user.7', body } });
  const all = decodeEnvelope(encodeEnvelope('t', { kind: KIND_BROADCAST, id: '', body: Buffer.from('x') }));
  assert.equal(all?.message.kind, KIND_BROADCAST);
  assert.equal(decodeEnvelope(Buffer.from('junk')), null);
  assert.equal(decodeEnvelope(Buffer.from([0, 200, 1, 2])), null);
});

test('two nodes share publishes through Redis, once each, and survive a Redis restart', async (t) => {
  const redis = await privateRedis(t);
  const url = `redis://127.0.0.1:${redis.port}`;
  const nodeA = await startServer(t, ['--redis', url]);
  const nodeB = await startServer(t, ['--redis', url]);
  await statsUntil(nodeA, (s) => s.bus.state === 'up', 'bus up on A');
  await statsUntil(nodeB, (s) => s.bus.state === 'up', 'bus up on B');

  const onA = await openStream(t, nodeA.port, '/sub/alice');
  const onB = await openStream(t, nodeB.port, '/sub/alice');
  const published = await request(nodeB.port, 'POST', '/pub/alice', 'from B');
  assert.deepEqual(JSON.parse(published.body), { delivered: 1 }, 'B delivers locally at once');
  await Promise.all([onA.untilEvents(1), onB.untilEvents(1)]);
  await request(nodeA.port, 'POST', '/broadcast', 'from A to all');
  await Promise.all([onA.untilEvents(2), onB.untilEvents(2)]);
  // A marker after them proves nothing arrived twice in between.
  await request(nodeA.port, 'POST', '/pub/alice', 'marker');
  await Promise.all([onA.untilEvents(3), onB.untilEvents(3)]);
  assert.deepEqual(onA.events.map((e) => e.data), ['from B', 'from A to all', 'marker']);
  assert.deepEqual(onB.events.map((e) => e.data), ['from B', 'from A to all', 'marker']);

  await redis.kill();
  await statsUntil(nodeA, (s) => s.bus.state === 'down', 'bus down on A');
  await statsUntil(nodeB, (s) => s.bus.state === 'down', 'bus down on B');
  const refused = await request(nodeA.port, 'POST', '/pub/alice', 'while down');
  assert.equal(refused.status, 503, 'a publish that cannot reach every node is refused, not half-done');

  await redis.start();
  const upA = await statsUntil(nodeA, (s) => s.bus.state === 'up', 'bus up again on A', 400);
  await statsUntil(nodeB, (s) => s.bus.state === 'up', 'bus up again on B', 400);
  assert.ok(upA.bus.outages >= 1);
  await request(nodeA.port, 'POST', '/pub/alice', 'after restart');
  await Promise.all([onA.untilEvents(4), onB.untilEvents(4)]);
  assert.equal(onB.events[3].data, 'after restart', 'B got A\'s publish: B resubscribed');
  assert.equal(onA.events[3].data, 'after restart');
});

test('a node without --redis reports the bus as off', async (t) => {
  const server = await startServer(t);
  assert.match(server.output(), /single node/);
  assert.equal((await server.stats()).bus.state, 'off');
});
