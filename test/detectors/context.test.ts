import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { DEFAULT_THRESHOLDS, DetectorContext, holderPath, holderSignature } from '../../src/detectors/index.js';
import { diffSnapshots } from '../../src/diff/index.js';
import { holderText } from '../../src/report/index.js';
import { loadSnapshot, type Snapshot } from '../../src/snapshot/index.js';
import { SnapshotBuilder } from '../helpers/snapshot-builder.js';

async function load(builder: SnapshotBuilder): Promise<Snapshot> {
  return loadSnapshot(Readable.from([Buffer.from(builder.toJson())]), { name: 'built' });
}

/** A context over one snapshot diffed against itself: no candidates, but claims and sizes work as on any diff. */
async function contextOf(builder: SnapshotBuilder): Promise<DetectorContext> {
  const base = await load(builder);
  const last = await load(builder);
  return new DetectorContext(diffSnapshots([base], last), DEFAULT_THRESHOLDS);
}

describe('DetectorContext: what claimed objects explain', () => {
  // root → a → shared ← c ← root; shared → d; root → e ⇄ f (a cycle under e)
  const b = new SnapshotBuilder();
  const a = b.addNode('object', 'A', 10);
  const c = b.addNode('object', 'C', 10);
  const shared = b.addNode('object', 'Shared', 100);
  const d = b.addNode('object', 'D', 1000);
  const e = b.addNode('object', 'E', 5);
  const f = b.addNode('object', 'F', 7);
  b.addEdge(b.root, a, 'element', 0).addEdge(b.root, c, 'element', 1).addEdge(b.root, e, 'element', 2);
  b.addEdge(a, shared, 'property', 'x').addEdge(c, shared, 'property', 'y').addEdge(shared, d, 'property', 'z');
  b.addEdge(e, f, 'property', 'next').addEdge(f, e, 'property', 'back');

  test('an object held by a claimed and an unclaimed owner is not explained; claiming both explains it and what it holds', async () => {
    const context = await contextOf(b);
    context.claim(a.ordinal);
    const explained = context.explained();
    assert.deepEqual([a, c, shared, d].map((n) => explained[n.ordinal]), [1, 0, 0, 0]);
    context.claim(c.ordinal);
    const after = context.explained();
    assert.deepEqual([a, c, shared, d, e, f].map((n) => after[n.ordinal]), [1, 1, 1, 1, 0, 0]);
    for (let ordinal = 0; ordinal < after.length; ordinal++) assert.equal(context.isExplained(ordinal), after[ordinal] === 1, `ordinal ${ordinal}`);
  });

  test('a cycle under a claimed object is explained through the dominator tree', async () => {
    const context = await contextOf(b);
    context.claim(e.ordinal);
    assert.equal(context.explained()[f.ordinal], 1);
    assert.equal(context.isExplained(f.ordinal), true);
  });

  test('a cluster retains each byte once: members under other members are not added again', async () => {
    const context = await contextOf(b);
    // e dominates f: {e, f} retains what e retains (5 + 7); a and c dominate nothing shared.
    assert.equal(context.clusterRetainedSize([e.ordinal, f.ordinal]), 12);
    assert.equal(context.clusterRetainedSize([a.ordinal, c.ordinal]), 20);
    assert.equal(context.clusterRetainedSize([shared.ordinal, d.ordinal, a.ordinal]), 1110);
  });
});

describe('holders: what holds an object, as data', () => {
  const b = new SnapshotBuilder();
  const fn = b.addNode('closure', 'handler', 32);
  const scope = b.addNode('object', 'system / Context', 40);
  const cache = b.addNode('object', 'Map', 32);
  const registryClass = b.addNode('object', 'Registry', 24);
  const pending = b.addNode('object', 'Object', 24);
  const plain = b.addNode('object', 'Object', 24);
  const byId = b.addNode('object', 'Object', 24);
  const log = b.addNode('object', 'Array', 16);
  const trace = b.addNode('object', 'Trace', 16);
  b.addEdge(b.root, fn, 'element', 0).addEdge(fn, scope, 'internal', 'context');
  b.addEdge(scope, cache, 'context', 'sessionCache').addEdge(scope, plain, 'context', 'registry').addEdge(scope, log, 'context', 'requestLog');
  b.addEdge(b.root, registryClass, 'element', 1).addEdge(registryClass, pending, 'property', 'pending');
  b.addEdge(plain, byId, 'property', 'pendingById');
  b.addEdge(log, trace, 'element', 5);

  test('a scope variable, a property of a named object, and a property of a plain object named by its variable', async () => {
    const snapshot = await load(b);
    assert.deepEqual(holderPath(snapshot, cache.ordinal), { root: { kind: 'variable', name: 'sessionCache' }, steps: [] });
    assert.deepEqual(holderPath(snapshot, pending.ordinal), { root: { kind: 'object', name: 'Registry' }, steps: [{ kind: 'property', name: 'pending' }] });
    const dictionary = holderPath(snapshot, byId.ordinal)!;
    assert.deepEqual(dictionary, { root: { kind: 'variable', name: 'registry' }, steps: [{ kind: 'property', name: 'pendingById' }] });
    assert.equal(holderText(dictionary), 'registry.pendingById');
    assert.equal(holderPath(snapshot, b.root.ordinal), undefined);
  });

  test('the clustering shape climbs through the array and forgets the index', async () => {
    const snapshot = await load(b);
    const shape = holderSignature(snapshot, trace.ordinal)!;
    assert.deepEqual(shape, { root: { kind: 'variable', name: 'requestLog' }, steps: [{ kind: 'element', index: null }] });
    assert.equal(holderText(shape), 'requestLog[]');
    assert.equal(holderText(holderPath(snapshot, trace.ordinal)!), 'Array[5]');
  });
});
