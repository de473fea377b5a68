import { basename } from 'node:path';
import type { LoadPhase } from './load-plan.js';

export type HeapDiffStep = 'start' | 'restart' | 'end';

/** What one checkpoint asks of the agent: always a forced GC and a sample; optionally a snapshot and a HeapDiff step. */
export interface CheckpointSpec {
  /** True at the end of a phase; false in the middle of one. */
  boundary: boolean;
  /** File name (in the run directory) of the heap snapshot to write, if any. */
  snapshotFile?: string;
  heapDiff?: HeapDiffStep;
  /** A measured boundary (the snapshot diff's points): the allocation sites are read here too. */
  measured?: true;
}

/** The checkpoints of one planned phase. */
export interface PhaseSchedule {
  /**
   * The run's baseline, taken right before this phase: set on the first phase when it is a load
   * phase (no warm-up), as a phase of its own named `start`.
   */
  baseline?: CheckpointSpec;
  /** HTTP load is sent in this many chunks, with a `mid` checkpoint between two chunks. */
  chunks: number;
  /** The checkpoint between chunks (HTTP) or at growing intervals (load command); none for warm-up and idle phases. */
  mid?: CheckpointSpec;
  end: CheckpointSpec;
}

export interface CheckpointSettings {
  /** Forced-GC measurements per load phase, the end checkpoint included. */
  checkpointsPerPhase: number;
  snapshots: boolean;
  heapDiff: boolean;
}

/** The name of the baseline phase spliced in front of a plan that starts with load. */
export const BASELINE_PHASE = 'start';

/**
 * Where the run measures. The snapshot diff compares *measured* boundaries: the end of the last
 * warm-up (or the spliced baseline) and the end of every load phase. Those get a snapshot and
 * step the HeapDiff (the first starts it, the one after the last load phase ends it, the others
 * end one and start the next); every other boundary is a forced GC and a sample only.
 */
export function scheduleCheckpoints(phases: readonly LoadPhase[], settings: CheckpointSettings): PhaseSchedule[] {
  const loadPhaseCount = phases.filter((p) => p.kind === 'load').length;
  let loadPhasesDone = 0;
  let snapshotsPlanned = 0;
  let heapDiffRunning = false;
  const measured = (phaseName: string): CheckpointSpec => {
    const spec: CheckpointSpec = { boundary: true, measured: true };
    if (settings.snapshots) spec.snapshotFile = `${String(snapshotsPlanned++).padStart(2, '0')}-${safeFileName(phaseName)}.heapsnapshot`;
    if (settings.heapDiff) {
      spec.heapDiff = !heapDiffRunning ? 'start' : loadPhasesDone >= loadPhaseCount ? 'end' : 'restart';
      heapDiffRunning = spec.heapDiff !== 'end';
    }
    return spec;
  };
  return phases.map((plan, index): PhaseSchedule => {
    const schedule: Partial<PhaseSchedule> = {};
    if (index === 0 && plan.kind === 'load') schedule.baseline = measured(BASELINE_PHASE);
    if (plan.kind === 'load') loadPhasesDone++;
    const lastWarmup = plan.kind === 'warmup' && phases[index + 1]?.kind !== 'warmup';
    return {
      ...schedule,
      chunks: plan.kind === 'load' ? Math.max(1, settings.checkpointsPerPhase) : 1,
      ...(plan.kind === 'load' ? { mid: { boundary: false } } : {}),
      end: plan.kind === 'load' || lastWarmup ? measured(plan.name) : { boundary: true },
    };
  });
}

/** Requests in chunk `chunk` of `chunks` when `total` are split as evenly as integers allow. */
export function chunkRequests(total: number, chunks: number, chunk: number): number {
  return Math.floor((total * (chunk + 1)) / chunks) - Math.floor((total * chunk) / chunks);
}

/**
 * A load command's length is unknown: checkpoints start frequent, so a short command still yields
 * a trend, and back off 1.5× up to 5 s (or the first interval, if longer), so a long one is not
 * paused by forced GCs all along.
 */
export function commandCheckpointIntervals(firstMs: number): () => number {
  const maxMs = Math.max(firstMs, 5000);
  let next = firstMs;
  return () => {
    const current = next;
    next = Math.min(maxMs, next * 1.5);
    return current;
  };
}

function safeFileName(name: string): string {
  return basename(name).replace(/[^A-Za-z0-9._-]/g, '_');
}
