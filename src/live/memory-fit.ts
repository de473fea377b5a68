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
 * inside the target before it streams a byte. bench:live measured the target's extra peak RSS at
 * 12.6-13.8× the used heap on heaps of small objects (83 and 506 MiB; the dense case leaks make),
 * the same through the inspector as with --heapsnapshot-signal. Heaps of large strings or
 * buffers need less; this errs on the side of the process, and --force / --available-memory exist.
 */
export const SNAPSHOT_MEMORY_FACTOR = 14;

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
