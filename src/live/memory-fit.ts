import type { TargetMemory } from './target-eval.js';

/** Where the available figure came from. */
export type MemorySource = 'cgroup' | 'meminfo' | 'override' | 'unknown';

/** The memory check before a snapshot, as facts: the CLI and the error message put them into words. */
export interface MemoryFit {
  fits: boolean;
  /** Estimated extra memory the target needs while V8 builds the snapshot. */
  neededBytes: number;
  /** What the target may still take; null when nothing could be measured (then it "fits": we cannot know better). */
  availableBytes: number | null;
  source: MemorySource;
  /** The cgroup whose limit was the tightest, when source is 'cgroup'. */
  cgroupPath?: string;
}

/**
 * V8 builds the whole snapshot graph (an entry per object, an edge per reference, the strings)
 * inside the target before it streams a byte, and the inspector then queues the JSON chunks in the
 * target until its I/O thread has sent them. bench:live measured the extra peak RSS of the target
 * at 12.4-12.6× the used heap (68 and 506 MiB heaps of small objects, the dense case leaks make;
 * machine under load), against 5.7× for --heapsnapshot-signal. Heaps of large strings or buffers
 * need less; this errs on the side of the process, and --force / --available-memory exist.
 */
export const SNAPSHOT_MEMORY_FACTOR = 13;

/**
 * The tighter of the cgroup v2 headroom (memory.max − memory.current, where a limit applies) and
 * MemAvailable, unless `overrideBytes` replaces both (tests, or an operator who knows better).
 */
export function checkMemoryFit(memory: TargetMemory, overrideBytes?: number): MemoryFit {
  const neededBytes = Math.round(memory.usedHeapBytes * SNAPSHOT_MEMORY_FACTOR);
  const candidates: { bytes: number; source: MemorySource; cgroupPath?: string }[] = [];
  if (overrideBytes !== undefined) {
    candidates.push({ bytes: overrideBytes, source: 'override' });
  } else {
    if (memory.cgroup) candidates.push({ bytes: Math.max(0, memory.cgroup.maxBytes - memory.cgroup.currentBytes), source: 'cgroup', cgroupPath: memory.cgroup.path });
    if (memory.memAvailableBytes !== null) candidates.push({ bytes: memory.memAvailableBytes, source: 'meminfo' });
  }
  const tightest = candidates.sort((a, b) => a.bytes - b.bytes)[0];
  if (!tightest) return { fits: true, neededBytes, availableBytes: null, source: 'unknown' };
  return {
    fits: neededBytes <= tightest.bytes,
    neededBytes,
    availableBytes: tightest.bytes,
    source: tightest.source,
    ...(tightest.cgroupPath === undefined ? {} : { cgroupPath: tightest.cgroupPath }),
  };
}
