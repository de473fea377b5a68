import { open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { ErrorCode, LeakcheckError } from '../errors.js';
import type { Progress } from '../progress.js';
import { checkSnapshotReadable, loadSnapshot } from '../snapshot/index.js';
import { toolVersion } from '../version.js';
import { digestSnapshot } from './build.js';
import { DIGEST_FORMAT, validateDigest, type HeapDigest } from './schema.js';

const GZIP_MAGIC = [0x1f, 0x8b];
/** Enough of the file to see the first key, even gzipped. */
const HEAD_BYTES = 4096;
/** A digest is kilobytes; anything this big that claims to be one is refused before it is read. */
const MAX_DIGEST_BYTES = 64 * 1024 * 1024;
/** `{"format":"leakcheck-digest"`, with any whitespace a pretty-printer adds. */
const DIGEST_HEAD = new RegExp(`^\\s*\\{\\s*"format"\\s*:\\s*"${DIGEST_FORMAT}"`);

/** Writes a digest as gzipped JSON, mode 0600 (like the snapshots it comes from), through a temporary file so a reader never sees half of one. */
export async function writeDigest(path: string, digest: HeapDigest): Promise<number> {
  const bytes = gzipSync(JSON.stringify(digest), { level: constants.Z_BEST_COMPRESSION });
  const partial = `${path}.partial-${process.pid}`;
  try {
    await writeFile(partial, bytes, { mode: 0o600 });
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw new LeakcheckError(ErrorCode.OUTPUT_FAILED, `cannot write the digest: ${(error as Error).message}`, { file: path, cause: error });
  }
  return bytes.length;
}

/**
 * Whether `path` is a digest, by its content (gzipped or not, whatever its name): its JSON starts
 * with the digest's format key. Only regular files are looked at; a pipe or FIFO is read as a
 * snapshot (looking would consume it).
 */
export async function isDigestFile(path: string): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) return false;
  const file = await open(path, 'r').catch(() => undefined);
  if (!file) return false;
  try {
    const head = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await file.read(head, 0, HEAD_BYTES, 0);
    return DIGEST_HEAD.test(headText(head.subarray(0, bytesRead)));
  } finally {
    await file.close();
  }
}

function headText(head: Buffer): string {
  if (head[0] !== GZIP_MAGIC[0] || head[1] !== GZIP_MAGIC[1]) return head.toString('utf8');
  try {
    // The start of a gzip stream decompresses on its own: with a sync flush a cut stream yields
    // what it has instead of throwing.
    return gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
  } catch {
    return '';
  }
}

/** Reads and validates a digest (see isDigestFile); a truncated, damaged or foreign one is ERR_DIGEST_INVALID. */
export async function readDigest(path: string): Promise<HeapDigest> {
  const info = await stat(path).catch((error: unknown) => {
    throw new LeakcheckError(ErrorCode.FILE_UNREADABLE, `cannot read the digest: ${(error as Error).message}`, { file: path, cause: error });
  });
  if (info.size > MAX_DIGEST_BYTES) throw invalid(path, `${info.size} bytes is far more than a digest holds (at most ${MAX_DIGEST_BYTES})`);
  const file = await open(path, 'r');
  let raw: Buffer;
  try {
    raw = await file.readFile();
  } finally {
    await file.close();
  }
  let text: string;
  try {
    text = (raw[0] === GZIP_MAGIC[0] && raw[1] === GZIP_MAGIC[1] ? gunzipSync(raw, { maxOutputLength: MAX_DIGEST_BYTES }) : raw).toString('utf8');
  } catch (error) {
    throw invalid(path, `the gzip stream is truncated or damaged (${(error as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalid(path, `its JSON is truncated or damaged (${(error as Error).message})`);
  }
  return validateDigest(value, path);
}

function invalid(file: string, problem: string): LeakcheckError {
  return new LeakcheckError(ErrorCode.DIGEST_INVALID, `is not a valid leakcheck digest: ${problem}`, { file });
}

/** What `leakcheck digest` did: JSON-safe facts, words in src/report. */
export interface DigestWritten {
  readonly snapshot: string;
  readonly snapshotBytes: number;
  readonly output: string;
  readonly outputBytes: number;
  readonly classes: number;
  readonly collections: number;
  readonly listeners: number;
  readonly closures: number;
  readonly dominators: number;
  readonly durationMs: number;
}

/** Loads a snapshot, digests it and writes the digest: the data behind `leakcheck digest`. */
export async function digestSnapshotFile(snapshotPath: string, outputPath: string, options: { onProgress?: Progress } = {}): Promise<DigestWritten> {
  const started = performance.now();
  if (await isDigestFile(snapshotPath)) {
    throw new LeakcheckError(ErrorCode.USAGE, 'is already a digest; digest reads a heap snapshot (.heapsnapshot or .heapsnapshot.gz)', { file: snapshotPath });
  }
  await checkSnapshotReadable(snapshotPath);
  const snapshot = await loadSnapshot(snapshotPath, options.onProgress ? { onProgress: options.onProgress } : {});
  const snapshotBytes = await stat(snapshotPath).then((info) => (info.isFile() ? info.size : 0), () => 0);
  const digest = digestSnapshot(snapshot, { toolVersion: toolVersion(), fileBytes: snapshotBytes });
  const outputBytes = await writeDigest(outputPath, digest);
  return {
    snapshot: snapshotPath, snapshotBytes, output: outputPath, outputBytes,
    classes: digest.classes.length, collections: digest.collections.length, listeners: digest.listeners.length,
    closures: digest.closures.length, dominators: digest.dominators.length, durationMs: performance.now() - started,
  };
}
