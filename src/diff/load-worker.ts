import { parentPort, workerData } from 'node:worker_threads';
import { isLeakcheckError, type OffsetBase } from '../errors.js';
import type { ProgressEvent } from '../progress.js';
import { loadSnapshotIds } from '../snapshot/index.js';

/**
 * Worker side of loadSnapshotsForDiff: loads the earlier snapshots of a diff, one after the other,
 * while the main thread loads the last one. Each result is posted as soon as it is ready, its
 * typed arrays transferred (moved, not copied); only the string table is copied.
 */
export interface LoadRequest {
  readonly paths: readonly string[];
}

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

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const { paths } = workerData as LoadRequest;
  for (const [index, path] of paths.entries()) {
    try {
      const snapshot = await loadSnapshotIds(path, { onProgress: (event) => port.postMessage({ type: 'progress', index, event } satisfies LoadMessage) });
      const message: LoadMessage = {
        type: 'loaded', index,
        snapshot: { graph: snapshot.graph, idOrder: snapshot.idOrder },
      };
      port.postMessage(message, [...buffersOf(message.snapshot)]);
    } catch (error) {
      const serialized: SerializedError = isLeakcheckError(error)
        ? { message: error.message, code: error.code, ...(error.file === undefined ? {} : { file: error.file }), ...(error.offset === undefined ? {} : { offset: error.offset, offsetIn: error.offsetIn }) }
        : { message: error instanceof Error ? error.message : String(error) };
      port.postMessage({ type: 'failed', index, error: serialized } satisfies LoadMessage);
      return;
    }
  }
}

await main();
