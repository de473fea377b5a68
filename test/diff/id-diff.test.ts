import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { diffSnapshots, matchIds, newestHeapId } from '../../src/diff/index.js';
import { ErrorCode } from '../../src/errors.js';
import { loadSnapshot, type Snapshot } from '../../src/snapshot/index.js';
import { SnapshotBuilder } from '../helpers/snapshot-builder.js';

/** Objects by id; every object hangs off the root so all are reachable. */
function build(name: string, objects: { id: number; name: string }[]): Promise<Snapshot> {
  const b = new SnapshotBuilder();
  for (const object of objects) {
    const node = b.addNode('object', object.name, 16, { id: object.id });
    b.addEdge(b.root, node, 'property', `o${object.id}`);
  }
  return loadSnapshot(Readable.from([Buffer.from(b.toJson())]), { name });
}

// One process over time: ids only grow; 11 and 13 are allocated between base and target; 13 is
// freed before final; 15 is allocated between target and final.
const base = [{ id: 3, name: 'Server' }, { id: 5, name: 'Cache' }, { id: 7, name: 'Job' }, { id: 9, name: 'Job' }];
const target = [{ id: 3, name: 'Server' }, { id: 5, name: 'Cache' }, { id: 9, name: 'Job' }, { id: 11, name: 'Job' }, { id: 13, name: 'Job' }];
const final = [{ id: 3, name: 'Server' }, { id: 5, name: 'Cache' }, { id: 11, name: 'Job' }, { id: 15, name: 'Job' }];

function idsOf(snapshot: Snapshot, ordinals: Iterable<number>): number[] {
  return [...ordinals].map((o) => snapshot.graph.nodeIds[o]!).sort((a, b) => a - b);
}

test('idOrder lists every ordinal by ascending id whatever order the file lists them in', async () => {
  // Ids on both sides of 16-bit digit boundaries, so both radix passes decide the order.
  const ids = [0x2_0001, 41, 0x1_0000, 7, 0xffff, 23, 0x1_0005, 5];
  const snapshot = await build('shuffled', ids.map((id) => ({ id, name: 'A' })));
  const { idOrder, graph } = snapshot;
  assert.equal(idOrder.length, graph.nodeCount);
  assert.equal(new Set(idOrder).size, graph.nodeCount, 'a permutation of the ordinals');
  for (let k = 1; k < idOrder.length; k++) assert.ok(graph.nodeIds[idOrder[k - 1]!]! < graph.nodeIds[idOrder[k]!]!);
  for (const id of ids) assert.equal(graph.nodeIds[snapshot.ordinalById(id)], id);
  assert.equal(newestHeapId(snapshot), 0x2_0001);
});

test('matchIds pairs every object present in both snapshots and counts the rest', async () => {
  const [a, b] = await Promise.all([build('base', base), build('target', target)]);
  const match = matchIds(a, b);
  const matchedTargetIds: number[] = [];
  for (let o = 0; o < b.graph.nodeCount; o++) {
    const from = match.fromOrdinalByToOrdinal[o]!;
    if (from < 0) continue;
    assert.equal(a.graph.nodeIds[from], b.graph.nodeIds[o], 'a pair must be the same id');
    matchedTargetIds.push(b.graph.nodeIds[o]!);
  }
  // The synthetic roots share the builder's id 1, plus 3, 5, 9.
  assert.deepEqual(matchedTargetIds.sort((x, y) => x - y), [1, 3, 5, 9]);
  assert.equal(match.addedCount, 2);
  assert.equal(match.removedCount, 1);
});

test('three snapshots: candidates are the objects allocated between base and target still alive in final', async () => {
  const snapshots = await Promise.all([build('base', base), build('target', target), build('final', final)]);
  const diff = diffSnapshots(snapshots.slice(0, 2), snapshots[2]!);
  const candidates = [];
  for (let o = 0; o < diff.candidates.length; o++) if (diff.candidates[o] === 1) candidates.push(o);
  assert.deepEqual(idsOf(diff.last, candidates), [11]);
  assert.equal(diff.candidateCount, 1);
  assert.equal(diff.threeSnapshot, true);
});

test('two snapshots: every object new in the target is a candidate, with a warning that says so', async () => {
  const snapshots = await Promise.all([build('base', base), build('target', target)]);
  const diff = diffSnapshots([snapshots[0]!], snapshots[1]!);
  const candidates = [];
  for (let o = 0; o < diff.candidates.length; o++) if (diff.candidates[o] === 1) candidates.push(o);
  assert.deepEqual(idsOf(diff.last, candidates), [11, 13]);
  assert.equal(diff.threeSnapshot, false);
  assert.deepEqual(diff.warnings, [{ kind: 'two-snapshots' }]);
});

test('snapshots given newest first are refused with a message that says to reorder them', async () => {
  const snapshots = await Promise.all([build('final', final), build('base', base)]);
  assert.throws(() => diffSnapshots([snapshots[0]!], snapshots[1]!), (error: Error & { code?: string }) => {
    assert.equal(error.code, ErrorCode.SNAPSHOTS_INCOMPARABLE);
    assert.match(error.message, /oldest first/);
    return true;
  });
});

test('snapshots whose shared ids name different objects are refused as coming from different processes', async () => {
  const other = base.map((object, k) => ({ id: object.id, name: `Other${k}` }));
  const snapshots = await Promise.all([build('base', base), build('elsewhere', other)]);
  assert.throws(() => diffSnapshots([snapshots[0]!], snapshots[1]!), (error: Error & { code?: string }) => {
    assert.equal(error.code, ErrorCode.SNAPSHOTS_INCOMPARABLE);
    assert.match(error.message, /not from the process/);
    return true;
  });
});

test('one snapshot or four are a usage error', async () => {
  const one = await build('base', base);
  assert.throws(() => diffSnapshots([], one), { code: ErrorCode.USAGE });
  assert.throws(() => diffSnapshots([one, one, one], one), { code: ErrorCode.USAGE });
});
