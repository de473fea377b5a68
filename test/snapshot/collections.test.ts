import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { loadSnapshot, type Snapshot } from '../../src/snapshot/index.js';
import { writeLiveSnapshot } from '../helpers/live-snapshot.js';

// The temp dir goes when this file's process exits (an after() inside before() runs too early).
// Sizes chosen to cross V8's hash-table capacity steps (4, 8, …, 1024 buckets) and to mix key kinds:
// Smi keys are invisible in a snapshot, so the Map of 1000 is counted by its values alone.
const MAP_OF_OBJECTS = 1000;
const SET_OF_STRINGS = 77;
const DICTIONARY_PROPERTIES = 33;
const ARRAY_ELEMENTS = 12;

describe('collectionSize on a real V8 snapshot', () => {
  let snapshot: Snapshot;
  let probe: number;
  before(async () => {
    const path = await writeLiveSnapshot({ after: (fn: () => unknown) => void process.once('exit', () => void fn()) } as never, `
      const probeMap = new Map();
      for (let i = 0; i < ${MAP_OF_OBJECTS}; i++) probeMap.set(i, { i });
      const probeSet = new Set();
      for (let i = 0; i < ${SET_OF_STRINGS}; i++) probeSet.add('key-' + i);
      const probeDict = {};
      for (let i = 0; i < ${DICTIONARY_PROPERTIES}; i++) probeDict['p' + i] = { i };
      const probeArray = [];
      for (let i = 0; i < ${ARRAY_ELEMENTS}; i++) probeArray.push({ i });
      const probeSmallMap = new Map([['alpha', { v: 1 }], ['beta', { v: 2 }]]);
      globalThis.leakcheckProbe = { probeMap, probeSet, probeDict, probeArray, probeSmallMap, probeEmpty: new Map() };
    `);
    snapshot = await loadSnapshot(path);
    const graph = snapshot.graph;
    probe = -1;
    for (let o = 0; o < graph.nodeCount && probe < 0; o++) if (snapshot.property(o, 'probeSmallMap') >= 0) probe = o;
    assert.ok(probe >= 0, 'the probe object is in the snapshot');
  });

  const sizeOf = (property: string) => snapshot.collectionSize(snapshot.property(probe, property));

  test('counts Map entries from the hash table layout', () => {
    assert.deepEqual(sizeOf('probeMap'), { kind: 'Map', size: MAP_OF_OBJECTS });
    assert.deepEqual(sizeOf('probeEmpty'), { kind: 'Map', size: 0 });
  });

  test('counts Set entries', () => {
    assert.deepEqual(sizeOf('probeSet'), { kind: 'Set', size: SET_OF_STRINGS });
  });

  test('counts the named properties of a dictionary object', () => {
    assert.deepEqual(sizeOf('probeDict'), { kind: 'Object', size: DICTIONARY_PROPERTIES });
  });

  test('counts Array elements', () => {
    assert.deepEqual(sizeOf('probeArray'), { kind: 'Array', size: ARRAY_ELEMENTS });
  });

  test('pairs Map keys with their values', () => {
    const entries = snapshot.mapEntries(snapshot.property(probe, 'probeSmallMap'));
    assert.deepEqual(entries.map((e) => snapshot.nodeName(e.key)), ['alpha', 'beta']);
    assert.deepEqual(entries.map((e) => snapshot.nodeName(e.value)), ['Object', 'Object']);
  });

  test('is undefined for objects that are not collections', () => {
    assert.equal(snapshot.collectionSize(0), undefined);
  });
});
