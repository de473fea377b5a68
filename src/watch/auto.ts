/**
 * `NODE_OPTIONS="--import leakcheck/watch"`: the process watches itself with no code change,
 * switched on by environment variables. Runs inside the user's process, so nothing here may throw
 * into it: a bad value is one line on stderr and the feature it configures stays off (or at its
 * default); a failing log or snapshot directory is said once and then left alone.
 */
import { closeSync, createWriteStream, mkdirSync, openSync, renameSync, statfsSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isMainThread } from 'node:worker_threads';
import { createGzip } from 'node:zlib';
import { parseByteSize } from '../byte-size.js';
import { checkMemoryFit, type MemoryFit } from '../live/memory-fit.js';
import { readOwnMemory } from '../live/own-memory.js';
import type { GcSource } from '../agent/protocol.js';
import { watchMemory, type MemoryLeak, type MemoryStats, type MemoryWatcher } from './watch-memory.js';

export const WATCH_ENV = {
  /** File to append JSON lines to: start, stats, leak, snapshot, snapshot-skipped. */
  log: 'LEAKCHECK_WATCH_LOG',
  /** Directory for a gzip heap snapshot (mode 0600) on each leak event. */
  snapshots: 'LEAKCHECK_WATCH_SNAPSHOTS',
  /** At most this many snapshots per process (default 3). */
  maxSnapshots: 'LEAKCHECK_WATCH_MAX_SNAPSHOTS',
  /** The leak rule's minimum growth over its window, a size such as 4MiB (default 1MiB). */
  minGrowth: 'LEAKCHECK_WATCH_MIN_GROWTH',
  /** "0" keeps the @airbnb/node-memwatch addon out (the same switch as the run agent's). */
  memwatch: 'LEAKCHECK_MEMWATCH',
  /** Replaces the measured memory the process may still take, as for `leakcheck snapshot`. */
  availableMemory: 'LEAKCHECK_AVAILABLE_MEMORY',
} as const;

export const DEFAULT_MAX_SNAPSHOTS = 3;

/**
 * Free disk space asked for before a snapshot, as a multiple of the used heap. The gzip file
 * measured 0.2-0.4× the used heap on the test fixtures (test/watch); twice the used heap leaves
 * room for heaps of incompressible strings and for the rest of the file system's users.
 */
export const SNAPSHOT_DISK_FACTOR = 2;

type SkipReason = 'limit' | 'busy' | 'memory' | 'disk' | 'failed';

/** The JSON lines of LEAKCHECK_WATCH_LOG, one object each; every line carries type, pid and timeMs. */
export type WatchLogLine =
  | { type: 'start'; source: GcSource; memwatch: { available: boolean; error?: string }; nodeVersion: string; snapshotDir: string | null; maxSnapshots: number }
  | ({ type: 'stats' } & MemoryStats)
  | ({ type: 'leak' } & MemoryLeak)
  | { type: 'snapshot'; path: string; sizeBytes: number; writeMs: number; memory: MemoryFit; freeDiskBytes: number }
  | { type: 'snapshot-skipped'; reason: SkipReason; memory?: MemoryFit; freeDiskBytes?: number; neededDiskBytes?: number; error?: string };

const autoStarted = Symbol.for('leakcheck.watch.auto');

/** Starts the env-driven watch once per process (main thread), or does nothing when neither variable is set. */
export function startWatchFromEnv(env: NodeJS.ProcessEnv = process.env): MemoryWatcher | undefined {
  const logPath = env[WATCH_ENV.log];
  const snapshotDir = env[WATCH_ENV.snapshots];
  if (!isMainThread || (!logPath && !snapshotDir)) return undefined;
  const registry = globalThis as { [autoStarted]?: MemoryWatcher };
  if (registry[autoStarted]) return registry[autoStarted];
  try {
    const watcher = startAutoWatch(env, logPath || undefined, snapshotDir || undefined);
    registry[autoStarted] = watcher;
    return watcher;
  } catch (error) {
    warn(`not started: ${message(error)}`);
    return undefined;
  }
}

function startAutoWatch(env: NodeJS.ProcessEnv, logPath: string | undefined, snapshotDir: string | undefined): MemoryWatcher {
  const maxSnapshots = readCount(env, WATCH_ENV.maxSnapshots, DEFAULT_MAX_SNAPSHOTS);
  const minGrowthBytes = readSize(env, WATCH_ENV.minGrowth);
  const availableBytes = readSize(env, WATCH_ENV.availableMemory);
  const dir = snapshotDir ? openSnapshotDir(snapshotDir) : undefined;
  const log = logPath ? openLog(logPath) : undefined;
  const watcher = watchMemory({ memwatch: env[WATCH_ENV.memwatch] !== '0', ...(minGrowthBytes === undefined ? {} : { trend: { minGrowthBytes } }) });
  log?.write({
    type: 'start', source: watcher.source, memwatch: watcher.memwatch, nodeVersion: process.version, snapshotDir: dir ?? null, maxSnapshots,
  });
  if (log) watcher.on('stats', (stats) => log.write({ type: 'stats', ...stats }));
  const evidence = dir === undefined ? undefined : new Evidence(watcher, dir, maxSnapshots, availableBytes, log);
  watcher.on('leak', (leak) => {
    log?.write({ type: 'leak', ...leak });
    // Runs in the GC stats callback of the user's process: an exception here would be theirs to crash on.
    try {
      evidence?.collect();
    } catch (error) {
      log?.write({ type: 'snapshot-skipped', reason: 'failed', error: message(error) });
    }
  });
  return watcher;
}

interface Log {
  write(line: WatchLogLine): void;
}

/** Appends with one write(2) per line on an O_APPEND descriptor: lines of several processes sharing the file stay whole. */
function openLog(path: string): Log {
  let fd: number | undefined = openSync(path, 'a', 0o600);
  return {
    write(line) {
      if (fd === undefined) return;
      // type, pid and the time first; a stats or leak line's own timeMs is its GC's.
      const { type, ...facts } = line;
      try {
        writeSync(fd, `${JSON.stringify({ type, pid: process.pid, timeMs: Date.now(), ...facts })}\n`);
      } catch (error) {
        warn(`${WATCH_ENV.log}=${path}: ${message(error)}; logging stopped`);
        try {
          closeSync(fd);
        } catch {
          // Already unusable; nothing more to say about it.
        }
        fd = undefined;
      }
    },
  };
}

function openSnapshotDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!statSync(dir).isDirectory()) throw new Error(`${WATCH_ENV.snapshots}=${dir} is not a directory`);
  return dir;
}

/** Writes a snapshot on a leak event when the count, the memory and the disk allow it, one at a time. */
class Evidence {
  readonly #watcher: MemoryWatcher;
  readonly #dir: string;
  readonly #max: number;
  readonly #availableBytes: number | undefined;
  readonly #log: Log | undefined;
  #taken = 0;
  #busy = false;
  #limitLogged = false;

  constructor(watcher: MemoryWatcher, dir: string, max: number, availableBytes: number | undefined, log: Log | undefined) {
    this.#watcher = watcher;
    this.#dir = dir;
    this.#max = max;
    this.#availableBytes = availableBytes;
    this.#log = log;
  }

  collect(): void {
    if (this.#taken >= this.#max) {
      // Said once: a leaking process keeps firing, and its log should not fill with the same line.
      if (!this.#limitLogged) this.#skip({ reason: 'limit' });
      this.#limitLogged = true;
      return;
    }
    if (this.#busy) return this.#skip({ reason: 'busy' });
    const own = readOwnMemory(((id: string) => process.getBuiltinModule(id)) as Parameters<typeof readOwnMemory>[0]);
    const memory = checkMemoryFit(own, this.#availableBytes);
    if (!memory.fits) return this.#skip({ reason: 'memory', memory });
    let freeDiskBytes: number;
    try {
      const fs = statfsSync(this.#dir);
      freeDiskBytes = fs.bavail * fs.bsize;
    } catch (error) {
      return this.#skip({ reason: 'failed', error: message(error) });
    }
    const neededDiskBytes = own.usedHeapBytes * SNAPSHOT_DISK_FACTOR;
    if (freeDiskBytes < neededDiskBytes) return this.#skip({ reason: 'disk', memory, freeDiskBytes, neededDiskBytes });
    this.#taken++;
    this.#busy = true;
    this.#write(memory, freeDiskBytes).finally(() => {
      this.#busy = false;
    });
  }

  async #write(memory: MemoryFit, freeDiskBytes: number): Promise<void> {
    const start = performance.now();
    const path = join(this.#dir, `heap-${process.pid}-${this.#taken}-${new Date().toISOString().replace(/[-:]|\.\d+/g, '')}.heapsnapshot.gz`);
    const partial = `${path}.partial`;
    const removePartial = (): void => {
      try {
        unlinkSync(partial);
      } catch {
        // Never created, or already renamed.
      }
    };
    // A process that exits mid-write leaves no half file behind.
    process.once('exit', removePartial);
    try {
      await pipeline(
        this.#watcher.takeSnapshot(), batches, createGzip({ level: 1, chunkSize: BATCH_BYTES }), createWriteStream(partial, { flags: 'wx', mode: 0o600 }),
      );
      renameSync(partial, path);
      this.#log?.write({ type: 'snapshot', path, sizeBytes: statSync(path).size, writeMs: performance.now() - start, memory, freeDiskBytes });
    } catch (error) {
      removePartial();
      this.#skip({ reason: 'failed', error: message(error) });
    } finally {
      process.removeListener('exit', removePartial);
    }
  }

  #skip(details: Omit<Extract<WatchLogLine, { type: 'snapshot-skipped' }>, 'type'>): void {
    this.#log?.write({ type: 'snapshot-skipped', ...details });
  }
}

/**
 * V8's chunks are 64 KiB, and zlib takes one trip through the event loop per chunk it is given
 * (and per output chunk). In a process whose loop is busy each trip waits for the rest of the
 * loop: with the leak fixture's GC every 20 ms, a 6 MB snapshot had not finished after 30 s.
 * Feeding gzip 1 MiB at a time (and letting it write 1 MiB out) makes that ~16× fewer trips.
 */
const BATCH_BYTES = 1024 * 1024;

async function* batches(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    parts.push(chunk);
    size += chunk.length;
    if (size >= BATCH_BYTES) {
      yield Buffer.concat(parts, size);
      parts = [];
      size = 0;
    }
  }
  if (size > 0) yield Buffer.concat(parts, size);
}

function readCount(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (Number.isInteger(value) && value >= 0) return value;
  warn(`${name}: not a whole number: "${text}"; using ${fallback}`);
  return fallback;
}

function readSize(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const bytes = parseByteSize(text);
  if (bytes === undefined) warn(`${name}: not a size: "${text}" (e.g. 512MiB); ignored`);
  return bytes;
}

function warn(text: string): void {
  process.stderr.write(`leakcheck/watch (pid ${process.pid}): ${text}\n`);
}

const message = (error: unknown): string => (error instanceof Error ? error.message.split('\n')[0]! : String(error));
