import { Worker } from 'node:worker_threads';
import { LeakcheckError, type ErrorCodeValue } from '../errors.js';
import type { ProgressEvent } from '../progress.js';
import { checkSnapshotReadable, IdOrderedSnapshot, loadSnapshot, type HeapGraph, type Snapshot } from '../snapshot/index.js';
import type { ComparedSnapshot } from './growth.js';
import { checkDistinctFiles, checkDistinctHeaps } from './identical-inputs.js';
import type { LoaderRequest, LoadMessage, LoaderSettings, SerializedError } from './load-worker.js';

/** Snapshots already being loaded by id (SnapshotIdLoader), by path: the earlier inputs of a diff. */
export type PreloadedSnapshots = ReadonlyMap<string, Promise<ComparedSnapshot>>;

/**
 * Loads the snapshots of a diff, oldest first, through the engine's one pipeline
 * (src/snapshot/load.ts). Only the last snapshot is explained (paths, dominators, retained sizes);
 * the earlier ones are only counted and matched by id, and every size is measured in the last one
 * (see ComparedSnapshot), so an earlier snapshot gets loadSnapshotIds (parse → id order: no edge
 * flags, retainers, distances or dominator tree; on bench/diff.bench.ts ~0.8 s of CPU and ~90 MiB
 * less per snapshot) and the last one loadSnapshot.
 * This file holds only the thread handoff: the earlier snapshots load in a worker thread
 * (SnapshotIdLoader, one after the other), the last one on this thread at the same time; an
 * earlier snapshot in `preloaded` (a run starts each as soon as it is written) is taken from there.
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
  paths: readonly string[], onProgress: (index: number, event: ProgressEvent) => void, preloaded?: PreloadedSnapshots,
): Promise<{ earlier: ComparedSnapshot[]; last: Snapshot }> {
  for (const path of paths) await checkSnapshotReadable(path);
  await checkDistinctFiles(paths);
  const earlierPaths = paths.slice(0, -1);
  let lastLoaded = false;
  const toLoad = earlierPaths.filter((path) => !preloaded?.has(path));
  // One progress line at a time: the worker's phases show once the last snapshot is loaded
  // and the diff is waiting on them, not interleaved with this thread's.
  const loader = toLoad.length === 0 ? undefined : new SnapshotIdLoader({
    onProgress: (path, event) => {
      if (lastLoaded) onProgress(earlierPaths.indexOf(path), event);
    },
  });
  const earlier = Promise.all(earlierPaths.map((path) => preloaded?.get(path) ?? loader!.load(path)));
  // A failure on one side must not leave the other running: the worker is always terminated.
  earlier.catch(() => {});
  try {
    const last = await loadSnapshot(paths[paths.length - 1]!, { onProgress: (event) => onProgress(paths.length - 1, event) });
    lastLoaded = true;
    const earlierSnapshots = await earlier;
    checkDistinctHeaps([...earlierSnapshots, last].map((snapshot) => snapshot.graph));
    return { earlier: earlierSnapshots, last };
  } finally {
    // Also frees the worker's heap (its copy of the last string table) before the diff allocates.
    await loader?.close();
  }
}

export interface SnapshotIdLoaderOptions extends LoaderSettings {
  onProgress?: (path: string, event: ProgressEvent) => void;
}

/**
 * A worker thread (load-worker.ts) that loads snapshots by id (loadSnapshotIds) in the order they
 * are asked for, one at a time, while this thread goes on. Each load settles on its own: a bad
 * file rejects its promise with the engine's LeakcheckError (file, offset), the others go on.
 * A thread that crashes or is closed rejects every load still pending. Keeps the process alive
 * until close().
 */
export class SnapshotIdLoader {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { path: string; resolve: (snapshot: ComparedSnapshot) => void; reject: (error: Error) => void }>();
  #requests = 0;
  #ended: Error | undefined;

  constructor(options: SnapshotIdLoaderOptions = {}) {
    const settings: LoaderSettings = options.niceness === undefined ? {} : { niceness: options.niceness };
    this.#worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: settings });
    this.#worker.on('message', (message: LoadMessage) => {
      const pending = this.#pending.get(message.index);
      if (pending === undefined) return;
      if (message.type === 'progress') {
        options.onProgress?.(pending.path, message.event);
        return;
      }
      this.#pending.delete(message.index);
      if (message.type === 'failed') pending.reject(deserializeError(message.error));
      else pending.resolve(new IdOrderedSnapshot(message.snapshot.graph as HeapGraph, message.snapshot.idOrder as Uint32Array));
    });
    // Not a LeakcheckError: a crashed loader thread is a leakcheck bug, not bad input.
    this.#worker.on('error', (error) => this.#end(new Error(`snapshot loader thread failed: ${error.message}`, { cause: error })));
    this.#worker.on('exit', (code) => this.#end(new Error(`snapshot loader thread exited with code ${code} before loading every snapshot`)));
  }

  /** Loads `path` after every load asked for before it. */
  load(path: string): Promise<ComparedSnapshot> {
    if (this.#ended) return Promise.reject(this.#ended);
    const index = this.#requests++;
    const loaded = new Promise<ComparedSnapshot>((resolve, reject) => this.#pending.set(index, { path, resolve, reject }));
    // A load nobody waits for (a run that ended before its diff) must not be an unhandled rejection.
    loaded.catch(() => {});
    this.#worker.postMessage({ type: 'load', index, path } satisfies LoaderRequest);
    return loaded;
  }

  /** Sets the thread's nice value from now on (Linux; a higher priority than it had needs CAP_SYS_NICE, without it nothing changes). */
  setNiceness(niceness: number): void {
    if (!this.#ended) this.#worker.postMessage({ type: 'niceness', niceness } satisfies LoaderRequest);
  }

  /** Ends the thread (and frees its heap); loads still pending reject. */
  async close(): Promise<void> {
    this.#end(new Error('snapshot loader closed before loading every snapshot'));
    await this.#worker.terminate();
  }

  #end(error: Error): void {
    this.#ended ??= error;
    for (const pending of this.#pending.values()) pending.reject(this.#ended);
    this.#pending.clear();
  }
}

function deserializeError(error: SerializedError): Error {
  return error.code === undefined
    ? new Error(error.message)
    : new LeakcheckError(error.code as ErrorCodeValue, error.message, {
      ...(error.file === undefined ? {} : { file: error.file }), ...(error.offset === undefined ? {} : { offset: error.offset, offsetIn: error.offsetIn ?? 'file' }),
    });
}
