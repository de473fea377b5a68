import type { HeapGraph } from './heap-graph.js';
import { UNREACHABLE } from './distances.js';
import type { Retainers } from './snapshot.js';

export interface DominatorTree {
  /** By ordinal: immediate dominator ordinal; the root (ordinal 0) is its own dominator. */
  readonly dominators: Uint32Array;
  /**
   * Ordinals in DFS preorder (root first). Every node's immediate dominator is a DFS-tree ancestor,
   * so it comes earlier in this order: walking it backwards visits dominated nodes first.
   */
  readonly preorder: Uint32Array;
  /**
   * Nodes no essential path from the root reaches, attached to the root as extra DFS starts
   * (ordinal order; see computeDominators). Empty for a fully reachable graph.
   */
  readonly unreachableRoots: Uint32Array;
}

/**
 * Immediate dominators by the Lengauer–Tarjan algorithm (the "simple" version with path
 * compression): Thomas Lengauer and Robert Endre Tarjan, "A fast algorithm for finding dominators
 * in a flowgraph", ACM TOPLAS 1(1):121–141, 1979, https://doi.org/10.1145/357062.357071.
 * Variable names follow the paper (parent, ancestor, vertex, label, semi, bucket, dom).
 *
 * The graph is the snapshot's essential edges (edge-policy.ts, the same array for the forward DFS
 * and the predecessor scan), with two additions for the nodes the root does not reach (U; the
 * reached ones are R):
 * - virtual root → s edges: first to every node of U with no essential retainer at all (held
 *   only weakly), then, in ordinal order, to every node still unvisited (cycles kept only by
 *   each other). Each s is a DFS start, so the DFS tree stays a valid DFS tree of this graph;
 * - edges from U into R are left out: garbage never changes who dominates a live object. (No
 *   edge leads from R into U, so R's dominator tree is exactly that of the graph the root
 *   reaches, and U hangs under the root as separate subtrees.)
 * The result is exact for that graph (the tests check it against a brute-force oracle). With no
 * unreachable nodes it equals DevTools' result on the same file; DevTools attaches U less
 * carefully (its LT tree is not a DFS tree of any graph there).
 *
 * Deviations from the paper: vertices are numbered 1..n and 0 means "none" (ordinal = vertex - 1);
 * buckets are linked lists in typed arrays; DFS and compress are iterative (no stack overflow on
 * long chains); the root is its own dominator.
 */
export function computeDominators(graph: HeapGraph, retainers: Retainers, essentialEdges: Uint8Array, distances: Int32Array): DominatorTree {
  const { nodeCount, firstEdge, edgeTargets } = graph;
  const { firstRetainer, retainerEdges, retainerOwners } = retainers;
  const size = nodeCount + 1;
  const parent = new Uint32Array(size);
  const ancestor = new Uint32Array(size);
  const vertex = new Uint32Array(size);
  const label = new Uint32Array(size);
  const semi = new Uint32Array(size);
  // DFS edge cursor per vertex; reused as bucket heads once the DFS is over.
  const cursor = new Uint32Array(size);
  let n = 0;

  // Iterative DFS from `start` (its parent already set). Invariant: semi[v] === 0 iff v is not
  // yet numbered; cursor[v] is the next edge of v to examine; the path start..v is the DFS stack
  // (linked by parent).
  const visit = (start: number): void => {
    semi[start] = ++n;
    vertex[n] = label[start] = start;
    cursor[start] = firstEdge[start - 1]!;
    let v = start;
    for (;;) {
      const end = firstEdge[v]!; // edges of ordinal v - 1 end where ordinal v's begin
      let edge = cursor[v]!;
      let w = 0;
      for (; edge < end; edge++) {
        if (essentialEdges[edge] === 0) continue;
        const target = edgeTargets[edge]! + 1;
        if (semi[target] === 0) {
          w = target;
          edge++;
          break;
        }
      }
      cursor[v] = edge;
      if (w !== 0) {
        parent[w] = v;
        semi[w] = ++n;
        vertex[n] = label[w] = w;
        cursor[w] = firstEdge[w - 1]!;
        v = w;
      } else if (v === start) {
        return;
      } else {
        v = parent[v]!;
      }
    }
  };

  const r = 1;
  visit(r);
  const starts: number[] = [];
  if (n < nodeCount) {
    const hasEssentialRetainer = (v: number): boolean => {
      const end = firstRetainer[v]!;
      for (let slot = firstRetainer[v - 1]!; slot < end; slot++) if (essentialEdges[retainerEdges[slot]!] !== 0) return true;
      return false;
    };
    for (let v = 2; v <= nodeCount; v++) {
      if (semi[v] === 0 && !hasEssentialRetainer(v)) {
        parent[v] = r;
        starts.push(v - 1);
        visit(v);
      }
    }
    for (let v = 2; v <= nodeCount; v++) {
      if (semi[v] === 0) {
        parent[v] = r;
        starts.push(v - 1);
        visit(v);
      }
    }
  }

  const bucketHead = cursor.fill(0);
  // One array for two jobs: bucketNext[v] is read only while v sits in a bucket, dom[v] is first
  // written as v leaves its bucket (each vertex enters exactly one bucket, once).
  const bucketNext = new Uint32Array(size);
  const dom = bucketNext;
  // compress() walks up the ancestor forest; its paths are short in heap graphs, so the stack
  // starts small and grows (it can never exceed n).
  let stack = new Uint32Array(1024);
  const evaluate = (v: number): number => {
    if (ancestor[v] === 0) return v;
    // compress(v), iteratively: collect the path to the forest root's child, then fold labels
    // down from the top so each node sees the minimum semi on its path.
    let top = 0;
    let x = v;
    while (ancestor[ancestor[x]!] !== 0) {
      if (top + 1 === stack.length) {
        const grown = new Uint32Array(Math.min(size, stack.length * 2));
        grown.set(stack);
        stack = grown;
      }
      stack[++top] = x;
      x = ancestor[x]!;
    }
    while (top > 0) {
      const y = stack[top--]!;
      const a = ancestor[y]!;
      if (semi[label[a]!]! < semi[label[y]!]!) label[y] = label[a]!;
      ancestor[y] = ancestor[a]!;
    }
    return label[v]!;
  };

  const none = UNREACHABLE; // a local: imported bindings are loads in hot loops
  // Steps 2 and 3 of the paper, vertices in decreasing DFS number.
  for (let i = n; i >= 2; i--) {
    const w = vertex[i]!;
    const end = firstRetainer[w]!;
    const wReached = distances[w - 1] !== none;
    for (let slot = firstRetainer[w - 1]!; slot < end; slot++) {
      if (essentialEdges[retainerEdges[slot]!] === 0) continue;
      const owner = retainerOwners[slot]!;
      if (wReached && distances[owner] === none) continue; // U → R: left out, see above
      const u = evaluate(owner + 1);
      if (semi[u]! < semi[w]!) semi[w] = semi[u]!;
    }
    const p = parent[w]!;
    // Virtual root edges (and real ones) make the root a predecessor: semi[r] = 1 is minimal.
    if (p === r) semi[w] = 1;
    const s = vertex[semi[w]!]!;
    bucketNext[w] = bucketHead[s]!;
    bucketHead[s] = w;
    ancestor[w] = p; // link(parent(w), w)
    for (let v = bucketHead[p]!; v !== 0;) {
      const next = bucketNext[v]!; // before dom[v] overwrites it
      const u = evaluate(v);
      dom[v] = semi[u]! < semi[v]! ? u : p;
      v = next;
    }
    bucketHead[p] = 0;
  }
  // Step 4: fill in the dominators not set explicitly, in increasing DFS number.
  dom[r] = r;
  for (let i = 2; i <= n; i++) {
    const w = vertex[i]!;
    if (dom[w] !== vertex[semi[w]!]) dom[w] = dom[dom[w]!]!;
  }

  // dom by vertex → dominators by ordinal, in place: step o reads dom[o + 1] before step o + 1
  // overwrites it. (No second N-sized array at the memory peak.)
  for (let ordinal = 0; ordinal < nodeCount; ordinal++) dom[ordinal] = dom[ordinal + 1]! - 1;
  const dominators = dom.subarray(0, nodeCount);
  // vertex[1..n] as ordinals, in place.
  const preorder = vertex.subarray(1, n + 1);
  for (let i = 0; i < n; i++) preorder[i] = preorder[i]! - 1;
  return { dominators, preorder, unreachableRoots: Uint32Array.from(starts) };
}
