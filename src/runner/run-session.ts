import { join, relative } from 'node:path';
import type { AllocationProfile, CheckpointResult } from '../agent/protocol.js';
import { ErrorCode, isLeakcheckError } from '../errors.js';
import { describeExit, type KernelSocketMemory, type RunCheckpoint, type RunPhase } from '../report/index.js';
import type { AgentConnection } from './agent-server.js';
import type { CheckpointSpec } from './checkpoint-policy.js';
import { readKernelMemory } from './kernel-memory.js';
import type { LoadRecorder } from './http-load.js';
import type { StatsStream } from './collect.js';
import type { RunFiles } from './run-files.js';
import type { TargetExit } from './spawn-target.js';

/** The target ended on its own while the run was waiting for something. */
export class TargetEnded extends Error {
  readonly exit: TargetExit;
  constructor(exit: TargetExit) {
    super(describeExit(exit));
    this.exit = exit;
  }
}
/** The run was stopped from outside (Ctrl-C, SIGTERM); `signal` names the signal when known. */
export class Interrupted extends Error {
  readonly signal: string | undefined;
  constructor(signal: string | undefined) {
    super('interrupted');
    this.signal = signal;
  }
}

/** The agent stopped answering while the target process stayed: a blocked event loop, or a channel the program closed. */
export class AgentLost extends Error {
  readonly what: 'checkpoint-timeout' | 'agent-disconnected';
  readonly waitedMs: number;
  constructor(what: AgentLost['what'], waitedMs: number) {
    super(what);
    this.what = what;
    this.waitedMs = waitedMs;
  }
}

/** After the agent disconnects, how long the target's exit may take to be seen before the target counts as alive. */
const exitAfterDisconnectMs = 2000;

/** Another process of the target that serves the load (a cluster's primary or worker), measured beside the chosen one. */
export interface ProcessRun {
  agent: AgentConnection;
  checkpoints: RunCheckpoint[];
  snapshots: string[];
  /** Why it was measured no further (it exited, or stopped answering), with the phase. */
  lost?: { phase: string; error: string };
}

export interface RunSessionOptions {
  agent: AgentConnection;
  /** The other processes serving the load, checkpointed at the same moments. */
  others?: readonly AgentConnection[];
  stats: StatsStream;
  files: RunFiles;
  startedAtMs: number;
  checkpointTimeoutMs: number;
  /** Settles when the target process has exited. */
  targetExited: Promise<TargetExit>;
  /** Races a wait against the target ending and the run being interrupted. */
  orEnd: <T>(work: Promise<T>) => Promise<T>;
  /** Called before every checkpoint (the runner silences late-coming wrapper agents there). */
  beforeCheckpoint: () => void;
  /** Called when a measured process's snapshot `file` (the schedule's name) is written: the target's first, then the others'. */
  onSnapshot?: (file: string, snapshot: { path: string; sizeBytes: number }) => void;
}

/**
 * What the phases of a run accumulate — phases, checkpoints, requests, snapshots — and the one
 * operation that asks the agent to measure. The phase drivers write into it; runTarget reads it
 * back into a RunRecord.
 */
export class RunSession {
  readonly phases: RunPhase[] = [];
  readonly checkpoints: RunCheckpoint[] = [];
  /** The live allocation sites at each measured checkpoint, when the agent samples them. */
  readonly allocationProfiles: Array<{ phase: string; atMs: number; profile: AllocationProfile }> = [];
  readonly others: ProcessRun[];
  requestsSoFar = 0;
  /** The load recorder of the HTTP phase under way, for live progress. */
  liveRecorder: LoadRecorder | undefined;
  readonly #options: RunSessionOptions;

  constructor(options: RunSessionOptions) {
    this.#options = options;
    this.others = (options.others ?? []).map((agent) => ({ agent, checkpoints: [], snapshots: [] }));
  }

  get orEnd(): RunSessionOptions['orEnd'] {
    return this.#options.orEnd;
  }

  /** The target's live JS heap in its latest memory sample. */
  get heapUsedBytes(): number | undefined {
    return this.#options.agent.memory.at(-1)?.heapUsedBytes;
  }

  /** Forced GC + sample (+ snapshot, + HeapDiff step, as the spec says), recorded against `phase`. */
  async checkpoint(phase: RunPhase, spec: CheckpointSpec): Promise<void> {
    const { agent, files, orEnd } = this.#options;
    this.#options.beforeCheckpoint();
    const startedMs = performance.now();
    // Read as the checkpoint starts: a snapshot written meanwhile would add file-system slab to the figure.
    const kernel = readKernelMemory();
    // Every process measured at the same moment (their snapshots written side by side), so one
    // process's figures are never taken while the load still runs against another.
    const others = this.others.filter((o) => o.lost === undefined).map((other) => {
      const snapshotPath = spec.snapshotFile === undefined ? undefined : join(files.dir, spec.snapshotFile.replace(/\.heapsnapshot$/, `.pid${other.agent.hello!.pid}.heapsnapshot`));
      return other.agent.checkpoint({ ...(snapshotPath === undefined ? {} : { snapshotPath }) }, this.#options.checkpointTimeoutMs).then(
        (result) => ({ other, result }),
        (error: unknown) => ({ other, error: error instanceof Error ? error.message : String(error) }),
      );
    });
    let result: CheckpointResult;
    try {
      result = await orEnd(agent.checkpoint({
        ...(spec.snapshotFile === undefined ? {} : { snapshotPath: join(files.dir, spec.snapshotFile) }),
        ...(spec.heapDiff === undefined ? {} : { heapDiff: spec.heapDiff }),
        ...(spec.measured ? { allocations: true as const } : {}),
      }, this.#options.checkpointTimeoutMs).catch((error: unknown) => this.#checkpointFailed(error, startedMs)));
    } finally {
      // The load waits while the agent measures: that time is the phase's pause, not its load.
      phase.pauseMs = (phase.pauseMs ?? 0) + (performance.now() - startedMs);
    }
    const kernelNow = await kernel;
    this.checkpoints.push(this.#record(phase.name, spec.boundary, result, kernelNow));
    if (result.snapshot) {
      files.snapshots.push(result.snapshot.path);
      if (spec.snapshotFile !== undefined) this.#options.onSnapshot?.(spec.snapshotFile, result.snapshot);
      phase.snapshot = { file: relative(files.dir, result.snapshot.path), sizeBytes: result.snapshot.sizeBytes, writeMs: result.snapshot.writeMs };
    }
    for (const outcome of await Promise.all(others)) {
      if ('error' in outcome) {
        outcome.other.lost = { phase: phase.name, error: outcome.error };
        continue;
      }
      outcome.other.checkpoints.push(this.#record(phase.name, spec.boundary, outcome.result, kernelNow, outcome.other.agent.hello!.pid));
      if (outcome.result.snapshot) {
        outcome.other.snapshots.push(outcome.result.snapshot.path);
        if (spec.snapshotFile !== undefined) this.#options.onSnapshot?.(spec.snapshotFile, outcome.result.snapshot);
      }
    }
    if (result.allocations) this.allocationProfiles.push({ phase: phase.name, atMs: this.checkpoints.at(-1)!.atMs, profile: result.allocations });
    if (result.heapDiff) {
      const { beforeBytes, afterBytes, changeBytes, allocatedNodes, freedNodes, details } = result.heapDiff;
      phase.heapDiff = { beforeBytes, afterBytes, changeBytes, allocatedNodes, freedNodes, details };
    }
  }

  /**
   * A checkpoint that fails is an ending of the run, not an error of leakcheck: the target died
   * while it was pending (the agent's channel closes a moment before the process's exit is seen),
   * or the agent stopped answering.
   */
  async #checkpointFailed(error: unknown, startedMs: number): Promise<never> {
    const waitedMs = performance.now() - startedMs;
    if (isLeakcheckError(error) && error.code === ErrorCode.AGENT_UNAVAILABLE) throw new AgentLost('checkpoint-timeout', waitedMs);
    if (!this.#options.agent.closed) throw error;
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      this.#options.targetExited,
      new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), exitAfterDisconnectMs); }),
    ]);
    clearTimeout(timer);
    if (exit) throw new TargetEnded(exit);
    throw new AgentLost('agent-disconnected', waitedMs);
  }

  /** The checkpoint row, also written to stats.jsonl (with the pid for a process other than the chosen one). */
  #record(phase: string, boundary: boolean, result: CheckpointResult, kernel: KernelSocketMemory | undefined, pid?: number): RunCheckpoint {
    const m = result.memory;
    const row: RunCheckpoint = {
      atMs: m.timeMs - this.#options.startedAtMs, phase, requestsSoFar: this.requestsSoFar, boundary,
      rssBytes: m.rssBytes, heapTotalBytes: m.heapTotalBytes, heapUsedBytes: m.heapUsedBytes,
      externalBytes: m.externalBytes, arrayBuffersBytes: m.arrayBuffersBytes, gcMs: result.gcMs, totalMs: result.totalMs,
      openSockets: result.openSockets, ...(kernel === undefined ? {} : { kernel }),
    };
    this.#options.stats.write({ type: 'checkpoint', ...row, ...(pid === undefined ? {} : { pid }) });
    return row;
  }
}
