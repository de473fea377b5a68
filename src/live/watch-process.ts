import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { analyzeSnapshots, explainWithAllocationSites, type AllocationSitesResult, type AnalysisResult, type AnalyzeOptions } from '../analyze.js';
import { ErrorCode, LeakcheckError } from '../errors.js';
import { foldProfile, type AllocationProfile, type ProfileNode } from '../stats/index.js';
import type { CdpSession } from './cdp-session.js';
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
  /** V8's sampling heap profiler interval while the watch lasts; 0 turns allocation sites off. Default 64 KiB. */
  allocationSamplingBytes?: number;
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
  /** Sampled allocation sites that grew across the analysed snapshots and match no finding (those that do are in the findings). */
  allocationSites?: AllocationSitesResult;
}

const defaultSamplingBytes = 64 * 1024;

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
  const profiles: AllocationProfile[] = [];
  const samplingBytes = options.allocationSamplingBytes ?? defaultSamplingBytes;
  let interrupted = false;
  let targetExited = false;
  const target = await openLiveTarget(options);
  let inspector: InspectorState;
  try {
    emit({ kind: 'connected', where: target.where, inspector: target.inspector });
    // Sampling runs between snapshots, in the same session (stopped again below: the target is
    // left as it was found). A target whose inspector refuses it still gets its snapshots.
    let sampling = samplingBytes > 0 && await startSampling(target.session, samplingBytes);
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
        // The snapshot's GC has just run: the live samples are the live objects.
        // A profile that cannot be read ends the sampling, never the watch: the snapshots are the evidence.
        if (sampling) {
          const profile = await readProfile(target.session, samplingBytes).catch(() => undefined);
          if (profile) profiles.push(profile);
          else sampling = false;
        }
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
    if (sampling && !targetExited) await target.session.send('HeapProfiler.stopSampling').catch(() => {});
    inspector = await target.close();
  } finally {
    await target.close();
  }
  const analyzedPaths = pickForDiff(snapshots.map((snapshot) => snapshot.path));
  const result: WatchResult = { snapshots, inspector, requestedCount: options.count, interrupted, targetExited, analyzedPaths };
  if (analyzedPaths.length < 2) return result;
  emit({ kind: 'analyzing', paths: analyzedPaths });
  const analysis = await analyzeSnapshots(analyzedPaths, options.analyze);
  const picked = profiles.length === snapshots.length
    ? pickForDiff(profiles.map((profile, k) => ({ profile, phase: `snapshot ${k + 1}`, atMs: snapshots[k]!.memory.atMs - snapshots[0]!.memory.atMs })))
    : [];
  if (picked.length < 2) return { ...result, analysis };
  const explained = explainWithAllocationSites(analysis.findings, picked);
  return { ...result, analysis: { ...analysis, findings: explained.findings }, allocationSites: explained.allocationSites };
}

async function startSampling(session: CdpSession, samplingBytes: number): Promise<boolean> {
  try {
    await session.send('HeapProfiler.enable');
    await session.send('HeapProfiler.startSampling', { samplingInterval: samplingBytes, includeObjectsCollectedByMajorGC: false, includeObjectsCollectedByMinorGC: false });
    return true;
  } catch {
    return false;
  }
}

async function readProfile(session: CdpSession, samplingBytes: number): Promise<AllocationProfile> {
  const { profile } = await session.send<{ profile: { head: ProfileNode } }>('HeapProfiler.getSamplingProfile');
  return foldProfile(profile.head, samplingBytes);
}

/** base = the first; target and final = the last two, so growth has the whole watch to show and the last interval to survive. */
export function pickForDiff<T>(items: readonly T[]): T[] {
  if (items.length <= 3) return [...items];
  return [items[0]!, items[items.length - 2]!, items[items.length - 1]!];
}
