import type { HeapGraph } from './heap-graph.js';
import type { Retainers } from './snapshot.js';

/**
 * Reverse CSR of the edges, built by count → prefix sum → fill, with no per-node objects. The
 * retainers of each node come out in (owner ordinal, edge) order, which makes retainer listings
 * and retainer paths deterministic.
 */
export function buildRetainers(graph: HeapGraph): Retainers {
  const { nodeCount, edgeCount, firstEdge, edgeTargets } = graph;
  const firstRetainer = new Uint32Array(nodeCount + 1);
  const retainerEdges = new Uint32Array(edgeCount);
  const retainerOwners = new Uint32Array(edgeCount);
  // Count: firstRetainer[t] = number of edges pointing at t.
  for (let edge = 0; edge < edgeCount; edge++) firstRetainer[edgeTargets[edge]!]++;
  // Prefix sum: firstRetainer[t] = first slot of t.
  let sum = 0;
  for (let ordinal = 0; ordinal < nodeCount; ordinal++) {
    const count = firstRetainer[ordinal]!;
    firstRetainer[ordinal] = sum;
    sum += count;
  }
  firstRetainer[nodeCount] = sum;
  // Fill forwards: firstRetainer[t] is used as t's write cursor, so afterwards it holds the end
  // of t's slots, i.e. the start of t + 1's; shifting by one restores the starts.
  for (let owner = 0; owner < nodeCount; owner++) {
    const end = firstEdge[owner + 1]!;
    for (let edge = firstEdge[owner]!; edge < end; edge++) {
      const slot = firstRetainer[edgeTargets[edge]!]++;
      retainerEdges[slot] = edge;
      retainerOwners[slot] = owner;
    }
  }
  for (let ordinal = nodeCount; ordinal > 0; ordinal--) firstRetainer[ordinal] = firstRetainer[ordinal - 1]!;
  firstRetainer[0] = 0;
  return { firstRetainer, retainerEdges, retainerOwners };
}
