import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { analyzeSnapshots, type AnalysisResult, type AnalyzeOptions } from '../analyze.js';
import { ErrorCode, LeakcheckError } from '../errors.js';
import { openLiveTarget, type InspectorState } from './open-inspector.js';
import { snapshotOpenTarget, type LiveEvent, type LiveSnapshotOptions, type TakenSnapshot } from './snapshot-process.js';

export interface WatchOptions extends Omit<LiveSnapshotOptions, 'path' | 'collectGarbage' | 'onEvent' | 'signal'> {
  /** Directory the snapshots go to (created if missing), named 1.heapsnapshot.gz, 2.… */
  dir: string;
  intervalMs: number;
  /** Snapshots to take, at least 2. */
  count: number;
  /** Ends the watch early (Ctrl-C): what was taken is kept and analysed if there are 2 or more. */
  signal?: AbortSignal;
  onEvent?: (event: WatchEvent) => void;
  analyze?: AnalyzeOptions;
}

export type WatchEvent =
  | LiveEvent
  | { kind: 'snapshot-taken'; index: number; count: number; snapshot: TakenSnapshot }
  | { kind: 'waiting'; index: number; count: number; untilMs: number }
  | { kind: 'analyzing'; paths: string[] };

export interface WatchResult {
  snapshots: TakenSnapshot[];
  /** The inspector, as leakcheck found it and left it (closed again when it opened it). */
  inspector: InspectorState;
  /** Snapshots asked for; fewer were taken when the watch was interrupted. */
  requestedCount: number;
  interrupted: boolean;
  /** The target (or its worker) exited during the watch: what was taken before is still analysed. */
  targetExited: boolean;
  /** Which snapshots went into the diff: all of them up to 3, else first, second-to-last, last. */
  analyzedPaths: string[];
  /** The diff and verdict; absent when fewer than 2 snapshots were taken. */
  analysis?: AnalysisResult;
}

/**
 * The three-snapshot method on a live process: a snapshot every `intervalMs`, each after a full
 * GC so the heap figures between them are comparable, then the same analysis as `leakcheck diff`.
 * One inspector session lasts the whole watch: V8 forgets its heap object ids when a session
 * ends, so snapshots from separate sessions cannot be matched by id. The port (loopback unless
 * the target chose otherwise) is therefore open from the first snapshot to the last.
 */
export async function watchLiveProcess(options: WatchOptions): Promise<WatchResult> {
  const emit = options.onEvent ?? (() => {});
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  const snapshots: TakenSnapshot[] = [];
  let interrupted = false;
  let targetExited = false;
  const target = await openLiveTarget(options);
  let inspector: InspectorState;
  try {
    emit({ kind: 'connected', where: target.where, inspector: target.inspector });
    for (let index = 0; index < options.count; index++) {
      if (index > 0) {
        emit({ kind: 'waiting', index, count: options.count, untilMs: Date.now() + options.intervalMs });
        // Wake early when the target goes: the next snapshot then fails at once with the reason.
        await Promise.race([sleep(options.intervalMs, undefined, options.signal ? { signal: options.signal } : {}), target.session.ended]).catch(() => {});
      }
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      try {
        const snapshot = await snapshotOpenTarget(target, {
          ...options,
          path: join(options.dir, `${index + 1}.heapsnapshot.gz`),
          collectGarbage: true,
          onEvent: emit,
        });
        snapshots.push(snapshot);
        emit({ kind: 'snapshot-taken', index, count: options.count, snapshot });
      } catch (error) {
        // A leak that ends in a crash is the case a watch exists for: keep the evidence gathered so far.
        if (error instanceof LeakcheckError && error.code === ErrorCode.TARGET_EXITED) {
          targetExited = true;
          break;
        }
        if (!options.signal?.aborted) throw error;
        interrupted = true;
        break;
      }
    }
    inspector = await target.close();
  } finally {
    await target.close();
  }
  const analyzedPaths = pickForDiff(snapshots.map((snapshot) => snapshot.path));
  const result: WatchResult = { snapshots, inspector, requestedCount: options.count, interrupted, targetExited, analyzedPaths };
  if (analyzedPaths.length < 2) return result;
  emit({ kind: 'analyzing', paths: analyzedPaths });
  return { ...result, analysis: await analyzeSnapshots(analyzedPaths, options.analyze) };
}

/** base = the first; target and final = the last two, so growth has the whole watch to show and the last interval to survive. */
export function pickForDiff(paths: readonly string[]): string[] {
  if (paths.length <= 3) return [...paths];
  return [paths[0]!, paths[paths.length - 2]!, paths[paths.length - 1]!];
}
