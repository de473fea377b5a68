import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Router, type Routable } from '../../src/server/router.js';

// The test runner starts files without --expose-gc; this is the documented way to get gc() anyway.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

class FakeConn implements Routable {
  ids: string | string[] | null = null;
  readonly received: string[] = [];
  constructor(readonly name: string) {}
}

function newRouter() {
  return new Router<FakeConn>((conn, frame) => conn.received.push(frame.toString()));
}

test('send reaches every connection logged in as the id, and only those', () => {
  const router = newRouter();
  const [a, b, c] = [new FakeConn('a'), new FakeConn('b'), new FakeConn('c')];
  router.login('room', a);
  router.login('room', b);
  router.login('solo', c);
  assert.equal(router.send('room', Buffer.from('r1')), 2);
  assert.equal(router.send('solo', Buffer.from('s1')), 1);
  assert.equal(router.send('nobody', Buffer.from('x')), 0);
  assert.deepEqual([a.received, b.received, c.received], [['r1'], ['r1'], ['s1']]);
});

test('one connection under several ids gets each id\'s messages; a repeated login is a no-op', () => {
  const router = newRouter();
  const conn = new FakeConn('multi');
  router.login('x', conn);
  router.login('y', conn);
  router.login('x', conn);
  router.login('z', conn);
  assert.deepEqual(conn.ids, ['x', 'y', 'z']);
  assert.equal(router.connectionCount, 1);
  for (const id of ['x', 'y', 'z']) router.send(id, Buffer.from(id));
  assert.deepEqual(conn.received, ['x', 'y', 'z']);
});

test('logout removes every trace: the maps return to empty in any order of logouts', () => {
  const router = newRouter();
  const conns = Array.from({ length: 50 }, (_, k) => new FakeConn(`c${k}`));
  conns.forEach((conn, k) => {
    router.login(`id${k % 7}`, conn);
    router.login('everyone', conn);
    if (k % 3 === 0) router.login(`extra${k}`, conn);
  });
  assert.equal(router.connectionCount, 50);
  assert.equal(router.countOf('everyone'), 50);
  // Log out in an order unrelated to login order.
  for (const conn of [...conns].sort((p, q) => (p.name.length * 31 + p.name.charCodeAt(1)) % 11 - (q.name.length * 31 + q.name.charCodeAt(1)) % 11)) {
    router.logout(conn);
    router.logout(conn); // twice is harmless
    assert.equal(conn.ids, null);
  }
  assert.equal(router.idCount, 0);
  assert.equal(router.connectionCount, 0);
  assert.equal(router.send('everyone', Buffer.from('gone')), 0);
});

test('an id shared by two connections drops back to one entry when one leaves', () => {
  const router = newRouter();
  const [a, b] = [new FakeConn('a'), new FakeConn('b')];
  router.login('shared', a);
  router.login('shared', b);
  router.logout(a);
  assert.equal(router.countOf('shared'), 1);
  assert.equal(router.send('shared', Buffer.from('m')), 1);
  assert.deepEqual(b.received, ['m']);
  router.logout(b);
  assert.equal(router.idCount, 0);
});

test('a connection destroyed during delivery does not disturb delivery to the others', () => {
  const received: string[] = [];
  const router: Router<FakeConn> = new Router<FakeConn>((conn) => {
    received.push(conn.name);
    router.logout(conn); // like a slow consumer being destroyed mid-send
  });
  for (const name of ['a', 'b', 'c']) router.login('room', new FakeConn(name));
  assert.equal(router.send('room', Buffer.from('m')), 3);
  assert.deepEqual(received.sort(), ['a', 'b', 'c']);
  assert.equal(router.idCount, 0);
});

test('a logged-out connection is garbage-collected: the router keeps no reference', async () => {
  const router = newRouter();
  const keeper = new FakeConn('keeper');
  router.login('room', keeper);
  let collected = 0;
  const registry = new FinalizationRegistry<string>(() => collected++);
  const refs: WeakRef<FakeConn>[] = [];
  (() => {
    for (let k = 0; k < 10; k++) {
      const conn = new FakeConn(`temp${k}`);
      router.login('room', conn);
      router.login(`own${k}`, conn);
      router.send('room', Buffer.from('m'));
      registry.register(conn, conn.name);
      refs.push(new WeakRef(conn));
      router.logout(conn);
    }
  })();
  // Bounded: a few GC rounds with a turn of the event loop between (finalizers run after).
  for (let round = 0; round < 10 && collected < 10; round++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(refs.filter((ref) => ref.deref() !== undefined).length, 0);
  assert.equal(collected, 10);
  assert.equal(router.countOf('room'), 1, 'the connection still logged in is untouched');
});

test('a connection still logged in is not collected (the proof above can fail)', async () => {
  const router = newRouter();
  let ref: WeakRef<FakeConn> | undefined;
  (() => {
    const conn = new FakeConn('held');
    router.login('held', conn);
    ref = new WeakRef(conn);
  })();
  for (let round = 0; round < 3; round++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.notEqual(ref?.deref(), undefined);
});
