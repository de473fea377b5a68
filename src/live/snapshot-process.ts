import { ErrorCode, LeakcheckError } from '../errors.js';
import { checkMemoryFit, SNAPSHOT_MEMORY_FACTOR, type MemoryFit } from './memory-fit.js';
import { openLiveTarget, type InspectorOptions, type InspectorState, type LiveTarget } from './open-inspector.js';
import { streamHeapSnapshot, type SnapshotProgress, type StreamedSnapshot } from './stream-snapshot.js';
import { processGoneWithin } from './target-process.js';
import { readTargetMemory, type TargetMemory } from './target-eval.js';

export interface LiveSnapshotOptions extends InspectorOptions {
  /** Output file; `.gz` at the end means gzip. */
  path: string;
  /** Take the snapshot even when the memory check says it does not fit. */
  force?: boolean;
  /** Replaces the measured available memory (cgroup / MemAvailable) in the check. */
  availableMemoryBytes?: number;
  /** Ask V8 for a full GC first, so the heap figures are post-GC (watch does; a snapshot GCs anyway). */
  collectGarbage?: boolean;
  onEvent?: (event: LiveEvent) => void;
  signal?: AbortSignal;
}

/** What happened, as it happens: the CLI renders these as progress lines. */
export type LiveEvent =
  | { kind: 'connected'; where: string; inspector: InspectorState }
  | { kind: 'memory'; where: string; memory: TargetMemory; fit: MemoryFit; forced: boolean }
  | { kind: 'progress'; where: string; progress: SnapshotProgress };

/** One snapshot taken on an open target. */
export interface TakenSnapshot extends StreamedSnapshot {
  pid: number;
  threadId: number;
  /** Heap figures just before the snapshot (post-GC when collectGarbage was set). */
  memory: TargetMemory;
  fit: MemoryFit;
  forced: boolean;
}

export interface LiveSnapshotResult extends TakenSnapshot {
  inspector: InspectorState;
}

/**
 * One snapshot of a running process: open (or find) its inspector, check memory, stream the
 * snapshot to disk, and leave the inspector as it was found.
 */
export async function snapshotLiveProcess(options: LiveSnapshotOptions): Promise<LiveSnapshotResult> {
  const target = await openLiveTarget(options);
  try {
    options.onEvent?.({ kind: 'connected', where: target.where, inspector: target.inspector });
    const taken = await snapshotOpenTarget(target, options);
    return { ...taken, inspector: await target.close() };
  } finally {
    await target.close();
  }
}

/** The memory check, then the snapshot, through a target that is already open (watch keeps one open). */
export async function snapshotOpenTarget(target: LiveTarget, options: Omit<LiveSnapshotOptions, keyof InspectorOptions>): Promise<TakenSnapshot> {
  const emit = options.onEvent ?? (() => {});
  const memory = await readTargetMemory(target.session, target.where, { collectGarbage: options.collectGarbage ?? false })
    .catch(async (error: unknown) => { throw await explainFailure(error, target); });
  const fit = checkMemoryFit(memory, options.availableMemoryBytes);
  const forced = !fit.fits && (options.force ?? false);
  emit({ kind: 'memory', where: target.where, memory, fit, forced });
  if (!fit.fits && !forced) {
    throw new LeakcheckError(ErrorCode.MEMORY_INSUFFICIENT,
      `refusing to snapshot: it needs about ${mib(fit.neededBytes)} more (used heap ${mib(memory.usedHeapBytes)} × ${SNAPSHOT_MEMORY_FACTOR}) but only ${mib(fit.availableBytes ?? 0)} is available (${describeSource(fit)}); --force takes it anyway`,
      { file: target.where });
  }
  const streamed = await streamHeapSnapshot(target.session, options.path, {
    onProgress: (progress) => emit({ kind: 'progress', where: target.where, progress }),
    ...(options.signal ? { signal: options.signal } : {}),
  }).catch(async (error: unknown) => { throw await explainFailure(error, target); });
  return { ...streamed, pid: target.pid, threadId: target.threadId, memory, fit, forced };
}

// Errors are words made below src/report; whole MiB is all a refusal needs to say.
const mib = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MiB`;

function describeSource(fit: MemoryFit): string {
  if (fit.source === 'cgroup') return `cgroup ${fit.cgroupPath ?? ''} memory.max − memory.current`;
  if (fit.source === 'meminfo') return 'MemAvailable';
  return 'the figure given';
}

/** How long a dropped inspector connection waits for the process to be seen gone before it is called an inspector failure. */
const exitGraceMs = 2000;

/** A dropped connection mid-snapshot usually means the target died: say that when it is true. */
async function explainFailure(error: unknown, target: LiveTarget): Promise<unknown> {
  if (error instanceof LeakcheckError && error.code === ErrorCode.INSPECTOR_UNAVAILABLE && target.local && await processGoneWithin(target.pid, exitGraceMs)) {
    return new LeakcheckError(ErrorCode.TARGET_EXITED, 'the process exited during the snapshot; the partial file was removed', { file: target.where, cause: error });
  }
  if (error instanceof LeakcheckError && error.code === ErrorCode.INSPECTOR_UNAVAILABLE && target.threadId !== 0) {
    return new LeakcheckError(ErrorCode.TARGET_EXITED, 'the worker thread exited during the snapshot; the partial file was removed', { file: target.where, cause: error });
  }
  return error;
}

/** `heap-<pid>-<UTC time>.heapsnapshot.gz`, sortable by name in the order taken. */
export function defaultSnapshotName(pid: number | undefined, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `heap-${pid ?? 'inspector'}-${stamp}.heapsnapshot.gz`;
}
