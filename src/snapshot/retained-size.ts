import type { HeapGraph } from './heap-graph.js';

/**
 * Retained size of every node: its self size plus the retained sizes of the nodes it immediately
 * dominates. Walking the DFS preorder backwards visits every node after all nodes it dominates
 * (a dominator is a DFS-tree ancestor), so one pass suffices. Float64: sums pass 4 GiB.
 */
export function computeRetainedSizes(graph: HeapGraph, dominators: Uint32Array, preorder: Uint32Array): Float64Array {
  const retainedSizes = Float64Array.from(graph.selfSizes);
  // Invariant: when preorder[i] is visited, every node it dominates has been added into it.
  for (let i = preorder.length - 1; i > 0; i--) {
    const ordinal = preorder[i]!;
    retainedSizes[dominators[ordinal]!] += retainedSizes[ordinal]!;
  }
  return retainedSizes;
}
