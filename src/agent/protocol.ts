/**
 * The wire format between the agent (inside the target) and the runner (leakcheck), one JSON object
 * per line over a private Unix socket. Types only: the runner imports this file and nothing else
 * of the agent's runtime. Bump PROTOCOL_VERSION on any incompatible change; the runner refuses an
 * agent that speaks another version instead of misreading its numbers.
 *
 * Units: every number is in a base unit named by its suffix (Bytes, Ms, Ns, Us); times called
 * `timeMs` are milliseconds since the Unix epoch as seen by the target's clock.
 */
import type { AllocationProfile, MemwatchRuleEvent } from '../stats/index.js';
export const PROTOCOL_VERSION = 1;

/** Environment variables the runner sets for the agent. Without LEAKCHECK_SOCKET the agent is inert. */
export const AGENT_ENV = {
  socket: 'LEAKCHECK_SOCKET',
  sampleIntervalMs: 'LEAKCHECK_SAMPLE_MS',
  /** "0" keeps the native addon out of the target (forced GCs then use V8's gc in a private context). */
  memwatch: 'LEAKCHECK_MEMWATCH',
  /** Sampling heap profiler interval in bytes; "0" turns allocation sampling off (--no-allocation-sites). */
  allocationSamplingBytes: 'LEAKCHECK_ALLOCATION_SAMPLING_BYTES',
  /** "1": V8's allocation tracker runs too, so snapshots carry each object's allocation stack (--track-allocations). */
  trackAllocations: 'LEAKCHECK_TRACK_ALLOCATIONS',
} as const;

/** process.memoryUsage() at one moment, renamed with units. */
export interface MemorySample {
  timeMs: number;
  /** Resident set size: everything the OS has given the process and not taken back. */
  rssBytes: number;
  /** V8 heap reserved from the OS (all spaces). */
  heapTotalBytes: number;
  /** V8 heap occupied by objects, live or not yet collected. */
  heapUsedBytes: number;
  /** Memory of C++ objects bound to JS objects (Buffers' backing stores included). */
  externalBytes: number;
  /** ArrayBuffer / SharedArrayBuffer backing stores (a subset of externalBytes). */
  arrayBuffersBytes: number;
  /** Taken while the agent was writing a snapshot or diffing: the figures include leakcheck's own memory. */
  duringCheckpoint?: boolean;
}

/**
 * Where the agent's GC stats come from: the @airbnb/node-memwatch addon when it loads, else Node's
 * own v8.GCProfiler paired with PerformanceObserver 'gc' entries (agent/gc-profiler.ts). Both give
 * every field of GcSample, measured right after the GC.
 */
export type GcSource = 'memwatch' | 'gc-profiler';

/**
 * One full mark-sweep-compact GC. Heap figures are taken right after the GC, when only live
 * objects remain: the honest baseline for leak trends.
 */
export interface GcSample {
  source: GcSource;
  /** When the GC ended (µs since epoch, converted to ms). */
  timeMs: number;
  /** Live heap right after the GC (V8 used_heap_size). */
  usedHeapBytes: number;
  /** Heap reserved from the OS (V8 total_heap_size). */
  totalHeapBytes: number;
  /** Executable part of the heap (V8 total_heap_size_executable). */
  totalHeapExecutableBytes: number;
  /** Heap actually backed by physical pages (V8 total_physical_size). */
  totalPhysicalBytes: number;
  /** Heap the process may still grow into before the limit (V8 total_available_size). */
  totalAvailableBytes: number;
  /** The heap limit (V8 heap_size_limit, set by --max-old-space-size). */
  heapSizeLimitBytes: number;
  /** Memory V8 obtained with malloc, outside the heap (V8 malloced_memory). */
  mallocedBytes: number;
  /** High-water mark of mallocedBytes. */
  peakMallocedBytes: number;
  /** Duration of this GC. */
  gcPauseNs: number;
  /** Cumulative counts and times since the agent loaded, per GC kind. */
  scavengeCount: number;
  scavengeTotalNs: number;
  markSweepCompactCount: number;
  markSweepCompactTotalNs: number;
  incrementalMarkingCount: number;
  incrementalMarkingTotalNs: number;
  processWeakCallbacksCount: number;
  processWeakCallbacksTotalNs: number;
  /**
   * True when the agent itself caused this GC (a forced GC or a heap snapshot at a checkpoint).
   * Such GCs are kept (they are exact baselines) but never counted by the memwatch-style rule,
   * which is about GCs the program triggers by allocating.
   */
  forced: boolean;
}

/** A class histogram delta from memwatch.HeapDiff, camelCased; sizes in bytes. */
export interface HeapDiffSummary {
  beforeNodes: number;
  beforeBytes: number;
  afterNodes: number;
  afterBytes: number;
  changeBytes: number;
  allocatedNodes: number;
  freedNodes: number;
  /** Largest changes first, at most 25 rows. */
  details: Array<{ className: string; addedCount: number; removedCount: number; sizeBytes: number }>;
}

/** Streaming version of the original memwatch 'leak' event, computed by the agent (see src/stats/memwatch-rule.ts). */
export type MemwatchLeakEvent = MemwatchRuleEvent;

/** Defined with the fold that makes it (stats/allocation-profile.ts). */
export type { AllocationFunction, AllocationProfile } from '../stats/index.js';

export interface CheckpointResult {
  /** Memory right after the forced full GC. */
  memory: MemorySample;
  /** Time spent in the forced GC. */
  gcMs: number;
  /** The whole checkpoint: forced GC, HeapDiff and snapshot (the target does little else meanwhile). */
  totalMs: number;
  snapshot?: { path: string; sizeBytes: number; writeMs: number };
  heapDiff?: HeapDiffSummary;
  /** Present while allocation sampling runs (on by default). */
  allocations?: AllocationProfile;
  /**
   * TCP sockets the process holds open after the forced GC (its accepted and outgoing connections;
   * not listening sockets, not unref'd ones): what lets the runner say what one connection costs.
   */
  openSockets: number;
}

export type AgentMessage =
  | {
      type: 'hello';
      protocol: number;
      pid: number;
      ppid: number;
      argv: string[];
      execArgv: string[];
      title: string;
      nodeVersion: string;
      /** Whether @airbnb/node-memwatch loaded; without it there is no HeapDiff and GC stats come from Node's built-ins. */
      memwatch: { available: boolean; error?: string };
      /** The source of every 'gc' sample this agent sends. */
      gcSource: GcSource;
      /** Whether allocation sampling and the allocation tracker run; `error` says why sampling could not start. */
      allocations?: { sampling: boolean; tracking: boolean; error?: string };
      /** The cluster module's id of this worker, when the process is a cluster worker. */
      clusterWorkerId?: number;
    }
  | { type: 'memory'; sample: MemorySample }
  | { type: 'gc'; sample: GcSample }
  | { type: 'leak'; event: MemwatchLeakEvent }
  /**
   * `clusterWorkers`: in a cluster's primary, the workers it has forked when it starts listening
   * for them; the runner waits until that many workers listen, so every one is measured.
   */
  | { type: 'listening'; port: number; address: string; family: string; clusterWorkers?: number }
  | { type: 'reply'; id: number; ok: true; result: CheckpointResult }
  | { type: 'reply'; id: number; ok: false; error: string };

export type RunnerCommand =
  | {
      type: 'checkpoint';
      id: number;
      /** Absolute path of the heap snapshot to write (mode 0600), or absent for GC + sample only. */
      snapshotPath?: string;
      /** 'start' begins a HeapDiff; 'restart' ends the current one and begins the next; 'end' ends it. */
      heapDiff?: 'start' | 'restart' | 'end';
      /** Also return the live allocation sites (when the agent samples them). */
      allocations?: true;
    }
  /** Sent to agents in processes that are not the target (npm, a shell wrapper's node): go quiet. */
  | { type: 'ignore' };
