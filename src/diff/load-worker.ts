import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { isLeakcheckError, type OffsetBase } from '../errors.js';
import type { ProgressEvent } from '../progress.js';
import { loadSnapshotIds } from '../snapshot/index.js';

/**
 * Worker side of SnapshotIdLoader (load-for-diff.ts): loads the snapshots it is sent, one after
 * the other in the order they come. Each result is posted as soon as it is ready, its typed arrays
 * transferred (moved, not copied); only the string table is copied. A failed load is posted and the
 * thread goes on with the next request.
 */
export interface LoaderSettings {
  /** Nice value for this thread alone (Linux); unset: the process's own. */
  readonly niceness?: number;
}

export type LoaderRequest =
  | { readonly type: 'load'; readonly index: number; readonly path: string }
  /** Change this thread's nice value (Linux; raising priority needs CAP_SYS_NICE, else it stays). */
  | { readonly type: 'niceness'; readonly niceness: number };

export type LoadMessage =
  | { readonly type: 'progress'; readonly index: number; readonly event: ProgressEvent }
  | { readonly type: 'loaded'; readonly index: number; readonly snapshot: TransferredSnapshot }
  | { readonly type: 'failed'; readonly index: number; readonly error: SerializedError };

export interface TransferredSnapshot {
  readonly graph: unknown;
  readonly idOrder: unknown;
}

export interface SerializedError {
  readonly message: string;
  readonly code?: string;
  readonly file?: string;
  readonly offset?: number;
  readonly offsetIn?: OffsetBase;
}

/** Every ArrayBuffer under `value` (typed arrays anywhere in plain objects), once each. */
function buffersOf(value: unknown, found = new Set<ArrayBuffer>()): Set<ArrayBuffer> {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) found.add(value.buffer);
  } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const child of Object.values(value)) buffersOf(child, found);
  }
  return found;
}

/**
 * Linux schedules threads apart and setpriority() on a thread id changes that thread only, so a
 * parse running beside a measured target yields the cores to it. Elsewhere the thread keeps the
 * process's priority: the loads are the same, only less polite. A message runs between two chunks
 * of a load (the parse awaits its input), so a change of priority applies to the load under way.
 */
function setThreadPriority(niceness: number): void {
  try {
    setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), niceness);
  } catch {
    // No /proc/thread-self (not Linux) or a refused priority: run at the process's priority.
  }
}

async function load(port: NonNullable<typeof parentPort>, { index, path }: { index: number; path: string }): Promise<void> {
  try {
    const snapshot = await loadSnapshotIds(path, { onProgress: (event) => port.postMessage({ type: 'progress', index, event } satisfies LoadMessage) });
    const message: LoadMessage = { type: 'loaded', index, snapshot: { graph: snapshot.graph, idOrder: snapshot.idOrder } };
    port.postMessage(message, [...buffersOf(message.snapshot)]);
  } catch (error) {
    const serialized: SerializedError = isLeakcheckError(error)
      ? { message: error.message, code: error.code, ...(error.file === undefined ? {} : { file: error.file }), ...(error.offset === undefined ? {} : { offset: error.offset, offsetIn: error.offsetIn }) }
      : { message: error instanceof Error ? error.message : String(error) };
    port.postMessage({ type: 'failed', index, error: serialized } satisfies LoadMessage);
  }
}

const port = parentPort;
if (port) {
  const { niceness } = workerData as LoaderSettings;
  if (niceness !== undefined) setThreadPriority(niceness);
  // One snapshot in the making at a time: peak memory stays that of a sequential load.
  let queue = Promise.resolve();
  port.on('message', (request: LoaderRequest) => {
    if (request.type === 'niceness') setThreadPriority(request.niceness);
    else queue = queue.then(() => load(port, request));
  });
}
