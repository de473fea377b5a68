import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { getHeapSnapshot, getHeapStatistics } from 'node:v8';
import { loadMemwatch, OwnGcWindows, startGcStats, type MemwatchLoad } from '../agent/gc-stats.js';
import type { GcSample, GcSource } from '../agent/protocol.js';
import { TrendRule, type TrendRuleEvent, type TrendRuleOptions, type TrendRuleState } from '../stats/index.js';
import { HeapDiff } from './heap-diff.js';

export interface WatchMemoryOptions {
  /** false keeps @airbnb/node-memwatch out even where it is installed; GC stats then come from Node's built-ins. */
  memwatch?: boolean;
  /** The leak rule's window and thresholds (src/stats/trend-rule.ts). */
  trend?: TrendRuleOptions;
}

/** One full (mark-sweep-compact) GC, figures taken right after it. JSON-safe; bytes and ns. */
export interface MemoryStats {
  /** When the GC ended, ms since the epoch. */
  timeMs: number;
  source: GcSource;
  /** Only full GCs are reported: the minor ones say nothing about what stays alive. */
  gcKind: 'mark-sweep-compact';
  gcPauseNs: number;
  /** Live heap right after the GC. */
  usedHeapBytes: number;
  totalHeapBytes: number;
  heapLimitBytes: number;
  /** C++ memory bound to JS objects (Buffers' backing stores included), read when the stats are delivered. */
  externalBytes: number;
  mallocedBytes: number;
  /** Cumulative counts since the watcher started, per GC kind. */
  markSweepCompactCount: number;
  scavengeCount: number;
  incrementalMarkingCount: number;
  /** The watcher's own GC (a heap snapshot): kept, but not counted by the leak rule. */
  forced: boolean;
  /** The leak rule's trend over its current window, this GC included. */
  trend: TrendRuleState;
}

/** The 'leak' event: the trend rule fired (see docs/production.md for how it differs from memwatch's rule). */
export interface MemoryLeak extends TrendRuleEvent {
  rule: 'trend';
}

export interface MemoryWatcherEvents {
  stats: [MemoryStats];
  leak: [MemoryLeak];
}

/**
 * memwatch's emitter on leakcheck's sources and rules: 'stats' after each full GC, 'leak' from
 * the trend rule, heapDiff() on leakcheck's snapshot engine. Holds no timer or handle, so it never
 * keeps the process alive; stop() ends the GC subscription.
 */
export class MemoryWatcher extends EventEmitter<MemoryWatcherEvents> {
  readonly source: GcSource;
  /** Whether the addon loaded, and why not. */
  readonly memwatch: { available: boolean; error?: string };
  readonly #ownGcs = new OwnGcWindows();
  readonly #rule: TrendRule;
  #stopGcStats: (() => void) | undefined;

  constructor(options: WatchMemoryOptions = {}) {
    super();
    this.#rule = new TrendRule(options.trend);
    const loaded: MemwatchLoad = options.memwatch === false ? { error: 'disabled by the memwatch: false option' } : loadMemwatch();
    this.memwatch = loaded.memwatch ? { available: true } : { available: false, error: loaded.error };
    const gcStats = startGcStats(loaded.memwatch, (sample) => this.#onGc(sample), (timeUs) => this.#ownGcs.contains(timeUs));
    this.source = gcStats.source;
    this.#stopGcStats = gcStats.stop;
  }

  get stopped(): boolean {
    return this.#stopGcStats === undefined;
  }

  stop(): void {
    this.#stopGcStats?.();
    this.#stopGcStats = undefined;
  }

  /** Starts a before/after comparison by class: a heap snapshot now, another at `.end()`. */
  heapDiff(): HeapDiff {
    return new HeapDiff(() => this.takeSnapshot());
  }

  /**
   * A heap snapshot of this process, as a stream of its JSON. V8 builds it (and collects garbage
   * for it) synchronously in this call; those GCs are marked as the watcher's own.
   */
  takeSnapshot(): Readable {
    const closeWindow = this.#ownGcs.open();
    try {
      return getHeapSnapshot();
    } finally {
      closeWindow();
    }
  }

  #onGc(sample: GcSample): void {
    const leak = this.#rule.push(sample);
    this.emit('stats', {
      timeMs: sample.timeMs,
      source: sample.source,
      gcKind: 'mark-sweep-compact',
      gcPauseNs: sample.gcPauseNs,
      usedHeapBytes: sample.usedHeapBytes,
      totalHeapBytes: sample.totalHeapBytes,
      heapLimitBytes: sample.heapSizeLimitBytes,
      externalBytes: getHeapStatistics().external_memory,
      mallocedBytes: sample.mallocedBytes,
      markSweepCompactCount: sample.markSweepCompactCount,
      scavengeCount: sample.scavengeCount,
      incrementalMarkingCount: sample.incrementalMarkingCount,
      forced: sample.forced,
      trend: this.#rule.state,
    });
    if (leak) this.emit('leak', { rule: 'trend', ...leak });
  }
}

/** `watchMemory()` from 'leakcheck/watch': a running MemoryWatcher. */
export function watchMemory(options: WatchMemoryOptions = {}): MemoryWatcher {
  return new MemoryWatcher(options);
}
