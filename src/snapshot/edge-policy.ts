import type { HeapGraph } from './heap-graph.js';

/**
 * THE edge policy: which edges keep their target alive. Distances (BFS), the dominator DFS, the
 * dominators' predecessor scan, retained sizes and retainer paths all read the one array this
 * builds, so no two phases can disagree about the graph they walk (memlab's hang came from a
 * forward pass and a backward pass that used different predicates).
 *
 * An edge from node `owner` to `target` is essential unless:
 * 1. it is a weak edge — weak references never retain anything;
 * 2. it is a shortcut edge from any node other than the root — shortcuts are V8's summaries of a
 *    path that also exists through ordinary edges (at the root they mark the user's global
 *    objects, and are kept there);
 * 3. it points at its own owner — a self edge never changes reachability;
 * 4. it is the WeakMap table → value half of an ephemeron: V8 writes both "key → value" and
 *    "table → value" as internal edges named "N / part of key (K @k) -> value (V @v) pair in
 *    WeakMap (table @t)". The value lives only while key and table both do, so one of the two
 *    edges suffices; we keep the key's edge (it explains leaks better) and drop the one whose
 *    owner is the table (owner id === t);
 * 5. it leads from a node outside the user's object graph into it (owner is not the root): the
 *    user's graph is everything reachable, over non-weak edges, from the root's shortcut targets
 *    (Node's and a page's global objects) and Chrome's "(Document DOM trees)". Otherwise V8's
 *    internal roots (handle scopes, compilation caches, the debugger) would "dominate" user
 *    objects that the program itself holds through its globals.
 *
 * These are DevTools' rules (computeIsEssentialEdge with page-owned flags; memlab uses the same),
 * so retained sizes and dominators match what the DevTools Memory panel shows for the same file.
 */
export function computeEssentialEdges(graph: HeapGraph): Uint8Array {
  const { nodeCount, edgeCount, firstEdge, edgeTypes, edgeNames, edgeTargets, nodeIds, strings } = graph;
  const weakType = graph.edgeType.weak;
  const shortcutType = graph.edgeType.shortcut;
  const internalType = graph.edgeType.internal;
  const essential = new Uint8Array(edgeCount);
  const tableIdByName = new WeakMapEdgeNames(strings);
  const userObjects = markUserObjects(graph);
  const rootOrdinal = 0;
  // Invariant: edges firstEdge[owner] .. firstEdge[owner + 1] - 1 belong to `owner`.
  for (let owner = 0; owner < nodeCount; owner++) {
    const end = firstEdge[owner + 1]!;
    const ownerIsUser = userObjects[owner] !== 0;
    for (let edge = firstEdge[owner]!; edge < end; edge++) {
      const type = edgeTypes[edge]!;
      if (type === weakType) continue;
      const target = edgeTargets[edge]!;
      if (target === owner) continue;
      if (owner !== rootOrdinal) {
        if (type === shortcutType) continue;
        if (!ownerIsUser && userObjects[target] !== 0) continue;
      }
      if (type === internalType && tableIdByName.tableId(edgeNames[edge]!) === nodeIds[owner]) continue;
      essential[edge] = 1;
    }
  }
  return essential;
}

/**
 * 1 for every node reachable over non-weak edges from the root's shortcut targets (the global
 * objects) and from a synthetic "(Document DOM trees)" root child; 0 elsewhere.
 */
function markUserObjects(graph: HeapGraph): Uint8Array {
  const { nodeCount, firstEdge, edgeTypes, edgeTargets, nodeTypes, nodeNames, strings } = graph;
  const { shortcut: shortcutType, element: elementType, weak: weakType } = graph.edgeType;
  const syntheticType = graph.nodeType.synthetic;
  const marked = new Uint8Array(nodeCount);
  const stack = new Uint32Array(nodeCount);
  let top = 0;
  for (let edge = firstEdge[0]!; edge < firstEdge[1]!; edge++) {
    const type = edgeTypes[edge]!;
    const target = edgeTargets[edge]!;
    const entry = type === shortcutType
      || (type === elementType && nodeTypes[target] === syntheticType && strings[nodeNames[target]!] === '(Document DOM trees)');
    if (entry && marked[target] === 0) {
      marked[target] = 1;
      stack[top++] = target;
    }
  }
  // Invariant: every marked node is on the stack or has had all its non-weak targets marked.
  while (top > 0) {
    const owner = stack[--top]!;
    const end = firstEdge[owner + 1]!;
    for (let edge = firstEdge[owner]!; edge < end; edge++) {
      const target = edgeTargets[edge]!;
      if (marked[target] !== 0 || edgeTypes[edge] === weakType) continue;
      marked[target] = 1;
      stack[top++] = target;
    }
  }
  return marked;
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
