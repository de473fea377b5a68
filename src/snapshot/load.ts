import { noProgress, type Progress } from '../progress.js';
import { className } from './class-key.js';
import { computeDistances } from './distances.js';
import { computeDominators } from './dominators.js';
import { computeEssentialEdges } from './edge-policy.js';
import { ordinalOfId, sortOrdinalsById } from './id-order.js';
import { parseSnapshot } from './parse.js';
import { computeRetainedSizes } from './retained-size.js';
import { findRetainerPath } from './retainer-path.js';
import { buildRetainers } from './retainers.js';
import type { HeapGraph } from './heap-graph.js';
import type { RetainerPathOptions, Snapshot } from './snapshot.js';
import type { Readable } from 'node:stream';

export interface LoadOptions {
  onProgress?: Progress;
  /** Bytes per read; tiny values exist for tests of chunk boundaries. */
  chunkBytes?: number;
  /** Name for error messages when `source` is a stream. */
  name?: string;
}

/**
 * The first steps of the pipeline alone (loadSnapshotIds): what a snapshot needs to be counted and
 * matched by id against another one — the diff's earlier snapshots, whose sizes are never asked.
 */
export type IdOrderedSnapshot = Pick<Snapshot, 'graph' | 'idOrder' | 'className'>;

/** What loadSnapshot returns: the Snapshot contract plus the engine's own extras. */
export interface LoadedSnapshot extends Snapshot {
  /** By edge: 1 when the edge retains its target (edge-policy.ts), else 0. */
  readonly essentialEdges: Uint8Array;
  /** Unreached nodes attached to the root as extra DFS starts for the dominator tree. */
  readonly unreachableRoots: Uint32Array;
  /** Sum of all self sizes, in bytes. */
  readonly totalSize: number;
}

/**
 * The engine's one load pipeline, every index built eagerly, in this order:
 * parse → id order | essential edges → retainers → distances → dominators → retained sizes.
 * loadSnapshotIds runs the steps before the bar, loadSnapshot all of them (through
 * loadSnapshotIds, so the two cannot drift apart). Each phase reports progress under its own
 * label; temporary arrays of one phase are garbage before the next allocates.
 */
export async function loadSnapshot(source: string | Readable, options: LoadOptions = {}): Promise<LoadedSnapshot> {
  const { graph, idOrder, className: classNameOf } = await loadSnapshotIds(source, options);
  const phase = phaseRunner(graph.nodeCount, options.onProgress ?? noProgress);
  const essentialEdges = phase('essential edges', () => computeEssentialEdges(graph));
  const retainers = phase('retainers', () => buildRetainers(graph));
  const { distances, unreachableCount } = phase('distances', () => computeDistances(graph, essentialEdges));
  const tree = phase('dominators', () => computeDominators(graph, retainers, essentialEdges, distances));
  const retainedSizes = phase('retained sizes', () => computeRetainedSizes(graph, tree.dominators, tree.preorder));
  let totalSize = 0;
  for (let ordinal = 0; ordinal < graph.nodeCount; ordinal++) totalSize += graph.selfSizes[ordinal]!;

  return {
    graph,
    retainers,
    dominators: tree.dominators,
    retainedSizes,
    distances,
    unreachableCount,
    idOrder,
    essentialEdges,
    unreachableRoots: tree.unreachableRoots,
    totalSize,
    ordinalById: (id: number) => ordinalOfId(graph.nodeIds, idOrder, id),
    className: classNameOf,
    retainerPath: (ordinal: number, pathOptions?: RetainerPathOptions) =>
      findRetainerPath(graph, retainers, essentialEdges, distances, ordinal, pathOptions),
  };
}

/** parse → id order: the pipeline's first steps, for snapshots that are only matched by id (see IdOrderedSnapshot). */
export async function loadSnapshotIds(source: string | Readable, options: LoadOptions = {}): Promise<IdOrderedSnapshot> {
  const graph = await parseSnapshot(source, options);
  const idOrder = phaseRunner(graph.nodeCount, options.onProgress ?? noProgress)('id order', () => sortOrdinalsById(graph.nodeIds));
  return withIdOrder(graph, idOrder);
}

/** Reassembles an IdOrderedSnapshot from its arrays (e.g. handed over from a worker thread). */
export function withIdOrder(graph: HeapGraph, idOrder: Uint32Array): IdOrderedSnapshot {
  return { graph, idOrder, className: (ordinal: number) => className(graph, ordinal) };
}

function phaseRunner(nodeCount: number, onProgress: Progress) {
  return <T>(label: string, work: () => T): T => {
    onProgress({ phase: label, done: 0, total: nodeCount });
    const result = work();
    onProgress({ phase: label, done: nodeCount, total: nodeCount });
    return result;
  };
}
