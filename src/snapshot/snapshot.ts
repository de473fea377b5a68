export { UNREACHABLE } from './distances.js';
import type { HeapGraph } from './heap-graph.js';
import { IdOrderedSnapshot } from './id-ordered-snapshot.js';
import { findRetainerPath } from './retainer-path.js';

import { UNREACHABLE } from './distances.js';

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

/** The dominator tree's children, CSR: the nodes o dominates are dominated[firstDominated[o] .. firstDominated[o + 1]). */
export interface DominatedNodes {
  readonly firstDominated: Uint32Array;
  readonly dominated: Uint32Array;
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

/** A retaining edge and the node that owns it. */
export interface Referrer {
  readonly owner: number;
  readonly edge: number;
}

/** The arrays loadSnapshot computes, in pipeline order (load.ts). */
export interface SnapshotIndexes {
  /** By edge: 1 when the edge retains its target (edge-policy.ts), else 0. */
  readonly essentialEdges: Uint8Array;
  readonly retainers: Retainers;
  /** By ordinal: edges on the shortest path from the GC roots; UNREACHABLE when there is none. */
  readonly distances: Int32Array;
  /** Nodes V8 kept that no essential edge from the root reaches (reported, never fatal). */
  readonly unreachableCount: number;
  /** By ordinal: immediate dominator ordinal. The root dominates itself; unreachable nodes are attached to the root. */
  readonly dominators: Uint32Array;
  /** Unreached nodes attached to the root as extra DFS starts for the dominator tree. */
  readonly unreachableRoots: Uint32Array;
  /** By ordinal: bytes freed if that node alone were collected (Float64: sums pass 4 GiB). */
  readonly retainedSizes: Float64Array;
}

/**
 * A parsed snapshot with every index the detectors need. Built by loadSnapshot(); the arrays of
 * SnapshotIndexes are computed once, eagerly, in one visible pipeline (parse → id order → edges →
 * retainers → distances → dominators → retained sizes). Indexes only some queries need (the
 * dominator tree's children) are built on first use and kept here.
 */
// The class carries every SnapshotIndexes array as its own readonly member (declaration merging),
// so the pipeline's list of arrays is written once, in SnapshotIndexes.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface Snapshot extends SnapshotIndexes {}
export class Snapshot extends IdOrderedSnapshot {
  #dominated: DominatedNodes | undefined;

  constructor(graph: HeapGraph, idOrder: Uint32Array, indexes: SnapshotIndexes) {
    super(graph, idOrder);
    Object.assign(this, indexes);
  }

  /** Shortest path from the GC roots to a node (root first), or undefined when it is unreachable. */
  retainerPath(ordinal: number, options?: RetainerPathOptions): RetainerPath | undefined {
    return findRetainerPath(this.graph, this.retainers, this.essentialEdges, this.distances, ordinal, options);
  }

  /**
   * The node's owner: the retaining edge whose owner is nearest the GC roots. `namedOnly` keeps
   * property, element and context edges (what a user wrote); otherwise any non-weak, non-shortcut
   * edge counts (V8's internal ones too). Undefined when no such retainer is reachable.
   */
  owner(ordinal: number, namedOnly = true): Referrer | undefined {
    const graph = this.graph;
    const { firstRetainer, retainerEdges, retainerOwners } = this.retainers;
    const { property, context, element, weak, shortcut } = graph.edgeType;
    let best: Referrer | undefined;
    let bestDistance = Infinity;
    for (let slot = firstRetainer[ordinal]!; slot < firstRetainer[ordinal + 1]!; slot++) {
      const edge = retainerEdges[slot]!;
      const type = graph.edgeTypes[edge];
      if (namedOnly ? type !== property && type !== context && type !== element : type === weak || type === shortcut) continue;
      const owner = retainerOwners[slot]!;
      const distance = this.distances[owner]!;
      if (distance === UNREACHABLE || distance >= bestDistance) continue;
      best = { owner, edge };
      bestDistance = distance;
    }
    return best;
  }

  /** The nodes that refer to `ordinal`, with the edge each refers by (weak edges left out unless asked). */
  referrers(ordinal: number, includeWeak = false): Referrer[] {
    const { firstRetainer, retainerEdges, retainerOwners } = this.retainers;
    const weak = this.graph.edgeType.weak;
    const out: Referrer[] = [];
    for (let slot = firstRetainer[ordinal]!; slot < firstRetainer[ordinal + 1]!; slot++) {
      const edge = retainerEdges[slot]!;
      if (!includeWeak && this.graph.edgeTypes[edge] === weak) continue;
      out.push({ owner: retainerOwners[slot]!, edge });
    }
    return out;
  }

  /** Non-weak retaining edges of a node. */
  strongReferrerCount(ordinal: number): number {
    const { firstRetainer, retainerEdges } = this.retainers;
    const { edgeTypes } = this.graph;
    const weak = this.graph.edgeType.weak;
    let strong = 0;
    for (let slot = firstRetainer[ordinal]!; slot < firstRetainer[ordinal + 1]!; slot++) if (edgeTypes[retainerEdges[slot]!] !== weak) strong++;
    return strong;
  }

  /** The children of every node in the dominator tree, built on first use (8N bytes). */
  get dominated(): DominatedNodes {
    return (this.#dominated ??= buildDominatedNodes(this.dominators));
  }

  /**
   * The class a user wrote for an object whose V8 name is a base it only borrowed: the function
   * whose `prototype` is the object's prototype. ioredis copies EventEmitter.prototype, its
   * `constructor` included, into its Redis class, so V8 names a Redis client "EventEmitter"; the
   * prototype still belongs to Redis. Only for names listed in BORROWED_CLASS_NAMES: a prototype
   * such as Object.prototype has a retainer per hidden class, too many to scan for every object.
   */
  definingClassName(ordinal: number): string {
    const name = this.displayName(ordinal);
    if (!BORROWED_CLASS_NAMES.has(name)) return name;
    const proto = this.property(ordinal, '__proto__');
    if (proto < 0) return name;
    const graph = this.graph;
    const prototypeName = this.stringIndex('prototype');
    const { firstRetainer, retainerEdges, retainerOwners } = this.retainers;
    for (let slot = firstRetainer[proto]!; slot < firstRetainer[proto + 1]!; slot++) {
      const edge = retainerEdges[slot]!;
      const owner = retainerOwners[slot]!;
      if (graph.edgeTypes[edge] !== graph.edgeType.property || graph.edgeNames[edge] !== prototypeName) continue;
      if (graph.nodeTypes[owner] !== graph.nodeType.closure) continue;
      const ownerName = this.nodeName(owner);
      if (ownerName !== '') return ownerName;
    }
    return name;
  }

  /** The member retaining the most (first of equals), or -1 for none. */
  largestByRetainedSize(ordinals: ArrayLike<number>): number {
    let best = -1;
    for (let i = 0; i < ordinals.length; i++) {
      const ordinal = ordinals[i]!;
      if (best < 0 || this.retainedSizes[ordinal]! > this.retainedSizes[best]!) best = ordinal;
    }
    return best;
  }
}

/** Base classes that user classes mix in or inherit with their `constructor` (see definingClassName). */
const BORROWED_CLASS_NAMES = new Set(['EventEmitter', 'EventTarget']);

/**
 * Count → prefix sums → fill. Every node whose dominator is itself is a tree root (ordinal 0, and
 * nothing else when the engine attaches unreachable nodes to it) and is nobody's child.
 */
function buildDominatedNodes(dominators: Uint32Array): DominatedNodes {
  const count = dominators.length;
  const firstDominated = new Uint32Array(count + 1);
  for (let ordinal = 0; ordinal < count; ordinal++) if (dominators[ordinal] !== ordinal) firstDominated[dominators[ordinal]! + 1]!++;
  for (let ordinal = 0; ordinal < count; ordinal++) firstDominated[ordinal + 1]! += firstDominated[ordinal]!;
  const dominated = new Uint32Array(firstDominated[count]!);
  const fill = firstDominated.slice(0, count);
  for (let ordinal = 0; ordinal < count; ordinal++) if (dominators[ordinal] !== ordinal) dominated[fill[dominators[ordinal]!]!++] = ordinal;
  return { firstDominated, dominated };
}
