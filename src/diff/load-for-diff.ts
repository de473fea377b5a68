import type { Progress } from '../progress.js';
import {
  buildRetainers, className, computeDistances, computeDominators, computeEssentialEdges, computeRetainedSizes,
  findRetainerPath, parseSnapshot, type RetainerPathOptions, type Snapshot,
} from '../snapshot/index.js';
import type { ComparedSnapshot } from './growth.js';
import { sortIds } from './id-diff.js';

/**
 * The engine's load pipeline (parse → essential edges → retainers → dominators → retained sizes),
 * composed from its public phases for a diff, which holds two or three snapshots at once:
 * - an earlier snapshot keeps only graph, dominators and retained sizes; retainers, distances
 *   and essential edges are garbage before the next file loads (about a third of its memory);
 * - ids are resolved through the diff's own sorted-id permutation (binary search), which the diff
 *   builds anyway, instead of a second per-snapshot id index.
 * On three ~155 MiB snapshots this took the diff's peak RSS from 1.29 GiB to 0.97 GiB (bench/diff.bench.ts).
 * It follows loadSnapshot (src/snapshot/load.ts) phase by phase: keep the two in step.
 */
export async function loadComparedSnapshot(path: string, onProgress: Progress): Promise<ComparedSnapshot> {
  const graph = await parseSnapshot(path, { onProgress });
  const phase = phaseRunner(graph.nodeCount, onProgress);
  const essentialEdges = phase('essential edges', () => computeEssentialEdges(graph));
  const retainers = phase('retainers', () => buildRetainers(graph));
  const { distances } = phase('distances', () => computeDistances(graph, essentialEdges));
  const tree = phase('dominators', () => computeDominators(graph, retainers, essentialEdges, distances));
  const retainedSizes = phase('retained sizes', () => computeRetainedSizes(graph, tree.dominators, tree.preorder));
  return { graph, dominators: tree.dominators, retainedSizes, className: (ordinal: number) => className(graph, ordinal) };
}

/** The last snapshot of a diff: everything a finding needs, retainer paths included. */
export async function loadLastSnapshot(path: string, onProgress: Progress): Promise<Snapshot> {
  const graph = await parseSnapshot(path, { onProgress });
  const phase = phaseRunner(graph.nodeCount, onProgress);
  const essentialEdges = phase('essential edges', () => computeEssentialEdges(graph));
  const retainers = phase('retainers', () => buildRetainers(graph));
  const { distances, unreachableCount } = phase('distances', () => computeDistances(graph, essentialEdges));
  const tree = phase('dominators', () => computeDominators(graph, retainers, essentialEdges, distances));
  const retainedSizes = phase('retained sizes', () => computeRetainedSizes(graph, tree.dominators, tree.preorder));
  const sorted = phase('id order', () => sortIds({ graph }));
  return {
    graph,
    retainers,
    dominators: tree.dominators,
    retainedSizes,
    distances,
    unreachableCount,
    ordinalById: (id: number) => {
      const { ids, ordinals } = sorted;
      let low = 0;
      let high = ids.length - 1;
      // Invariant: if id is present, its slot is in [low, high].
      while (low <= high) {
        const middle = (low + high) >>> 1;
        const found = ids[middle]!;
        if (found === id) return ordinals[middle]!;
        if (found < id) low = middle + 1;
        else high = middle - 1;
      }
      return -1;
    },
    className: (ordinal: number) => className(graph, ordinal),
    retainerPath: (ordinal: number, options?: RetainerPathOptions) => findRetainerPath(graph, retainers, essentialEdges, distances, ordinal, options),
  };
}

function phaseRunner(nodeCount: number, onProgress: Progress) {
  return <T>(label: string, work: () => T): T => {
    onProgress({ phase: label, done: 0, total: nodeCount });
    const result = work();
    onProgress({ phase: label, done: nodeCount, total: nodeCount });
    return result;
  };
}
