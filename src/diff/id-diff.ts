import type { Snapshot } from '../snapshot/index.js';

/**
 * Objects are matched across snapshots by V8 object id, which V8 keeps stable for the life of one
 * process (and hands out in increasing order). Each snapshot comes with its ordinals sorted by id
 * (Snapshot.idOrder, built once by the engine's load: src/snapshot/id-order.ts), so every pairing
 * is a linear merge-walk.
 */
type WithIdOrder = Pick<Snapshot, 'graph' | 'idOrder'>;

export interface IdMatch {
  /** By ordinal of `to`: the ordinal of the same object in `from`, or -1 when it is new in `to`. */
  readonly fromOrdinalByToOrdinal: Int32Array;
  /** Objects present in both snapshots. */
  readonly matchedCount: number;
  /** Objects of `to` that `from` does not have. */
  readonly addedCount: number;
  /** Objects of `from` that `to` no longer has. */
  readonly removedCount: number;
}

/** Pairs the objects of two snapshots of one process by id (merge-walk, O(N_from + N_to)). */
export function matchIds(from: WithIdOrder, to: WithIdOrder): IdMatch {
  const idsA = from.graph.nodeIds;
  const idsB = to.graph.nodeIds;
  const orderA = from.idOrder;
  const orderB = to.idOrder;
  const fromOrdinalByToOrdinal = new Int32Array(to.graph.nodeCount).fill(-1);
  let i = 0;
  let j = 0;
  let matchedCount = 0;
  // Invariant: every id below idsA[orderA[i]] and below idsB[orderB[j]] has been classified; ids
  // are unique within a snapshot, so equal heads are the same object.
  while (i < orderA.length && j < orderB.length) {
    const ordinalA = orderA[i]!;
    const ordinalB = orderB[j]!;
    const idA = idsA[ordinalA]!;
    const idB = idsB[ordinalB]!;
    if (idA === idB) {
      fromOrdinalByToOrdinal[ordinalB] = ordinalA;
      matchedCount++;
      i++;
      j++;
    } else if (idA < idB) {
      i++;
    } else {
      j++;
    }
  }
  return {
    fromOrdinalByToOrdinal,
    matchedCount,
    addedCount: to.graph.nodeCount - matchedCount,
    removedCount: from.graph.nodeCount - matchedCount,
  };
}

/**
 * The newest JS heap object id in a snapshot. V8 hands heap objects increasing ids, so a later
 * snapshot of the same process has a larger one. Embedder (native) and synthetic nodes are left
 * out: Node derives their ids from addresses, which say nothing about time.
 */
export function newestHeapId(snapshot: Pick<Snapshot, 'graph'>): number {
  const graph = snapshot.graph;
  const { native, synthetic } = graph.nodeType;
  let newest = 0;
  for (let ordinal = 0; ordinal < graph.nodeCount; ordinal++) {
    const type = graph.nodeTypes[ordinal];
    if (type === native || type === synthetic) continue;
    if (graph.nodeIds[ordinal]! > newest) newest = graph.nodeIds[ordinal]!;
  }
  return newest;
}
