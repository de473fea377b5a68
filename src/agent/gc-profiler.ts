/**
 * The built-in GC stats source, used when @airbnb/node-memwatch is not installed, did not build, or
 * was kept out: the same GcSample per full GC, from Node alone.
 *
 * Two built-ins, because neither is enough by itself: v8.GCProfiler records the heap statistics V8
 * had right after each GC (exact post-GC figures, like memwatch's epilogue callback) but only hands
 * them over when stopped; PerformanceObserver 'gc' entries arrive shortly after each GC with its
 * end time but say nothing about the heap. The observer is the clock and the trigger: at each batch
 * of entries the profiler is swapped for a fresh one and its records are paired, in order, with the
 * full-GC entries. v8.getHeapStatistics() at delivery time is only the fallback for an entry whose
 * record has not been seen, so a sample is never missing, at worst a few allocations late.
 */
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { GCProfiler, getHeapStatistics, type HeapStatistics } from 'node:v8';
import type { GcSample } from './protocol.js';

type HeapFigures = Pick<HeapStatistics,
  'totalHeapSize' | 'totalHeapSizeExecutable' | 'totalPhysicalSize' | 'totalAvailableSize' | 'usedHeapSize' | 'heapSizeLimit'
  | 'mallocedMemory' | 'peakMallocedMemory'>;

/** Cumulative per-kind figures, the same counters memwatch keeps. */
type GcTotals = Pick<GcSample,
  'scavengeCount' | 'scavengeTotalNs' | 'markSweepCompactCount' | 'markSweepCompactTotalNs' | 'incrementalMarkingCount'
  | 'incrementalMarkingTotalNs' | 'processWeakCallbacksCount' | 'processWeakCallbacksTotalNs'>;

type Kind = 'scavenge' | 'markSweepCompact' | 'incrementalMarking' | 'processWeakCallbacks';

// V8's GCType names as GCProfiler writes them; the minor mark-sweep collectors count as scavenges
// (young generation only), as memwatch's switch would file them if it knew them.
const kindByGcType: Record<string, Kind> = {
  Scavenge: 'scavenge',
  MinorMarkSweep: 'scavenge',
  MinorMarkCompact: 'scavenge',
  MarkSweepCompact: 'markSweepCompact',
  IncrementalMarking: 'incrementalMarking',
  ProcessWeakCallbacks: 'processWeakCallbacks',
};

/** A full GC's record waiting for its observer entry, with the totals as of that GC. */
interface PendingFullGc {
  heap: HeapFigures;
  pauseNs: number;
  totals: GcTotals;
}

export class GcProfilerSource {
  readonly #onSample: (sample: GcSample) => void;
  readonly #isOwn: (timeUs: number) => boolean;
  readonly #pending: PendingFullGc[] = [];
  readonly #totals: GcTotals = {
    scavengeCount: 0, scavengeTotalNs: 0, markSweepCompactCount: 0, markSweepCompactTotalNs: 0,
    incrementalMarkingCount: 0, incrementalMarkingTotalNs: 0, processWeakCallbacksCount: 0, processWeakCallbacksTotalNs: 0,
  };
  #profiler: GCProfiler | undefined;
  readonly #observer: PerformanceObserver;

  /** `isOwn(timeUs)`: whether a GC that ended at that time (µs since epoch) was caused by the agent. */
  constructor(onSample: (sample: GcSample) => void, isOwn: (timeUs: number) => boolean) {
    this.#onSample = onSample;
    this.#isOwn = isOwn;
    this.#observer = new PerformanceObserver((list) => this.#deliver(list.getEntries()));
  }

  start(): void {
    this.#profiler = new GCProfiler();
    this.#profiler.start();
    this.#observer.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    this.#observer.disconnect();
    this.#profiler?.stop();
    this.#profiler = undefined;
  }

  #deliver(entries: PerformanceEntry[]): void {
    if (!this.#profiler) return;
    this.#drainProfiler();
    for (const entry of entries) {
      if ((entry as { detail?: { kind?: number } }).detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
      const endUs = (performance.timeOrigin + entry.startTime + entry.duration) * 1000;
      const record = this.#pending.shift() ?? this.#unprofiled(entry.duration);
      this.#onSample(toSample(record, endUs, this.#isOwn(endUs)));
    }
  }

  /**
   * Swaps in a fresh profiler before stopping the old one, so no GC falls between the two (the
   * old one's JSON is parsed after its GC callbacks are gone, and that parse may itself collect).
   */
  #drainProfiler(): void {
    const next = new GCProfiler();
    next.start();
    const records = this.#profiler!.stop().statistics;
    this.#profiler = next;
    for (const record of records) {
      const kind = kindByGcType[record.gcType];
      if (kind === undefined) continue;
      const pauseNs = Math.round(record.cost * 1000);
      this.#totals[`${kind}Count`]++;
      this.#totals[`${kind}TotalNs`] += pauseNs;
      if (kind === 'markSweepCompact') this.#pending.push({ heap: record.afterGC.heapStatistics, pauseNs, totals: { ...this.#totals } });
    }
  }

  /** An entry whose profiler record was lost: count it and read the heap as it is now. */
  #unprofiled(durationMs: number): PendingFullGc {
    const pauseNs = Math.round(durationMs * 1e6);
    this.#totals.markSweepCompactCount++;
    this.#totals.markSweepCompactTotalNs += pauseNs;
    const h = getHeapStatistics();
    return {
      heap: {
        totalHeapSize: h.total_heap_size, totalHeapSizeExecutable: h.total_heap_size_executable, totalPhysicalSize: h.total_physical_size,
        totalAvailableSize: h.total_available_size, usedHeapSize: h.used_heap_size, heapSizeLimit: h.heap_size_limit,
        mallocedMemory: h.malloced_memory, peakMallocedMemory: h.peak_malloced_memory,
      },
      pauseNs,
      totals: { ...this.#totals },
    };
  }
}

function toSample({ heap, pauseNs, totals }: PendingFullGc, endUs: number, forced: boolean): GcSample {
  return {
    source: 'gc-profiler',
    timeMs: endUs / 1000,
    usedHeapBytes: heap.usedHeapSize,
    totalHeapBytes: heap.totalHeapSize,
    totalHeapExecutableBytes: heap.totalHeapSizeExecutable,
    totalPhysicalBytes: heap.totalPhysicalSize,
    totalAvailableBytes: heap.totalAvailableSize,
    heapSizeLimitBytes: heap.heapSizeLimit,
    mallocedBytes: heap.mallocedMemory,
    peakMallocedBytes: heap.peakMallocedMemory,
    gcPauseNs: pauseNs,
    ...totals,
    forced,
  };
}
