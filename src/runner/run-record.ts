import type { GcSample, MemorySample, MemwatchLeakEvent } from '../agent/protocol.js';
import type { AllocationSitesResult } from '../analyze.js';
import type { AnalysisResult, KeepSnapshots, NotMeasuredCause, RunCheckpoint, RunPhase } from '../report/index.js';
import type { AgentHello } from './agent-server.js';
import type { CgroupMemoryLimit } from './cgroup-limit.js';
import type { RunFiles } from './run-files.js';
import type { TargetExit } from './spawn-target.js';
import type { AnalysisFailure } from './verdict.js';

/** How the driving of the phases ended. */
export type RunEnding =
  | { kind: 'completed' }
  /** The target exited on its own while `phase` ran (a crash, from the run's point of view). */
  | { kind: 'target-exited'; phase: string }
  /** The user (or a CI timeout) stopped the run during `phase`; `signal` names what stopped it, when known. */
  | { kind: 'interrupted'; phase: string; signal?: string }
  /** The agent stopped answering during `phase` while the process stayed (see AgentLost). */
  | { kind: 'unresponsive'; phase: string; cause: 'checkpoint-timeout' | 'agent-disconnected'; waitedMs: number };

/** Another process that served the load (a cluster's primary or a worker), measured beside the target. */
export interface ProcessRecord {
  hello: AgentHello;
  checkpoints: RunCheckpoint[];
  snapshots: string[];
  gcs: readonly GcSample[];
  leaks: readonly MemwatchLeakEvent[];
  analysis: AnalysisResult | null;
  analysisNote?: string;
  analysisFailure?: AnalysisFailure;
  lost?: { phase: string; error: string };
}

/** Every node process of the target's tree that loaded the agent. */
export interface AgentRecord {
  hello: AgentHello;
  chosen: boolean;
  /** Ports it was seen listening on, in order. */
  listeningPorts: number[];
}

/** The run's options as report.json records them. */
export interface RunSettingsRecord {
  loadUrl: string;
  loadCommand?: string;
  concurrency: number;
  minGrowthBytes: number;
  checkpointsPerPhase: number;
  snapshots: boolean;
  keepSnapshots: KeepSnapshots;
  /** Statuses >= 400 that count as answers, not failures (--accept-status). */
  acceptedStatuses: number[];
  /** Failed share of the load requests above which the run measured nothing (--max-error-rate). */
  maxErrorRate: number;
}

/** What every run report records whatever the run measured. */
export interface RunIdentity {
  toolVersion: string;
  runId: string;
  /** Epoch ms; every `atMs` in the run is relative to it. */
  startedAtMs: number;
  endedAtMs: number;
  command: string[];
  cwd: string;
}

/**
 * Everything one run observed, as plain data: the input of buildRunReport. Collected by
 * runTarget; nothing in here is derived (trends, verdict and wording come later).
 */
export interface RunRecord extends RunIdentity {
  settings: RunSettingsRecord;
  /** The agent chosen as the target, and everything it sent. */
  target: {
    hello: AgentHello;
    memory: readonly MemorySample[];
    gcs: readonly GcSample[];
    /** memwatch-rule events the agent computed online. */
    leaks: readonly MemwatchLeakEvent[];
    /** Read by pid once the target was chosen. */
    cgroupLimit: CgroupMemoryLimit | null;
  };
  agents: AgentRecord[];
  /** How the target process ended: on its own (see ending) or stopped by the runner. */
  exit: TargetExit;
  stderrTail: string;
  ending: RunEnding;
  phases: RunPhase[];
  checkpoints: RunCheckpoint[];
  /** The other processes that served the load, each with its own checkpoints and snapshot diff. */
  processes?: ProcessRecord[];
  analysis: AnalysisResult | null;
  /** Why the snapshot analysis did not run or failed. */
  analysisNote?: string;
  /** Set when it was to run and failed. */
  analysisFailure?: AnalysisFailure;
  /** The sampling heap profiler's growing sites (absent when it did not run or measured fewer than two checkpoints). */
  allocationSites?: AllocationSitesResult;
  files: RunFiles;
}

/**
 * What a run that ended before it measured anything knew (the input of buildUnmeasuredReport):
 * the target's pid and exit, when it got that far, and the tail of its stderr.
 */
export interface UnmeasuredRecord extends RunIdentity {
  /** loadUrl: the --url given, or '' when the target never said where it listens. */
  settings: RunSettingsRecord;
  pid: number | null;
  /** How the target ended on its own, or was stopped by the runner; null when it never started. */
  exit: TargetExit | null;
  stderrTail: string;
  agents: AgentRecord[];
  cause: NotMeasuredCause;
  error: { code: string; message: string };
  /** The signal that interrupted the run, when known. */
  signal: string | null;
  files: RunFiles;
}
