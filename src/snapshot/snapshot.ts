import type { HeapGraph } from './heap-graph.js';

/**
 * A parsed snapshot with every index the detectors need. Built by loadSnapshot(); the arrays are
 * computed once, eagerly, in one visible pipeline (parse → id order → edges → retainers →
 * distances → dominators → retained sizes), so no query pays a hidden first-use cost.
 */
export interface Snapshot {
  readonly graph: HeapGraph;
  readonly retainers: Retainers;
  /** By ordinal: immediate dominator ordinal. The root dominates itself; unreachable nodes are attached to the root. */
  readonly dominators: Uint32Array;
  /** By ordinal: bytes freed if that node alone were collected (Float64: sums pass 4 GiB). */
  readonly retainedSizes: Float64Array;
  /** By ordinal: edges on the shortest path from the GC roots; UNREACHABLE when there is none. */
  readonly distances: Int32Array;
  /** Nodes V8 kept that no essential edge from the root reaches (reported, never fatal). */
  readonly unreachableCount: number;
  /** Ordinals sorted by ascending V8 id (id-order.ts): ordinalById's index and the diff's merge order. */
  readonly idOrder: Uint32Array;

  /** Ordinal of a V8 object id, or -1 when the id is not in this snapshot. */
  ordinalById(id: number): number;
  /** The class name DevTools shows for a node ("Object", "Map", "(closure) onError", "(string)", …). */
  className(ordinal: number): string;
  /** Shortest path from the GC roots to a node (root first), or undefined when it is unreachable. */
  retainerPath(ordinal: number, options?: RetainerPathOptions): RetainerPath | undefined;
}

/** distances[o] for a node no essential path reaches. */
export const UNREACHABLE = -1;

/**
 * Reverse CSR: the edges that point at ordinal o are the slots firstRetainer[o] ..
 * firstRetainer[o + 1] - 1; slot s holds the edge number retainerEdges[s], owned by the node
 * retainerOwners[s].
 */
export interface Retainers {
  readonly firstRetainer: Uint32Array;
  readonly retainerEdges: Uint32Array;
  readonly retainerOwners: Uint32Array;
}

export interface RetainerPathOptions {
  /** Longest path returned; longer ones are cut in the middle. Default 32. */
  maxSteps?: number;
}

/** One step of a retainer path: the edge `edge` of node `from` leads to node `to`. */
export interface RetainerStep {
  readonly from: number;
  readonly edge: number;
  readonly to: number;
}

export interface RetainerPath {
  /** Root first, target last. */
  readonly steps: readonly RetainerStep[];
  /** Steps dropped from the middle when the path was longer than maxSteps (0 when complete). */
  readonly omittedSteps: number;
}
