import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { decodeEnvelope, encodeEnvelope, KIND_BROADCAST, KIND_ID } from '../../src/server/fanout.js';
import { openStream, privateRedis, request, startServer, statsUntil } from './server-process.js';

/** A private redis-server, an admin client on it, and two server processes whose bus is up. */
async function twoNodes(t: Parameters<typeof privateRedis>[0], extra: string[] = []) {
  const redis = await privateRedis(t);
  const url = `redis://127.0.0.1:${redis.port}`;
  const admin = new Redis(url, { maxRetriesPerRequest: 1 });
  t.after(() => admin.disconnect());
  const nodeA = await startServer(t, ['--redis', url, ...extra]);
  const nodeB = await startServer(t, ['--redis', url, ...extra]);
  await statsUntil(nodeA, (s) => s.bus.state === 'up', 'bus up on A');
  await statsUntil(nodeB, (s) => s.bus.state === 'up', 'bus up on B');
  return { redis, admin, nodeA, nodeB };
}

test('bus envelopes round-trip ids and binary bodies', () => {
  const body = Buffer.from([0, 1, 2, 255, 10, 13]);
  const decoded = decodeEnvelope(encodeEnvelope('abcd1234', { kind: KIND_ID, id: 'user.7', body }));
  assert.deepEqual(decoded, { tag: 'abcd1234', message: { kind: KIND_ID, id: 'user.7', body } });
  const all = decodeEnvelope(encodeEnvelope('t', { kind: KIND_BROADCAST, id: '', body: Buffer.from('x') }));
  assert.equal(all?.message.kind, KIND_BROADCAST);
  assert.equal(decodeEnvelope(Buffer.from('junk')), null);
  assert.equal(decodeEnvelope(Buffer.from([0, 200, 1, 2])), null);
});

test('two nodes share publishes through Redis, once each, and survive a Redis restart (with a gap event: it came back empty)', async (t) => {
  const { redis, nodeA, nodeB } = await twoNodes(t);

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
  // Redis came back empty: each node says its log started again, then delivers what follows.
  await Promise.all([onA.untilEvents(5), onB.untilEvents(5)]);
  for (const stream of [onA, onB]) {
    assert.deepEqual(stream.events.slice(3).map((e) => e.event), ['gap', 'message']);
    assert.equal(JSON.parse(stream.events[3].data).reason, 'bus-reset');
    assert.equal(stream.events[4].data, 'after restart', 'the node reads the new log');
  }
});

test('a node without --redis reports the bus as off', async (t) => {
  const server = await startServer(t);
  assert.match(server.output(), /single node/);
  assert.equal((await server.stats()).bus.state, 'off');
});

/** Ids of the Redis clients whose name starts with `prefix` (CLIENT LIST). */
async function clientIds(admin: Redis, prefix: string): Promise<string[]> {
  const list = (await admin.call('CLIENT', 'LIST')) as string;
  return list.split('\n').filter((line) => line.includes(` name=${prefix}`)).map((line) => /\bid=(\d+)/.exec(line)![1]);
}

test('cutting a node\'s bus reader again and again during a flood loses no acknowledged message (issue 14.2)', async (t) => {
  const { admin, nodeA, nodeB } = await twoNodes(t);
  const ids = Array.from({ length: 8 }, (_, k) => `u${k}`);
  const streams = await Promise.all(ids.map((id) => openStream(t, nodeB.port, `/sub/${id}`)));

  // The flood: 800 publishes to A from four publishers; meanwhile B's reader is cut 10 times.
  const acked = new Map<string, string[]>(ids.map((id) => [id, []]));
  let refused = 0;
  const publisher = async (lane: number) => {
    for (let k = lane; k < 800; k += 4) {
      const id = ids[k % ids.length];
      const reply = await request(nodeA.port, 'POST', `/pub/${id}`, `m${k}`);
      if (reply.status === 200) acked.get(id)!.push(`m${k}`);
      else refused++;
    }
  };
  let cuts = 0;
  const cutter = async () => {
    // Each cut waits (bounded) for the reader to be back, so every cut hits a live reader.
    for (let k = 0; k < 400 && cuts < 10; k++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      for (const clientId of await clientIds(admin, 'leakcheck-push-read-')) {
        if ((await admin.call('CLIENT', 'KILL', 'ID', clientId)) === 1) cuts++;
      }
    }
  };
  const startedMs = Date.now();
  await Promise.all([publisher(0), publisher(1), publisher(2), publisher(3), cutter()]);
  const floodMs = Date.now() - startedMs;
  assert.ok(cuts >= 10, `the readers were cut ${cuts} times`);
  const total = [...acked.values()].reduce((sum, list) => sum + list.length, 0);
  await Promise.all(streams.map((stream, k) => stream.until((s) => s.events.length >= acked.get(ids[k])!.length, `${ids[k]}'s messages`)));
  let lost = 0;
  let duplicated = 0;
  for (const [k, stream] of streams.entries()) {
    const got = stream.events.filter((e) => e.event === 'message').map((e) => e.data);
    const seen = new Set(got);
    duplicated += got.length - seen.size;
    lost += acked.get(ids[k])!.filter((body) => !seen.has(body)).length;
  }
  t.diagnostic(`${total} acknowledged in ${floodMs} ms, ${refused} refused, ${cuts} reader cuts: ${lost} lost, ${duplicated} duplicated`);
  assert.equal(lost, 0);
  assert.equal(duplicated, 0);
  assert.ok(streams.every((stream) => stream.events.every((e) => e.event === 'message')), 'no gap: the window was never exceeded');
  const statsB = await nodeB.stats();
  assert.ok(statsB.bus.outages >= 1, 'B saw its reader go down');
});

test('a node that falls behind past the bus window tells its streams with a gap event (issue 14.2)', async (t) => {
  const { nodeA, nodeB } = await twoNodes(t, ['--bus-window', '16']);
  const stream = await openStream(t, nodeB.port, '/sub/late');
  await request(nodeA.port, 'POST', '/pub/late', 'first');
  await stream.untilEvents(1);
  nodeB.child.kill('SIGSTOP'); // B reads nothing while A publishes far past the window
  t.after(() => nodeB.child.kill('SIGCONT'));
  for (let k = 0; k < 300; k++) assert.equal((await request(nodeA.port, 'POST', '/pub/late', `m${k}`)).status, 200);
  nodeB.child.kill('SIGCONT');
  await stream.until((s) => s.events.some((e) => e.event === 'gap'), 'a gap event');
  const at = stream.events.findIndex((e) => e.event === 'gap');
  const detail = JSON.parse(stream.events[at].data);
  assert.equal(detail.reason, 'bus-trimmed');
  // B may have read a few entries that Redis sent it before the stop; the gap follows the last of them.
  assert.equal(detail.after, stream.events[at - 1].id, 'the gap starts after the last entry B had read');
  await stream.until((s) => s.events.at(-1)?.data === 'm299', 'the newest message after the gap');
  assert.equal(detail.resumedAt, stream.events[at + 1].id, 'and names the entry delivery resumed at');
  const numbers = stream.events.filter((e) => e.event === 'message' && e.data !== 'first').map((e) => Number(e.data.slice(1)));
  assert.ok(numbers.length < 300 && numbers.at(-1) === 299, 'older entries were trimmed, the newest arrived');
  const stats = await nodeB.stats();
  assert.equal(stats.bus.gaps, 1);
  assert.equal(stats.messages.gaps, 1);
});
