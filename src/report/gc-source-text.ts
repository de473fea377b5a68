import type { Outcome, RunReport } from './model.js';

/**
 * The one line both renderers print about where the GC figures came from. `warn` is set when the
 * addon is missing: nothing the verdict uses is lost, but HeapDiff is, and the reader should know.
 */
export function describeGcSource(target: RunReport['target'], outcome: Outcome): { text: string; warn: boolean } {
  if (outcome === 'not-measured') return { text: 'no GC stats: nothing was measured', warn: false };
  if (target.memwatch.available) return { text: 'GC stats: @airbnb/node-memwatch', warn: false };
  const why = `@airbnb/node-memwatch did not load in the target: ${target.memwatch.error ?? 'unknown error'}`;
  if (target.gcSource === 'gc-profiler') {
    return { text: `GC stats: Node's v8.GCProfiler and 'gc' performance entries (${why}; no HeapDiff, which needs the addon)`, warn: true };
  }
  return { text: `no GC stats (${why}; report written by an older leakcheck)`, warn: true };
}
