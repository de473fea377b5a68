/**
 * RunReport: everything `leakcheck run` learned about one target, as plain JSON-safe data.
 * Numbers are in base units named by their suffix (Bytes, Ms, Ns); times called `atMs` are
 * milliseconds since the run started. Bump RUN_REPORT_SCHEMA_VERSION on any incompatible change;
 * `leakcheck report` refuses versions it does not know.
 */
import type { GcSource, MemorySample } from '../agent/protocol.js';
import type { AllocationSitesResult, AnalysisResult } from '../detectors/index.js';
import type { ExitFacts, RunVerdict } from './run-verdict.js';
import type { StoredWords } from './schema-v1.js';

export type { AllocationSite, AllocationSitesResult, AnalysisResult, Finding as SnapshotFinding } from '../detectors/index.js';

/**
 * 2: findings, the diff verdict and the run verdict's reasons are facts. 3: a phase's `incomplete`
 * is a fact too (PhaseIncomplete), no longer a sentence. Files of schema 1 and 2 are upgraded on
 * read (to-json.ts, schema-v1.ts).
 */
export const RUN_REPORT_SCHEMA_VERSION = 3;

/** --keep-snapshots: snapshots can be large and can hold secrets, so by default only a leak keeps them. */
export type KeepSnapshots = 'always' | 'on-leak' | 'never';

export type PhaseKind = 'warmup' | 'load' | 'idle';

/** A memory sample of the agent (agent/protocol.ts MemorySample), placed on the run's timeline. */
export interface RunMemorySample extends Omit<MemorySample, 'timeMs'> {
  atMs: number;
  /** The phase running when the sample was taken. */
  phase: string;
}

/** A full GC observed by the agent (see agent/protocol.ts GcSample for each field). */
export interface RunGcSample {
  atMs: number;
  phase: string;
  usedHeapBytes: number;
  totalHeapBytes: number;
  gcPauseNs: number;
  markSweepCompactCount: number;
  scavengeCount: number;
  /** Caused by leakcheck (a checkpoint's forced GC or snapshot), not by the program. */
  forced: boolean;
}

/** Memory right after a forced full GC: the exact points the heap trend is computed from. */
export interface RunCheckpoint {
  atMs: number;
  /** The phase that had just run (or was running, for mid-phase checkpoints). */
  phase: string;
  /** Requests served so far in the whole run (load phases only). */
  requestsSoFar: number;
  /** True at the end of a phase; false for checkpoints in the middle of one. */
  boundary: boolean;
  rssBytes: number;
  heapTotalBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  gcMs: number;
  /** The whole checkpoint (forced GC, HeapDiff, snapshot): the load is paused that long. */
  totalMs: number;
  /** TCP connections the target held after the forced GC (absent in reports written before it was counted). */
  openSockets?: number;
  /** The machine's kernel socket memory when the checkpoint began (Linux only). */
  kernel?: KernelSocketMemory;
}

/** Machine-wide kernel figures (Linux accounts socket memory per machine, never per process). */
export interface KernelSocketMemory {
  /** TCP sockets in use on the machine: both ends of a loopback connection count. */
  tcpSocketsInUse: number;
  /** Buffer memory of every TCP socket (/proc/net/sockstat `mem`). */
  tcpBufferBytes: number;
  /** Kernel slab (/proc/meminfo `Slab`): socket structs, inodes, dentries, files among the rest. */
  slabBytes: number;
}

/**
 * What one connection of the target costs, as the run measured it: Theil–Sen slopes of the
 * post-GC figures against the target's open TCP connections over the checkpoints, both summed over
 * every process that serves the load (a cluster's workers hold the connections) (so only when the
 * count moved during the run, e.g. under connection pulses). `fit` is r² around that line: the
 * share of the figure's variance the connection count explains (0..1).
 */
export interface ConnectionCost {
  points: number;
  minConnections: number;
  maxConnections: number;
  heapUsed: CostSlope;
  external: CostSlope;
  rss: CostSlope;
  /**
   * Kernel memory (slab + TCP buffers) per TCP socket on the machine, and the machine's sockets per
   * target connection (2 when the load runs on this machine over loopback, 1 when it is remote).
   * Null off Linux or when the machine's socket count did not move.
   */
  kernel: { perSocket: CostSlope; socketsPerConnection: number; bytesPerConnection: number } | null;
}

export interface CostSlope {
  bytesPerConnection: number;
  fit: number;
}

export interface LoadStats {
  requests: number;
  /** Responses by status code; "error" counts requests that got no response (reset, timeout). */
  statusCounts: Record<string, number>;
  errors: number;
  /** First few distinct transport errors, for the report. */
  errorSamples: string[];
  durationMs: number;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
}

export interface CommandLoadStats {
  command: string;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  outputTail: string;
}

export interface RunPhase {
  name: string;
  kind: PhaseKind;
  startMs: number;
  endMs: number;
  http?: LoadStats;
  command?: CommandLoadStats;
  snapshot?: { file: string; sizeBytes: number; writeMs: number };
  heapDiff?: HeapDiffTable;
  /** Time the phase spent in checkpoints (forced GC, snapshot), with the load paused; absent in older reports. */
  pauseMs?: number;
  /** Set when the phase did not finish: why, as facts (verdict-words.ts words it). */
  incomplete?: PhaseIncomplete;
}

/** Why a phase stopped before its plan was done. */
export type PhaseIncomplete =
  /** A phase bounded by requests ran out of --phase-timeout first. */
  | { kind: 'phase-timeout'; requests: number; plannedRequests: number; timeoutMs: number }
  /** The run was stopped from outside; `signal` when known (SIGINT, SIGTERM, SIGHUP). */
  | { kind: 'interrupted'; signal: string | null }
  | { kind: 'target-exited'; exit: ExitFacts }
  /** The agent stopped answering while the target stayed (see the verdict reason of that kind). */
  | { kind: 'unresponsive'; cause: 'checkpoint-timeout' | 'agent-disconnected'; waitedMs: number }
  /** Read from a report.json of schema 1 or 2, which stored a sentence here. */
  | { kind: 'stored-text'; text: string };

export interface HeapDiffTable {
  beforeBytes: number;
  afterBytes: number;
  changeBytes: number;
  allocatedNodes: number;
  freedNodes: number;
  details: Array<{ className: string; addedCount: number; removedCount: number; sizeBytes: number }>;
}

/** Statistics of one series (post-GC heap, external, …) over the load phases. */
export interface SeriesTrend {
  series: 'heapUsed' | 'external' | 'arrayBuffers' | 'rss';
  points: number;
  firstBytes: number;
  lastBytes: number;
  /** Theil–Sen growth over the load phases. */
  growthBytes: number;
  /** Theil–Sen slope per 1000 requests (0 when load was not counted). */
  growthPer1000RequestsBytes: number;
  /** Theil–Sen slope per second (0 when the series ran over requests). */
  growthPerSecondBytes: number;
  /** One-sided Mann–Kendall p-value for "increasing". */
  pValue: number;
  noiseBytes: number;
  /** Growth measured at each load phase's end checkpoint (vs. the previous boundary). */
  growthByPhaseBytes: Array<{ phase: string; growthBytes: number }>;
  increasing: boolean;
}

export interface MemwatchRuleFiring {
  atMs: number;
  consecutiveIncreases: number;
  growthBytes: number;
  durationMs: number;
}

export type { ExitFacts, NotMeasuredCause, Outcome, ReasonKind, RunVerdict, TrendJudgement, VerdictReason } from './run-verdict.js';

/** What ends the target when its memory grows: V8's heap limit and, when the target runs in one, its cgroup's memory limit. */
export interface MemoryLimits {
  /** V8 heap_size_limit as the agent's GC samples report it (--max-old-space-size); null when no GC was seen. */
  heapSizeLimitBytes: number | null;
  /** The tightest cgroup memory limit over the target's cgroup and its parents; null when none applies. */
  cgroup: { path: string; maxBytes: number } | null;
}

export interface AgentSeen {
  pid: number;
  ppid: number;
  argv: string[];
  chosen: boolean;
  /** Why this process was (not) taken as the target. */
  note: string;
}

/** Another process that served the load, measured at the same checkpoints as the target and judged on its own. */
export interface ProcessReport {
  pid: number;
  ppid: number;
  argv: string[];
  /** The cluster module's worker id; null for a cluster's primary. */
  clusterWorkerId: number | null;
  checkpoints: RunCheckpoint[];
  trends: SeriesTrend[];
  /** The heap snapshots written of it, in order (absent in reports written before they were listed). */
  snapshots?: string[];
  /** Its own three-snapshot diff; null when it did not run (see analysisNote). */
  analysis: AnalysisResult | null;
  analysisNote?: string;
  verdict: RunVerdict;
  /** Set when it stopped being measured before the run ended (it exited, or stopped answering). */
  lost?: { phase: string; error: string };
}

export interface RunReport {
  schemaVersion: typeof RUN_REPORT_SCHEMA_VERSION;
  tool: { name: 'leakcheck'; version: string };
  runId: string;
  startedAt: string;
  durationMs: number;
  command: string[];
  cwd: string;
  options: {
    url?: string;
    loadCommand?: string;
    phasesFile?: string;
    concurrency?: number;
    minGrowthBytes: number;
    checkpointsPerPhase: number;
    snapshots: boolean;
    /** Which snapshots are kept after the run (absent in reports written before --keep-snapshots). */
    keepSnapshots?: KeepSnapshots;
    /** --accept-status and --max-error-rate (absent in older reports). */
    acceptedStatuses?: number[];
    maxErrorRate?: number;
  };
  target: {
    pid: number | null;
    argv: string[];
    nodeVersion: string | null;
    memwatch: { available: boolean; error?: string };
    /** Where `gcs` came from; absent in reports written before Node's built-ins were a source. */
    gcSource?: GcSource;
    /** Whether the agent ran the sampling heap profiler and the allocation tracker; absent in older reports. */
    allocations?: { sampling: boolean; tracking: boolean; error?: string };
    agents: AgentSeen[];
    /** Null while the target was still running at the end (leakcheck stopped it). */
    exit: { code: number | null; signal: string | null; phase: string | null } | null;
    crashed: boolean;
    outOfMemory: boolean;
    stderrTail: string;
    /** The limits that stop the process when memory reaches them; absent in reports written before they were recorded. */
    memoryLimits?: MemoryLimits;
    /** Set when the target is a cluster worker (its cluster module id). */
    clusterWorkerId?: number;
  };
  phases: RunPhase[];
  samples: RunMemorySample[];
  gcs: RunGcSample[];
  checkpoints: RunCheckpoint[];
  trends: SeriesTrend[];
  memwatchRule: MemwatchRuleFiring[];
  /** The three-snapshot diff (warm-up end, next-to-last and last load phase end) with its findings; null when it did not run. */
  analysis: AnalysisResult | null;
  /** Set when the snapshot analysis could not run (snapshots off, a snapshot missing, analysis error). */
  analysisNote?: string;
  /** Allocation sites of the sampling heap profiler that grew at every measured checkpoint and no finding explains (those that match a finding are in its allocationSites); absent with --no-allocation-sites and in older reports. */
  allocationSites?: AllocationSitesResult;
  verdict: RunVerdict;
  /** The other processes that served the load (a cluster's primary and workers): absent when there was only the target. */
  processes?: ProcessReport[];
  /** What a connection costs (absent when the target's connection count did not move enough to tell). */
  connectionCost?: ConnectionCost;
  /** `snapshots` lists every snapshot written; `snapshotsDeleted` is set when --keep-snapshots removed them after the run. */
  files: { dir: string; reportJson: string; reportHtml: string; statsJsonl: string; targetLog: string; snapshots: string[]; snapshotsDeleted?: boolean };
  /** Only in reports read from a schema-1 file: the words it stored, shown as they were. */
  storedWords?: StoredWords;
}
