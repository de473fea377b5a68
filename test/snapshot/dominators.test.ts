import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import {
  loadSnapshot, loadSnapshotIds, Snapshot, ordinalOfId, sortOrdinalsById, UNREACHABLE,
} from '../../src/snapshot/index.js';
import { SnapshotBuilder, type BuiltNode } from '../helpers/snapshot-builder.js';

function load(b: SnapshotBuilder): Promise<Snapshot> {
  return loadSnapshot(Readable.from([Buffer.from(b.toJson())]), { name: 'built' });
}

/** Immediate dominator of each named node, by name. */
function idoms(snapshot: Snapshot, nodes: Record<string, BuiltNode>): Record<string, string> {
  const nameOf = new Map(Object.entries(nodes).map(([name, node]) => [node.ordinal, name]));
  nameOf.set(0, 'root');
  const result: Record<string, string> = {};
  for (const [name, node] of Object.entries(nodes)) result[name] = nameOf.get(snapshot.dominators[node.ordinal]!) ?? '?';
  return result;
}

test('a diamond is dominated by its top, a chain by its predecessor', async () => {
  const b = new SnapshotBuilder();
  const n = {
    a: b.addNode('object', 'A', 1), b: b.addNode('object', 'B', 2), c: b.addNode('object', 'C', 4),
    d: b.addNode('object', 'D', 8), e: b.addNode('object', 'E', 16),
  };
  b.addEdge(b.root, n.a).addEdge(n.a, n.b).addEdge(n.a, n.c).addEdge(n.b, n.d).addEdge(n.c, n.d).addEdge(n.d, n.e);
  const s = await load(b);
  assert.deepEqual(idoms(s, n), { a: 'root', b: 'a', c: 'a', d: 'a', e: 'd' });
  assert.deepEqual([...s.retainedSizes], [31, 31, 2, 4, 24, 16]);
  assert.deepEqual([...s.distances], [0, 1, 2, 2, 3, 4]);
  assert.equal(s.unreachableCount, 0);
});

test('a weak edge never retains: the weakly held node is dominated by its strong holder', async () => {
  const b = new SnapshotBuilder();
  const n = { a: b.addNode('object', 'A', 1), b: b.addNode('object', 'B', 2), c: b.addNode('object', 'C', 4) };
  b.addEdge(b.root, n.a).addEdge(b.root, n.b).addEdge(n.a, n.c).addEdge(n.b, n.c, 'weak', 'ref');
  const s = await load(b);
  assert.deepEqual(idoms(s, n), { a: 'root', b: 'root', c: 'a' });
  assert.equal(s.retainedSizes[n.a.ordinal], 5);
  assert.equal(s.retainedSizes[n.b.ordinal], 2);
});

test('shortcut edges are skipped except at the root', async () => {
  const b = new SnapshotBuilder();
  const n = { g: b.addNode('object', 'Global', 1), x: b.addNode('object', 'X', 2), y: b.addNode('object', 'Y', 4) };
  b.addEdge(b.root, n.g, 'shortcut', 'global').addEdge(n.g, n.x).addEdge(n.x, n.y).addEdge(n.g, n.y, 'shortcut', 'y');
  const s = await load(b);
  assert.deepEqual(idoms(s, n), { g: 'root', x: 'g', y: 'x' });
  assert.equal(s.essentialEdges[0], 1, 'the root shortcut retains');
  assert.equal(s.distances[n.y.ordinal], 3);
});

test('a cycle is dominated by its entry, and self edges change nothing', async () => {
  const b = new SnapshotBuilder();
  const n = { a: b.addNode('object', 'A', 1), b: b.addNode('object', 'B', 2), c: b.addNode('object', 'C', 4), d: b.addNode('object', 'D', 8) };
  b.addEdge(b.root, n.a).addEdge(n.a, n.b).addEdge(n.b, n.c).addEdge(n.c, n.a).addEdge(n.c, n.d).addEdge(n.d, n.d).addEdge(n.c, n.c);
  const s = await load(b);
  assert.deepEqual(idoms(s, n), { a: 'root', b: 'a', c: 'b', d: 'c' });
  assert.deepEqual([...s.retainedSizes], [15, 15, 14, 12, 8]);
});

test('the classic Lengauer–Tarjan example graph gets its textbook dominators', async () => {
  // The flowgraph of the 1979 paper (Fig. 1), R being the root.
  const b = new SnapshotBuilder();
  const names = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L'];
  const n: Record<string, BuiltNode> = {};
  for (const name of names) n[name] = b.addNode('object', name, 1);
  const R = b.root;
  const edges: [BuiltNode, string][] = [[R, 'A'], [R, 'B'], [R, 'C']];
  for (const [from, to] of edges) b.addEdge(from, n[to]!);
  const pairs = ['AD', 'BA', 'BD', 'BE', 'CF', 'CG', 'DL', 'EH', 'FI', 'GI', 'GJ', 'HE', 'HK', 'IK', 'JI', 'KI', 'LH'];
  b.addEdge(n.K!, R, 'property', 'back');
  for (const [from, to] of pairs) b.addEdge(n[from!]!, n[to!]!);
  const s = await load(b);
  assert.deepEqual(idoms(s, n), { A: 'root', B: 'root', C: 'root', D: 'root', E: 'root', F: 'C', G: 'C', H: 'root', I: 'root', J: 'G', K: 'root', L: 'D' });
});

test('nodes no essential edge reaches are attached to the root and counted', async () => {
  const b = new SnapshotBuilder();
  const n = {
    a: b.addNode('object', 'A', 1),
    weakOnly: b.addNode('object', 'WeakOnly', 2), child: b.addNode('object', 'Child', 4),
    loop1: b.addNode('object', 'Loop1', 8), loop2: b.addNode('object', 'Loop2', 16),
    lonely: b.addNode('object', 'Lonely', 32),
  };
  b.addEdge(b.root, n.a).addEdge(n.a, n.weakOnly, 'weak', 'w').addEdge(n.weakOnly, n.child);
  b.addEdge(n.loop1, n.loop2).addEdge(n.loop2, n.loop1);
  // Garbage pointing at a live node does not change who dominates it.
  const shared = b.addNode('object', 'Shared', 64);
  b.addEdge(n.a, shared).addEdge(n.loop2, shared).addEdge(n.child, shared);
  const s = await load(b);
  assert.equal(s.dominators[shared.ordinal], n.a.ordinal);
  assert.equal(s.retainedSizes[n.a.ordinal], 65);
  assert.equal(s.unreachableCount, 5);
  assert.deepEqual(idoms(s, n), { a: 'root', weakOnly: 'root', child: 'weakOnly', loop1: 'root', loop2: 'loop1', lonely: 'root' });
  assert.equal(s.retainedSizes[n.weakOnly.ordinal], 6);
  assert.equal(s.retainedSizes[0], 127, 'the root retains everything, reachable or not');
  assert.equal(s.distances[n.child.ordinal], UNREACHABLE);
  assert.deepEqual([...s.unreachableRoots], [n.weakOnly.ordinal, n.lonely.ordinal, n.loop1.ordinal]);
  assert.equal(s.retainerPath(n.child.ordinal), undefined);
});

test('a WeakMap value is retained through its key, not through the table', async () => {
  const b = new SnapshotBuilder();
  const n = {
    holder: b.addNode('object', 'Holder', 1), map: b.addNode('object', 'WeakMap', 2), table: b.addNode('array', '(table)', 4),
    key: b.addNode('object', 'Key', 8), value: b.addNode('object', 'Value', 16),
  };
  const edgeName = (id: number) => `${id} / part of key (Key @${n.key.id}) -> value (Value @${n.value.id}) pair in WeakMap (table @${n.table.id})`;
  b.addEdge(b.root, n.holder).addEdge(b.root, n.map).addEdge(n.map, n.table, 'internal', 'table');
  b.addEdge(n.holder, n.key, 'property', 'key');
  b.addEdge(n.table, n.value, 'internal', edgeName(1)).addEdge(n.key, n.value, 'internal', edgeName(2));
  const s = await load(b);
  assert.deepEqual(idoms(s, n), { holder: 'root', map: 'root', table: 'map', key: 'holder', value: 'key' });
  assert.equal(s.retainedSizes[n.key.ordinal], 24);
  assert.equal(s.retainedSizes[n.map.ordinal], 6);
  const path = s.retainerPath(n.value.ordinal)!;
  assert.deepEqual(path.steps.map((step) => step.from), [0, n.holder.ordinal, n.key.ordinal]);
});

test('retainer paths are shortest, prefer property edges over internal ones, and are cut in the middle when long', async () => {
  const b = new SnapshotBuilder();
  const a = b.addNode('object', 'A', 1);
  const viaInternal = b.addNode('object', 'I', 1);
  const viaProperty = b.addNode('object', 'P', 1);
  const target = b.addNode('object', 'T', 1);
  b.addEdge(b.root, a).addEdge(a, viaInternal, 'internal', 'x').addEdge(a, viaProperty, 'property', 'p');
  b.addEdge(viaInternal, target, 'internal', 'slot').addEdge(viaProperty, target, 'property', 'target');
  let tail = target;
  for (let i = 0; i < 40; i++) {
    const next = b.addNode('object', `N${i}`, 1);
    b.addEdge(tail, next, 'property', 'next');
    tail = next;
  }
  const s = await load(b);
  const path = s.retainerPath(target.ordinal)!;
  assert.deepEqual(path.steps.map((step) => [step.from, step.to]), [[0, a.ordinal], [a.ordinal, viaProperty.ordinal], [viaProperty.ordinal, target.ordinal]]);
  assert.equal(path.omittedSteps, 0);
  assert.deepEqual(s.retainerPath(0), { steps: [], omittedSteps: 0 });
  const long = s.retainerPath(tail.ordinal, { maxSteps: 10 })!;
  assert.equal(long.steps.length, 10);
  assert.equal(long.omittedSteps, s.distances[tail.ordinal]! - 10);
  assert.equal(long.steps[0]!.from, 0);
  assert.equal(long.steps.at(-1)!.to, tail.ordinal);
});

test('ordinalById finds every node and rejects unknown ids', async () => {
  const b = new SnapshotBuilder();
  const nodes = Array.from({ length: 300 }, (_, i) => b.addNode('object', 'O', 1, { id: 1_000_000 + i * 2 }));
  for (const node of nodes) b.addEdge(b.root, node);
  const s = await load(b);
  for (const node of nodes) assert.equal(s.ordinalById(node.id), node.ordinal);
  assert.equal(s.ordinalById(1_000_001), -1);
  assert.equal(s.ordinalById(1), 0);
  assert.equal(s.ordinalById(-5), -1);
  assert.equal(s.ordinalById(2 ** 40), -1);
});

test('ordinalById also finds ids written out of order, few or many', async () => {
  for (const shape of ['a few late nodes with small ids', 'every id descending']) {
    const b = new SnapshotBuilder();
    const count = 3000;
    const ids = Array.from({ length: count }, (_, i) => (shape === 'every id descending' ? 10_000_000 - i * 2 : 100 + i * 2));
    if (shape !== 'every id descending') ids.push(7, 9, 50, 5_000_000, 11);
    const nodes = ids.map((id) => b.addNode('object', 'O', 1, { id }));
    for (const node of nodes) b.addEdge(b.root, node);
    const s = await load(b);
    for (const node of nodes) assert.equal(s.ordinalById(node.id), node.ordinal, `${shape}: id ${node.id}`);
    assert.equal(s.ordinalById(101), -1);
    assert.equal(s.ordinalById(13), -1);
  }
});

test('the id order is stable for repeated ids and spans the whole 32-bit range', () => {
  const nodeIds = Uint32Array.from([0xffffffff, 9, 0x1_0009, 0, 9, 0xffff_0000, 9]);
  const idOrder = sortOrdinalsById(nodeIds);
  assert.deepEqual([...idOrder], [3, 1, 4, 6, 2, 5, 0]);
  assert.equal(ordinalOfId(nodeIds, idOrder, 9), 1, 'a repeated id resolves to its lowest ordinal');
  assert.equal(ordinalOfId(nodeIds, idOrder, 0), 3);
  assert.equal(ordinalOfId(nodeIds, idOrder, 0xffffffff), 0);
  assert.equal(ordinalOfId(nodeIds, idOrder, 10), -1);
  assert.equal(ordinalOfId(nodeIds, idOrder, 9.5), -1);
  assert.equal(ordinalOfId(nodeIds, idOrder, Number.NaN), -1);
  assert.equal(ordinalOfId(new Uint32Array(0), new Uint32Array(0), 0), -1);
});

test('loadSnapshotIds runs the first steps of loadSnapshot and stops after the id order', async () => {
  const b = new SnapshotBuilder();
  for (const id of [90, 30, 70, 0x1_0003]) b.addEdge(b.root, b.addNode('object', 'O', 1, { id }));
  const json = b.toJson();
  const phasesOf = async <T>(load: (onProgress: (event: { phase: string }) => void) => Promise<T>) => {
    const phases: string[] = [];
    const result = await load((event) => { if (phases.at(-1) !== event.phase) phases.push(event.phase); });
    return { result, phases };
  };
  const slim = await phasesOf((onProgress) => loadSnapshotIds(Readable.from([Buffer.from(json)]), { name: 'built', onProgress }));
  const full = await phasesOf((onProgress) => loadSnapshot(Readable.from([Buffer.from(json)]), { name: 'built', onProgress }));
  assert.deepEqual(full.phases.slice(0, slim.phases.length), slim.phases);
  assert.deepEqual(full.phases.slice(slim.phases.length), ['essential edges', 'retainers', 'distances', 'dominators', 'retained sizes']);
  assert.equal(slim.phases.at(-1), 'id order');
  // The slim snapshot is an IdOrderedSnapshot (graph, id order, queries), not a Snapshot with analysis arrays.
  assert.deepEqual(Object.keys(slim.result).sort(), ['graph', 'idOrder']);
  assert.equal(slim.result instanceof Snapshot, false);
  assert.equal(full.result instanceof Snapshot, true);
  assert.deepEqual([...slim.result.idOrder], [...full.result.idOrder]);
  assert.equal(slim.result.className(1), full.result.className(1));
});

test("edges from V8's internal roots into the user's object graph do not dominate it", async () => {
  const b = new SnapshotBuilder();
  const gcRoots = b.addNode('synthetic', '(GC roots)');
  const handles = b.addNode('synthetic', '(Global handles)');
  const n = {
    global: b.addNode('object', 'global', 8), app: b.addNode('object', 'App', 16),
    cache: b.addNode('object', 'Cache', 32), internal: b.addNode('hidden', 'system / Thing', 4),
  };
  b.addEdge(b.root, n.global, 'shortcut', 'global').addEdge(b.root, gcRoots, 'element', 1).addEdge(gcRoots, handles, 'element', 0);
  b.addEdge(handles, n.global, 'element', 0).addEdge(n.global, n.app, 'property', 'app').addEdge(n.app, n.cache, 'property', 'cache');
  // A persistent handle also points at the cache, and at an internal object.
  b.addEdge(handles, n.cache, 'element', 1).addEdge(handles, n.internal, 'element', 2);
  const s = await load(b);
  assert.deepEqual(idoms(s, n), { global: 'root', app: 'global', cache: 'app', internal: '?' });
  assert.equal(s.dominators[n.internal.ordinal], handles.ordinal);
  assert.equal(s.retainedSizes[n.app.ordinal], 48);
  assert.equal(s.distances[n.cache.ordinal], 3);
});
