import type { RunPhase } from '../report/index.js';
import { chunkRequests, commandCheckpointIntervals, type PhaseSchedule } from './checkpoint-policy.js';
import { startCommandLoad } from './command-load.js';
import { LoadRecorder, delay, runHttpLoad } from './http-load.js';
import type { LoadPhase } from './load-plan.js';
import type { RunSession } from './run-session.js';

/** What a phase driver needs from the run around it. */
export interface PhaseContext {
  session: RunSession;
  /** The URL found when the target started listening (or --url). */
  loadUrl: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  phaseTimeoutMs: number;
  /** First interval between checkpoints during a load command. */
  checkpointIntervalMs: number;
  /** Aborted when the target ends, the run is interrupted, or the run is over: load stops at once. */
  stopLoad: AbortSignal;
  /** Throws Interrupted when the run was stopped from outside. */
  throwIfInterrupted: () => void;
}

/** Drives one phase up to (not including) its end checkpoint, filling `phase` as it goes. */
export type PhaseDriver = (context: PhaseContext, plan: LoadPhase, phase: RunPhase, schedule: PhaseSchedule) => Promise<void>;

export function driverFor(plan: LoadPhase): PhaseDriver {
  if (plan.kind === 'idle') return driveIdle;
  return plan.loadCommand !== undefined ? driveCommandLoad : driveHttpLoad;
}

const driveIdle: PhaseDriver = async (context, plan) => {
  await context.session.orEnd(delay(plan.durationMs ?? 0));
};

/** The built-in closed-loop driver, in `schedule.chunks` chunks with a checkpoint between two. */
const driveHttpLoad: PhaseDriver = async (context, plan, phase, schedule) => {
  const { session } = context;
  const { chunks } = schedule;
  const recorder = new LoadRecorder();
  // Kept after the load so that progress during the end checkpoint still shows the phase's requests.
  session.liveRecorder = recorder;
  try {
    for (let chunk = 0; chunk < chunks; chunk++) {
      const requests = plan.requests === undefined ? undefined : chunkRequests(plan.requests, chunks, chunk);
      const before = recorder.requests;
      await session.orEnd(runHttpLoad({
        url: plan.url ?? context.loadUrl,
        method: plan.method,
        headers: plan.headers,
        ...(plan.body === undefined ? {} : { body: plan.body }),
        ...(requests === undefined ? {} : { requests }),
        durationMs: (plan.durationMs ?? context.phaseTimeoutMs) / chunks,
        concurrency: plan.concurrency,
        signal: context.stopLoad,
      }, recorder));
      session.requestsSoFar += recorder.requests - before;
      phase.http = recorder.stats();
      context.throwIfInterrupted();
      if (chunk < chunks - 1 && schedule.mid) await session.checkpoint(phase, schedule.mid);
    }
    if (plan.requests !== undefined && recorder.requests < plan.requests) {
      phase.incomplete = { kind: 'phase-timeout', requests: recorder.requests, plannedRequests: plan.requests, timeoutMs: context.phaseTimeoutMs };
    }
  } finally {
    // Also on a crash mid-chunk: the report shows what was sent.
    phase.http = recorder.stats();
  }
};

/** The user's own load tool, with checkpoints at growing intervals while it runs (load phases only). */
const driveCommandLoad: PhaseDriver = async (context, plan, phase, schedule) => {
  const { session } = context;
  const command = startCommandLoad({
    command: plan.loadCommand!,
    cwd: context.cwd,
    env: { ...context.env, LEAKCHECK_TARGET_URL: context.loadUrl, LEAKCHECK_TARGET_PORT: new URL(context.loadUrl).port, LEAKCHECK_PHASE: plan.name },
    timeoutMs: context.phaseTimeoutMs,
    signal: context.stopLoad,
  });
  try {
    const nextInterval = commandCheckpointIntervals(context.checkpointIntervalMs);
    let finished = false;
    void command.done.then(() => {
      finished = true;
    });
    while (!finished) {
      await session.orEnd(Promise.race([command.done, delay(nextInterval())]));
      if (!finished && schedule.mid) await session.checkpoint(phase, schedule.mid);
    }
    phase.command = await command.done;
  } finally {
    command.stop();
  }
};
