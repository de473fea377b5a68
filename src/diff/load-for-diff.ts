import { Worker } from 'node:worker_threads';
import { LeakcheckError, type ErrorCodeValue } from '../errors.js';
import type { Progress } from '../progress.js';
import {
  buildRetainers, className, computeDistances, computeDominators, computeEssentialEdges, computeRetainedSizes,
  findRetainerPath, ordinalOfId, parseSnapshot, sortOrdinalsById, type HeapGraph, type RetainerPathOptions, type Snapshot,
} from '../snapshot/index.js';
import type { ComparedSnapshot } from './growth.js';
import type { LoadMessage, LoadRequest } from './load-worker.js';

/**
 * How a diff loads its snapshots. Only the last snapshot is explained (paths, dominators, retained
 * sizes); the earlier ones are only counted and matched by id, and every size is measured in the
 * last one (see ComparedSnapshot), so:
 * - an earlier snapshot is parsed and nothing more: no edge flags, retainers, distances or
 *   dominator tree (on bench/diff.bench.ts that is ~0.8 s of CPU and ~90 MiB per snapshot);
 * - the last snapshot follows loadSnapshot (src/snapshot/load.ts) phase by phase (keep the two
 *   in step), except that ids are resolved through the diff's own radix-sorted permutation, which
 *   the diff builds anyway, instead of a second per-snapshot id index.
 */
export async function loadComparedSnapshot(path: string, onProgress: Progress): Promise<ComparedSnapshot> {
  const graph = await parseSnapshot(path, { onProgress });
  const idOrder = phaseRunner(graph.nodeCount, onProgress)('id order', () => sortOrdinalsById(graph.nodeIds));
  return { graph, idOrder, className: (ordinal: number) => className(graph, ordinal) };
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
  const idOrder = phase('id order', () => sortOrdinalsById(graph.nodeIds));
  return {
    graph,
    retainers,
    dominators: tree.dominators,
    retainedSizes,
    distances,
    unreachableCount,
    idOrder,
    ordinalById: (id: number) => ordinalOfId(graph.nodeIds, idOrder, id),
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

/**
 * Loads the snapshots of a diff, oldest first: the earlier ones in a worker thread (one after the
 * other, each slimmed as in loadComparedSnapshot), the last one on this thread at the same time.
 * With a second core free the earlier parses cost no wall time; peak memory stays that of the
 * sequential load, since the worker holds at most one snapshot in the making and hands each over
 * (typed arrays moved, strings copied) as soon as it is done.
 * `onProgress` receives the index of the snapshot each event is about: first the last snapshot's
 * phases, then whatever the worker is still doing.
 */
export async function loadSnapshotsForDiff(
  paths: readonly string[], onProgress: (index: number, event: Parameters<Progress>[0]) => void,
): Promise<ComparedSnapshot[]> {
  const earlierPaths = paths.slice(0, -1);
  let lastLoaded = false;
  const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: { paths: earlierPaths } satisfies LoadRequest });
  const earlier = new Promise<ComparedSnapshot[]>((resolve, reject) => {
    const loaded: ComparedSnapshot[] = [];
    worker.on('message', (message: LoadMessage) => {
      if (message.type === 'progress') {
        // One progress line at a time: the worker's phases show once the last snapshot is loaded
        // and the diff is waiting on them, not interleaved with this thread's.
        if (lastLoaded) onProgress(message.index, message.event);
      } else if (message.type === 'failed') {
        const { error } = message;
        reject(error.code === undefined
          ? new Error(error.message)
          : new LeakcheckError(error.code as ErrorCodeValue, error.message, {
            ...(error.file === undefined ? {} : { file: error.file }), ...(error.offset === undefined ? {} : { offset: error.offset }),
          }));
      } else {
        const graph = message.snapshot.graph as HeapGraph;
        const idOrder = message.snapshot.idOrder as Uint32Array;
        loaded[message.index] = { graph, idOrder, className: (ordinal: number) => className(graph, ordinal) };
        if (loaded.filter(Boolean).length === earlierPaths.length) {
          // Free the worker's heap (its copy of the last string table) before the diff allocates.
          void worker.terminate();
          resolve(loaded);
        }
      }
    });
    // Not a LeakcheckError: a crashed loader thread is a leakcheck bug, not bad input.
    worker.on('error', (error) => reject(new Error(`snapshot loader thread failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => {
      if (loaded.filter(Boolean).length < earlierPaths.length) reject(new Error(`snapshot loader thread exited with code ${code} before loading every snapshot`));
    });
  });
  // A failure on one side must not leave the other running: the worker is always terminated.
  earlier.catch(() => {});
  try {
    const last = await loadLastSnapshot(paths[paths.length - 1]!, (event) => onProgress(paths.length - 1, event));
    lastLoaded = true;
    return [...(await earlier), last];
  } finally {
    await worker.terminate();
  }
}
