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
import type { RetainerPathOptions, Snapshot } from './snapshot.js';
import type { Readable } from 'node:stream';

export interface LoadOptions {
  onProgress?: Progress;
  /** Bytes per read; tiny values exist for tests of chunk boundaries. */
  chunkBytes?: number;
  /** Name for error messages when `source` is a stream. */
  name?: string;
}

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
 * Loads a snapshot with every index built eagerly, in this order:
 * parse → essential edges → retainers → distances → dominators → retained sizes → id order.
 * Each phase reports progress under its own label; temporary arrays of one phase are garbage
 * before the next allocates.
 */
export async function loadSnapshot(source: string | Readable, options: LoadOptions = {}): Promise<LoadedSnapshot> {
  const onProgress = options.onProgress ?? noProgress;
  const graph = await parseSnapshot(source, options);
  const nodeCount = graph.nodeCount;
  const phase = <T>(label: string, work: () => T): T => {
    onProgress({ phase: label, done: 0, total: nodeCount });
    const result = work();
    onProgress({ phase: label, done: nodeCount, total: nodeCount });
    return result;
  };
  const essentialEdges = phase('essential edges', () => computeEssentialEdges(graph));
  const retainers = phase('retainers', () => buildRetainers(graph));
  const { distances, unreachableCount } = phase('distances', () => computeDistances(graph, essentialEdges));
  const tree = phase('dominators', () => computeDominators(graph, retainers, essentialEdges, distances));
  const retainedSizes = phase('retained sizes', () => computeRetainedSizes(graph, tree.dominators, tree.preorder));
  const idOrder = phase('id order', () => sortOrdinalsById(graph.nodeIds));
  let totalSize = 0;
  for (let ordinal = 0; ordinal < nodeCount; ordinal++) totalSize += graph.selfSizes[ordinal]!;

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
    className: (ordinal: number) => className(graph, ordinal),
    retainerPath: (ordinal: number, pathOptions?: RetainerPathOptions) =>
      findRetainerPath(graph, retainers, essentialEdges, distances, ordinal, pathOptions),
  };
}
