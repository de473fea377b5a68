import { Worker } from 'node:worker_threads';
import { LeakcheckError, type ErrorCodeValue } from '../errors.js';
import type { Progress } from '../progress.js';
import { checkSnapshotReadable, IdOrderedSnapshot, loadSnapshot, type HeapGraph, type Snapshot } from '../snapshot/index.js';
import type { ComparedSnapshot } from './growth.js';
import { checkDistinctFiles, checkDistinctHeaps } from './identical-inputs.js';
import type { LoadMessage, LoadRequest } from './load-worker.js';

/**
 * Loads the snapshots of a diff, oldest first, through the engine's one pipeline
 * (src/snapshot/load.ts). Only the last snapshot is explained (paths, dominators, retained sizes);
 * the earlier ones are only counted and matched by id, and every size is measured in the last one
 * (see ComparedSnapshot), so an earlier snapshot gets loadSnapshotIds (parse → id order: no edge
 * flags, retainers, distances or dominator tree; on bench/diff.bench.ts ~0.8 s of CPU and ~90 MiB
 * less per snapshot) and the last one loadSnapshot.
 * This file holds only the thread handoff: the earlier snapshots load in a worker thread
 * (load-worker.ts, one after the other), the last one on this thread at the same time.
 * With a second core free the earlier parses cost no wall time; peak memory stays that of the
 * sequential load, since the worker holds at most one snapshot in the making and hands each over
 * (typed arrays moved, strings copied) as soon as it is done.
 * Every input is opened once, by the thread that loads it: a FIFO or /dev/stdin works like a file
 * (src/input reads it as a stream), with no temporary copy — the up-front check only looks at
 * such an input, and the worker reads earlier FIFOs by path as this thread reads the last. A
 * spooled copy would cost a snapshot's size in disk and a second pass for nothing: neither
 * thread needs to seek (a plain file's one positioned read, for gzip's magic, is file-only).
 * `onProgress` receives the index of the snapshot each event is about: first the last snapshot's
 * phases, then whatever the worker is still doing.
 */
export async function loadSnapshotsForDiff(
  paths: readonly string[], onProgress: (index: number, event: Parameters<Progress>[0]) => void,
): Promise<{ earlier: ComparedSnapshot[]; last: Snapshot }> {
  for (const path of paths) await checkSnapshotReadable(path);
  await checkDistinctFiles(paths);
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
            ...(error.file === undefined ? {} : { file: error.file }), ...(error.offset === undefined ? {} : { offset: error.offset, offsetIn: error.offsetIn ?? 'file' }),
          }));
      } else {
        loaded[message.index] = new IdOrderedSnapshot(message.snapshot.graph as HeapGraph, message.snapshot.idOrder as Uint32Array);
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
    const last = await loadSnapshot(paths[paths.length - 1]!, { onProgress: (event) => onProgress(paths.length - 1, event) });
    lastLoaded = true;
    const earlierSnapshots = await earlier;
    checkDistinctHeaps([...earlierSnapshots, last].map((snapshot) => snapshot.graph));
    return { earlier: earlierSnapshots, last };
  } finally {
    await worker.terminate();
  }
}
