import type { HeapGraph } from './heap-graph.js';

/**
 * THE edge policy: which edges keep their target alive. Distances (BFS), the dominator DFS, the
 * dominators' predecessor scan, retained sizes and retainer paths all read the one array this
 * builds, so no two phases can disagree about the graph they walk (memlab's hang came from a
 * forward pass and a backward pass that used different predicates).
 *
 * An edge from node `owner` is essential unless:
 * 1. it is a weak edge — weak references never retain anything;
 * 2. it is a shortcut edge from any node other than the root — shortcuts are V8's summaries of a
 *    path that also exists through ordinary edges (at the root they mark user globals, and are
 *    kept there, as in DevTools);
 * 3. it points at its own owner — a self edge never changes reachability;
 * 4. it is the WeakMap table → value half of an ephemeron: V8 writes both "key → value" and
 *    "table → value" as internal edges named "N / part of key (K @k) -> value (V @v) pair in
 *    WeakMap (table @t)". The value lives only while key and table both do, so one of the two
 *    edges suffices; like DevTools' computeIsEssentialEdge we keep the key's edge (it explains
 *    leaks better) and drop the one whose owner is the table (owner id === t).
 *
 * DevTools also drops edges from non-page objects into page objects (a browser-only rule about
 * Window-owned nodes); Node snapshots have no page objects, so leakcheck has no such rule.
 */
export function computeEssentialEdges(graph: HeapGraph): Uint8Array {
  const { nodeCount, edgeCount, firstEdge, edgeTypes, edgeNames, edgeTargets, nodeIds, strings } = graph;
  const weakType = graph.edgeType.weak;
  const shortcutType = graph.edgeType.shortcut;
  const internalType = graph.edgeType.internal;
  const essential = new Uint8Array(edgeCount);
  const tableIdByName = new WeakMapEdgeNames(strings);
  const rootOrdinal = 0;
  // Invariant: edges firstEdge[owner] .. firstEdge[owner + 1] - 1 belong to `owner`.
  for (let owner = 0; owner < nodeCount; owner++) {
    const end = firstEdge[owner + 1]!;
    for (let edge = firstEdge[owner]!; edge < end; edge++) {
      const type = edgeTypes[edge]!;
      if (type === weakType) continue;
      if (type === shortcutType && owner !== rootOrdinal) continue;
      if (edgeTargets[edge] === owner) continue;
      if (type === internalType && tableIdByName.tableId(edgeNames[edge]!) === nodeIds[owner]) continue;
      essential[edge] = 1;
    }
  }
  return essential;
}

const NOT_EPHEMERON = -1;
const UNKNOWN = 0;
const NO = 1;
const YES = 2;
const EPHEMERON_NAME = /^\d+ \/ part of key \(.*? @\d+\) -> value \(.*? @\d+\) pair in WeakMap \(table @(\d+)\)$/;

/**
 * Parses each distinct internal edge name at most once: a byte per string says "not looked at",
 * "not an ephemeron name" or "ephemeron" (then the table id is in a Map), so the common case
 * costs one typed-array read per internal edge.
 */
class WeakMapEdgeNames {
  private readonly state: Uint8Array;
  private readonly tableIds = new Map<number, number>();
  constructor(private readonly strings: readonly string[]) {
    this.state = new Uint8Array(strings.length);
  }

  /** The WeakMap table's node id named by an ephemeron edge, or -1 for any other name. */
  tableId(nameIndex: number): number {
    const state = this.state[nameIndex];
    if (state === NO) return NOT_EPHEMERON;
    if (state === YES) return this.tableIds.get(nameIndex)!;
    const name = this.strings[nameIndex] ?? '';
    const match = name.includes('pair in WeakMap') ? EPHEMERON_NAME.exec(name) : null;
    if (state === UNKNOWN && nameIndex < this.state.length) this.state[nameIndex] = match ? YES : NO;
    if (!match) return NOT_EPHEMERON;
    const id = Number(match[1]);
    this.tableIds.set(nameIndex, id);
    return id;
  }
}
