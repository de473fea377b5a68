import type { HeapGraph } from './heap-graph.js';

/** distances[o] for a node no essential path reaches. */
export const UNREACHABLE = -1;

export interface Distances {
  /** By ordinal: essential edges on the shortest path from the root; UNREACHABLE when none. */
  readonly distances: Int32Array;
  /** Nodes no essential path from the root reaches. */
  readonly unreachableCount: number;
}

/** Breadth-first search from the root (ordinal 0) over essential edges only (edge-policy.ts). */
export function computeDistances(graph: HeapGraph, essentialEdges: Uint8Array): Distances {
  const { nodeCount, firstEdge, edgeTargets } = graph;
  const distances = new Int32Array(nodeCount).fill(UNREACHABLE);
  // A preallocated queue with a read cursor: each node enters at most once.
  const queue = new Uint32Array(nodeCount);
  const none = UNREACHABLE; // a local: imported bindings are loads in hot loops
  let head = 0;
  let tail = 0;
  distances[0] = 0;
  queue[tail++] = 0;
  // Invariant: queue[head..tail) holds discovered nodes in nondecreasing distance order.
  while (head < tail) {
    const owner = queue[head++]!;
    const next = distances[owner]! + 1;
    const end = firstEdge[owner + 1]!;
    for (let edge = firstEdge[owner]!; edge < end; edge++) {
      if (essentialEdges[edge] === 0) continue;
      const target = edgeTargets[edge]!;
      if (distances[target] !== none) continue;
      distances[target] = next;
      queue[tail++] = target;
    }
  }
  return { distances, unreachableCount: nodeCount - tail };
}
