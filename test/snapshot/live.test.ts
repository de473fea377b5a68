import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadSnapshot, parseSnapshot, className, summarizeClasses, UNREACHABLE, type Snapshot } from '../../src/snapshot/index.js';
import { writeLiveSnapshot } from '../helpers/live-snapshot.js';

const require = createRequire(import.meta.url);
interface OracleNode { type: string; name: string; id: number; self_size: number; edge_count: number; references: OracleEdge[] }
interface OracleEdge { type: string; name_or_index: string | number; toNode: OracleNode }
const oracle = require('heapsnapshot-parser') as { parse(json: string): { nodes: OracleNode[]; edges: OracleEdge[] } };

const program = `
class Session { constructor(id) { this.id = id; this.tags = ['a', 'b']; this.onClose = () => this.id; } }
const sessions = new Map();
for (let i = 0; i < 500; i++) sessions.set('s' + i, new Session(i));
const cache = new WeakMap();
const keys = [];
for (let i = 0; i < 50; i++) { const key = { k: i }; keys.push(key); cache.set(key, { payload: 'x'.repeat(100) + i }); }
globalThis.retained = { sessions, cache, keys, text: 'héllo wörld 日本', big: new Array(1000).fill(1.5), re: /a+b/g, sym: Symbol('tag'), n: 2n ** 70n };
`;

// One child process for the whole file; its temp dir goes when the file's tests are done.
// Started at load time so the cleanup hook belongs to the file, not to the first test.
const shared: Promise<{ path: string; snapshot: Snapshot }> = writeLiveSnapshot({ after } as unknown as Pick<TestContext, 'after'>, program)
  .then(async (path) => ({ path, snapshot: await loadSnapshot(path) }));
shared.catch(() => {}); // reported by the tests that await it
function liveSnapshot() {
  return shared;
}

test('a snapshot written by a real node has the node and edge tables heapsnapshot-parser reads', async () => {
  const { path, snapshot } = await liveSnapshot();
  const { graph } = snapshot;
  const expected = oracle.parse(readFileSync(path, 'utf8'));
  assert.equal(graph.nodeCount, expected.nodes.length);
  assert.equal(graph.edgeCount, expected.edges.length);
  const ordinalOf = new Map(expected.nodes.map((node, ordinal) => [node, ordinal]));
  let edge = 0;
  expected.nodes.forEach((node, ordinal) => {
    assert.equal(graph.nodeTypeNames[graph.nodeTypes[ordinal]!], node.type);
    assert.equal(graph.strings[graph.nodeNames[ordinal]!], node.name);
    assert.equal(graph.nodeIds[ordinal], node.id);
    assert.equal(graph.selfSizes[ordinal], node.self_size);
    assert.equal(graph.firstEdge[ordinal], edge);
    for (const reference of node.references) {
      assert.equal(graph.edgeTargets[edge], ordinalOf.get(reference.toNode));
      const type = graph.edgeTypeNames[graph.edgeTypes[edge]!]!;
      assert.equal(type, reference.type);
      // heapsnapshot-parser looks every name_or_index up in the strings, element indices too.
      assert.equal(graph.strings[graph.edgeNames[edge]!], reference.name_or_index);
      edge++;
    }
  });
  assert.equal(graph.firstEdge[graph.nodeCount], edge);
});

test('per-class counts and shallow sizes agree with the same grouping over heapsnapshot-parser nodes', async () => {
  const { path, snapshot } = await liveSnapshot();
  const expected = oracle.parse(readFileSync(path, 'utf8'));
  const counts = new Map<string, { count: number; shallowSize: number }>();
  expected.nodes.forEach((node, ordinal) => {
    if (node.type === 'synthetic') return;
    // The grouping rule is className's; the data is the oracle's.
    const name = className(snapshot.graph, ordinal);
    const entry = counts.get(name) ?? { count: 0, shallowSize: 0 };
    entry.count++;
    entry.shallowSize += node.self_size;
    counts.set(name, entry);
  });
  const summary = summarizeClasses(snapshot);
  assert.equal(summary.length, counts.size);
  for (const row of summary) assert.deepEqual({ count: row.count, shallowSize: row.shallowSize }, counts.get(row.name), row.name);
  const session = summary.find((row) => row.name === 'Session')!;
  assert.equal(session.count, 500);
  assert.ok(summary.some((row) => row.name === '(closure) onClose' || row.name === '(closure)'));
  for (let i = 1; i < summary.length; i++) assert.ok(summary[i - 1]!.retainedSize >= summary[i]!.retainedSize);
});

/**
 * The retention rules as V8 and DevTools document them, written again here over
 * heapsnapshot-parser's objects so that a bug in src/snapshot/edge-policy.ts cannot hide in its own
 * oracle: weak edges never retain; shortcuts retain only from the root (they summarise other
 * paths); a self edge changes nothing; a WeakMap's table → value edge ("… pair in WeakMap (table
 * @t)") is redundant with the key's edge; and edges from V8's internal graph into the user's graph
 * (what the root's shortcut targets, the global objects, reach over non-weak edges) do not retain.
 */
function oracleRetention(nodes: readonly OracleNode[]) {
  const index = new Map(nodes.map((node, i) => [node, i]));
  const root = 0;
  const user = new Uint8Array(nodes.length);
  const pending: number[] = [];
  for (const edge of nodes[root]!.references) {
    const target = index.get(edge.toNode)!;
    if (edge.type === 'shortcut' && !user[target]) { user[target] = 1; pending.push(target); }
  }
  while (pending.length > 0) {
    for (const edge of nodes[pending.pop()!]!.references) {
      const target = index.get(edge.toNode)!;
      if (edge.type !== 'weak' && !user[target]) { user[target] = 1; pending.push(target); }
    }
  }
  const retains = (owner: number, edge: OracleEdge): boolean => {
    const target = index.get(edge.toNode)!;
    if (edge.type === 'weak' || target === owner) return false;
    if (owner !== root && (edge.type === 'shortcut' || (!user[owner] && user[target]))) return false;
    const table = edge.type === 'internal' ? /pair in WeakMap \(table @(\d+)\)$/.exec(String(edge.name_or_index)) : null;
    return !(table && Number(table[1]) === nodes[owner]!.id);
  };
  const targets = nodes.map((node, owner) => node.references.filter((edge) => retains(owner, edge)).map((edge) => index.get(edge.toNode)!));
  /** Self sizes reachable from the root without entering `removed`, and which nodes that is. */
  const reach = (removed: number): { total: number; seen: Uint8Array } => {
    const seen = new Uint8Array(nodes.length);
    const stack = [root];
    seen[root] = 1;
    let total = 0;
    while (stack.length > 0) {
      const node = stack.pop()!;
      total += nodes[node]!.self_size;
      for (const target of targets[node]!) if (target !== removed && !seen[target]) { seen[target] = 1; stack.push(target); }
    }
    return { total, seen };
  };
  return { reach };
}

test('retained sizes equal the self sizes that become unreachable when the node is removed (independent oracle, sampled)', async () => {
  const { path, snapshot } = await liveSnapshot();
  const { retainedSizes, distances, graph } = snapshot;
  const nodes = oracle.parse(readFileSync(path, 'utf8')).nodes;
  const { reach } = oracleRetention(nodes);
  const live = reach(-1);
  // Garbage V8 kept (nothing reaches it) hangs under the root: the root retains every byte.
  assert.equal(retainedSizes[0], nodes.reduce((sum, node) => sum + node.self_size, 0));
  for (let ordinal = 0; ordinal < graph.nodeCount; ordinal++) assert.equal(distances[ordinal] !== UNREACHABLE, live.seen[ordinal] === 1, `reachability of ${ordinal}`);
  // Deterministic sample of live nodes: the 25 largest retainers plus every 997th.
  const byRetained = Array.from({ length: graph.nodeCount - 1 }, (_, i) => i + 1)
    .filter((ordinal) => live.seen[ordinal] === 1)
    .sort((a, b) => retainedSizes[b]! - retainedSizes[a]!);
  const sample = new Set([...byRetained.slice(0, 25), ...byRetained.filter((_, i) => i % 997 === 0)]);
  assert.ok(sample.size > 30);
  for (const ordinal of sample) {
    assert.equal(retainedSizes[ordinal], live.total - reach(ordinal).total, `ordinal ${ordinal} (${snapshot.className(ordinal)})`);
  }
});

test('every reachable node has a retainer path that follows real edges and matches its distance', async () => {
  const { snapshot } = await liveSnapshot();
  const { graph, distances } = snapshot;
  let checked = 0;
  for (let ordinal = 0; ordinal < graph.nodeCount; ordinal += 101) {
    const path = snapshot.retainerPath(ordinal, { maxSteps: 1000 });
    if (distances[ordinal] === UNREACHABLE) {
      assert.equal(path, undefined);
      continue;
    }
    assert.ok(path);
    assert.equal(path.steps.length, distances[ordinal]);
    let at = 0;
    for (const step of path.steps) {
      assert.equal(step.from, at);
      assert.ok(step.edge >= graph.firstEdge[step.from]! && step.edge < graph.firstEdge[step.from + 1]!);
      assert.equal(graph.edgeTargets[step.edge], step.to);
      at = step.to;
    }
    assert.equal(at, ordinal);
    checked++;
  }
  assert.ok(checked > 100);
});

test('the same live file parses identically with small odd chunk sizes', async () => {
  const { path, snapshot } = await liveSnapshot();
  for (const chunkBytes of [997, 4093]) {
    const graph = await parseSnapshot(path, { chunkBytes });
    assert.deepEqual(graph.nodeIds, snapshot.graph.nodeIds);
    assert.deepEqual(graph.edgeTargets, snapshot.graph.edgeTargets);
    assert.deepEqual(graph.edgeNames, snapshot.graph.edgeNames);
    assert.deepEqual(graph.selfSizes, snapshot.graph.selfSizes);
    assert.deepEqual(graph.strings, snapshot.graph.strings);
    assert.deepEqual(graph.locations.locationRowByOrdinal, snapshot.graph.locations.locationRowByOrdinal);
  }
  // V8 writes non-ASCII as \u escapes (and mangles astral characters itself, so none here).
  assert.ok(snapshot.graph.strings.includes('héllo wörld 日本'));
  assert.ok(snapshot.graph.locations.count > 0);
});
