import { createRequire } from 'node:module';
import { GcProfilerSource } from './gc-profiler.js';
import type { GcSample, GcSource, HeapDiffSummary } from './protocol.js';

/** The raw object memwatch emits with 'stats' (mixed snake/camel case, as the addon writes it). */
interface RawMemwatchStats {
  gc_ts: number;
  gcScavengeCount: number;
  gcScavengeTime: number;
  gcMarkSweepCompactCount: number;
  gcMarkSweepCompactTime: number;
  gcIncrementalMarkingCount: number;
  gcIncrementalMarkingTime: number;
  gcProcessWeakCallbacksCount: number;
  gcProcessWeakCallbacksTime: number;
  total_heap_size: number;
  total_heap_size_executable: number;
  total_physical_size: number;
  total_available_size: number;
  used_heap_size: number;
  heap_size_limit: number;
  malloced_memory: number;
  peak_malloced_memory: number;
  gc_time: number;
}

interface RawHeapDiff {
  before: { nodes: number; size_bytes: number };
  after: { nodes: number; size_bytes: number };
  change: {
    size_bytes: number;
    freed_nodes: number;
    allocated_nodes: number;
    details: Array<{ what: string; size_bytes: number; '+': number; '-': number }>;
  };
}

/** The slice of @airbnb/node-memwatch the agent uses (the package ships no types). */
export interface Memwatch {
  on(event: 'stats', listener: (stats: RawMemwatchStats) => void): void;
  removeListener(event: 'stats', listener: (stats: RawMemwatchStats) => void): void;
  gc(): void;
  HeapDiff: new () => { end(): RawHeapDiff };
}

export type MemwatchLoad = { memwatch: Memwatch; error?: undefined } | { memwatch?: undefined; error: string };

/**
 * Loads the native addon, an optional dependency: npm skips it when it cannot build (no compiler,
 * --ignore-scripts, scripts not approved), so a missing or mismatched build is reported, not thrown.
 */
export function loadMemwatch(): MemwatchLoad {
  try {
    const require = createRequire(import.meta.url);
    return { memwatch: require('@airbnb/node-memwatch') as Memwatch };
  } catch (error) {
    return { error: error instanceof Error ? error.message.split('\n')[0]! : String(error) };
  }
}

/**
 * Time windows during which the agent itself was forcing GCs or writing snapshots. memwatch emits
 * 'stats' asynchronously after the GC, so a flag set around the call would already be cleared;
 * the GC's own end time (gc_ts) is compared with the windows instead.
 */
export class OwnGcWindows {
  readonly #windows: Array<[startUs: number, endUs: number]> = [];

  open(): () => void {
    const window: [number, number] = [Date.now() * 1000, Number.POSITIVE_INFINITY];
    this.#windows.push(window);
    // Keep only recent windows: stats arrive within milliseconds of the GC they describe.
    if (this.#windows.length > 32) this.#windows.shift();
    return () => {
      window[1] = Date.now() * 1000 + 999;
    };
  }

  contains(timeUs: number): boolean {
    return this.#windows.some(([start, end]) => timeUs >= start && timeUs <= end);
  }
}

/**
 * Streams one GcSample per full GC to `onSample` from memwatch when it loaded, else from Node's
 * built-ins; `isOwn(timeUs)` tells GCs the agent caused by their end time.
 */
export function startGcStats(
  memwatch: Memwatch | undefined, onSample: (sample: GcSample) => void, isOwn: (timeUs: number) => boolean,
): { source: GcSource; stop(): void } {
  if (memwatch) {
    // The addon is one emitter per process: remove only this listener, another watcher may share it.
    const listener = (raw: RawMemwatchStats): void => onSample(toGcSample(raw, isOwn(raw.gc_ts)));
    memwatch.on('stats', listener);
    return { source: 'memwatch', stop: () => memwatch.removeListener('stats', listener) };
  }
  const profiler = new GcProfilerSource(onSample, isOwn);
  profiler.start();
  return { source: 'gc-profiler', stop: () => profiler.stop() };
}

export function toGcSample(raw: RawMemwatchStats, forced: boolean): GcSample {
  return {
    source: 'memwatch',
    timeMs: raw.gc_ts / 1000,
    usedHeapBytes: raw.used_heap_size,
    totalHeapBytes: raw.total_heap_size,
    totalHeapExecutableBytes: raw.total_heap_size_executable,
    totalPhysicalBytes: raw.total_physical_size,
    totalAvailableBytes: raw.total_available_size,
    heapSizeLimitBytes: raw.heap_size_limit,
    mallocedBytes: raw.malloced_memory,
    peakMallocedBytes: raw.peak_malloced_memory,
    gcPauseNs: raw.gc_time,
    scavengeCount: raw.gcScavengeCount,
    scavengeTotalNs: raw.gcScavengeTime,
    markSweepCompactCount: raw.gcMarkSweepCompactCount,
    markSweepCompactTotalNs: raw.gcMarkSweepCompactTime,
    incrementalMarkingCount: raw.gcIncrementalMarkingCount,
    incrementalMarkingTotalNs: raw.gcIncrementalMarkingTime,
    processWeakCallbacksCount: raw.gcProcessWeakCallbacksCount,
    processWeakCallbacksTotalNs: raw.gcProcessWeakCallbacksTime,
    forced,
  };
}

export function toHeapDiffSummary(raw: RawHeapDiff): HeapDiffSummary {
  const details = raw.change.details
    .map((d) => ({ className: d.what, addedCount: d['+'], removedCount: d['-'], sizeBytes: d.size_bytes }))
    .sort((a, b) => Math.abs(b.sizeBytes) - Math.abs(a.sizeBytes))
    .slice(0, 25);
  return {
    beforeNodes: raw.before.nodes,
    beforeBytes: raw.before.size_bytes,
    afterNodes: raw.after.nodes,
    afterBytes: raw.after.size_bytes,
    changeBytes: raw.change.size_bytes,
    allocatedNodes: raw.change.allocated_nodes,
    freedNodes: raw.change.freed_nodes,
    details,
  };
}
