import { noProgress, type Progress } from '../progress.js';
import { computeDistances } from './distances.js';
import { computeDominators } from './dominators.js';
import { computeEssentialEdges } from './edge-policy.js';
import { IdOrderedSnapshot } from './id-ordered-snapshot.js';
import { sortOrdinalsById } from './id-order.js';
import { parseSnapshot } from './parse.js';
import { computeRetainedSizes } from './retained-size.js';
import { buildRetainers } from './retainers.js';
import { Snapshot } from './snapshot.js';
import type { Readable } from 'node:stream';

export interface LoadOptions {
  onProgress?: Progress;
  /** Bytes per read; tiny values exist for tests of chunk boundaries. */
  chunkBytes?: number;
  /** Name for error messages when `source` is a stream. */
  name?: string;
}

/**
 * The engine's one load pipeline, every index built eagerly, in this order:
 * parse → id order | essential edges → retainers → distances → dominators → retained sizes.
 * loadSnapshotIds runs the steps before the bar, loadSnapshot all of them (through
 * loadSnapshotIds, so the two cannot drift apart). Each phase reports progress under its own
 * label; temporary arrays of one phase are garbage before the next allocates.
 */
export async function loadSnapshot(source: string | Readable, options: LoadOptions = {}): Promise<Snapshot> {
  const { graph, idOrder } = await loadSnapshotIds(source, options);
  const phase = phaseRunner(graph.nodeCount, options.onProgress ?? noProgress);
  const essentialEdges = phase('essential edges', () => computeEssentialEdges(graph));
  const retainers = phase('retainers', () => buildRetainers(graph));
  const { distances, unreachableCount } = phase('distances', () => computeDistances(graph, essentialEdges));
  const tree = phase('dominators', () => computeDominators(graph, retainers, essentialEdges, distances));
  const retainedSizes = phase('retained sizes', () => computeRetainedSizes(graph, tree.dominators, tree.preorder));
  return new Snapshot(graph, idOrder, {
    essentialEdges, retainers, distances, unreachableCount, dominators: tree.dominators, unreachableRoots: tree.unreachableRoots, retainedSizes,
  });
}

/** parse → id order: the pipeline's first steps, for snapshots that are only matched by id (see IdOrderedSnapshot). */
export async function loadSnapshotIds(source: string | Readable, options: LoadOptions = {}): Promise<IdOrderedSnapshot> {
  const graph = await parseSnapshot(source, options);
  const idOrder = phaseRunner(graph.nodeCount, options.onProgress ?? noProgress)('id order', () => sortOrdinalsById(graph.nodeIds));
  return new IdOrderedSnapshot(graph, idOrder);
}

function phaseRunner(nodeCount: number, onProgress: Progress) {
  return <T>(label: string, work: () => T): T => {
    onProgress({ phase: label, done: 0, total: nodeCount });
    const result = work();
    onProgress({ phase: label, done: nodeCount, total: nodeCount });
    return result;
  };
}
