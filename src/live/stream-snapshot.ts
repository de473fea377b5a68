import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { PassThrough, type Transform } from 'node:stream';
import { createGzip } from 'node:zlib';
import { ErrorCode, LeakcheckError } from '../errors.js';
import type { CdpSession } from './cdp-session.js';

/** V8's own progress while it builds the snapshot, then bytes as they are written. */
export type SnapshotProgress =
  | { phase: 'build'; doneObjects: number; totalObjects: number }
  | { phase: 'write'; rawBytes: number };

export interface StreamedSnapshot {
  path: string;
  gzip: boolean;
  /** Bytes of snapshot JSON V8 sent. */
  rawBytes: number;
  /** Bytes on disk. */
  fileBytes: number;
  durationMs: number;
}

/**
 * Level 1 keeps gzip ahead of V8's serializer on one core, so chunks do not pile up in either
 * process, and still shrinks snapshot JSON (digits and commas) about 5-6×; bench:live has figures.
 */
export const SNAPSHOT_GZIP_LEVEL = 1;

/**
 * Takes a heap snapshot through `session` and streams V8's chunks into `path` (gzip when the name
 * ends in .gz), mode 0600: snapshots hold whatever the heap held, secrets included. The file is
 * written under a `.partial` name and renamed at the end, so a failed snapshot (the target exited,
 * the connection dropped, `signal` aborted) leaves nothing behind and never clobbers an older file.
 */
export async function streamHeapSnapshot(
  session: CdpSession,
  path: string,
  options: { onProgress?: (progress: SnapshotProgress) => void; signal?: AbortSignal } = {},
): Promise<StreamedSnapshot> {
  const started = performance.now();
  const gzip = path.endsWith('.gz');
  const partial = `${path}.partial`;
  const file = createWriteStream(partial, { flags: 'wx', mode: 0o600 });
  await new Promise<void>((resolve, reject) => file.once('open', () => resolve()).once('error', (error: NodeJS.ErrnoException) => {
    const why = error.code === 'EEXIST' ? `${partial} exists (left by a snapshot that was killed?); remove it` : error.message;
    reject(new LeakcheckError(ErrorCode.FILE_UNREADABLE, `cannot write the snapshot: ${why}`, { file: path, cause: error }));
  }));
  const head: Transform = gzip ? createGzip({ level: SNAPSHOT_GZIP_LEVEL }) : new PassThrough();
  const written = pipeline(head, file);
  let rawBytes = 0;
  let lastReport = 0;
  const report = options.onProgress ?? (() => {});
  const unsubscribe = [
    session.on('HeapProfiler.addHeapSnapshotChunk', (params: { chunk: string }) => {
      rawBytes += Buffer.byteLength(params.chunk);
      // No backpressure on purpose: pausing the socket would make the target's inspector queue the
      // chunks in the production process. A slow disk buffers here instead, in leakcheck.
      head.write(params.chunk);
      if (rawBytes - lastReport >= 8 * 1024 * 1024) {
        lastReport = rawBytes;
        report({ phase: 'write', rawBytes });
      }
    }),
    session.on('HeapProfiler.reportHeapSnapshotProgress', (params: { done: number; total: number }) => {
      report({ phase: 'build', doneObjects: params.done, totalObjects: params.total });
    }),
  ];
  const aborted = new Promise<never>((_, reject) => {
    const abort = () => reject(new LeakcheckError(ErrorCode.INTERRUPTED, 'interrupted during the snapshot; the partial file was removed', { file: path }));
    if (options.signal?.aborted) abort();
    options.signal?.addEventListener('abort', abort, { once: true });
  });
  aborted.catch(() => {});
  try {
    await Promise.race([
      session.send('HeapProfiler.takeHeapSnapshot', { reportProgress: true, treatGlobalObjectsAsRoots: true, captureNumericValue: false }),
      aborted,
    ]);
    head.end();
    await written;
    await rename(partial, path);
  } catch (error) {
    head.destroy();
    await written.catch(() => {});
    await rm(partial, { force: true });
    throw error;
  } finally {
    for (const stop of unsubscribe) stop();
  }
  report({ phase: 'write', rawBytes });
  return { path, gzip, rawBytes, fileBytes: file.bytesWritten, durationMs: performance.now() - started };
}
