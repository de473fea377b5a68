/**
 * leakcheck/watch: memwatch's three things for code that watches itself in production —
 * 'stats' after each full GC, 'leak' from a trend rule, heapDiff() by class — and, imported with
 * `node --import leakcheck/watch` and LEAKCHECK_WATCH_LOG / LEAKCHECK_WATCH_SNAPSHOTS set, the
 * same with no code change. Without those variables importing it starts nothing.
 */
import { startWatchFromEnv } from './auto.js';

export { watchMemory, MemoryWatcher, type MemoryLeak, type MemoryStats, type MemoryWatcherEvents, type WatchMemoryOptions } from './watch-memory.js';
export { HeapDiff, type HeapDiffClass, type HeapDiffResult, type HeapDiffSide } from './heap-diff.js';
export { WATCH_ENV, DEFAULT_MAX_SNAPSHOTS, SNAPSHOT_DISK_FACTOR, startWatchFromEnv, type WatchLogLine } from './auto.js';
export type { TrendRuleOptions, TrendRuleState } from '../stats/index.js';

startWatchFromEnv();
