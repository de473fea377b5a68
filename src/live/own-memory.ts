/** Post-GC (when asked) figures of the target's heap, and the memory it may still take, as the target sees them. */
export interface TargetMemory {
  pid: number;
  threadId: number;
  usedHeapBytes: number;
  totalHeapBytes: number;
  heapLimitBytes: number;
  externalBytes: number;
  rssBytes: number;
  /** The tightest cgroup v2 limit on the way from the target's cgroup to the root (else the cgroup v1 memory limit), if any. */
  cgroup: { path: string; maxBytes: number; currentBytes: number } | null;
  /** MemAvailable from /proc/meminfo, when there is one. */
  memAvailableBytes: number | null;
  /** Milliseconds since the Unix epoch, by the target's clock. */
  atMs: number;
}

// The module subset readOwnMemory uses, so the process can pass its own built-in loader.
interface OwnMemoryBuiltins {
  (id: 'fs'): { readFileSync(file: string, encoding: 'utf8'): string };
  (id: 'v8'): { getHeapStatistics(): { used_heap_size: number; total_heap_size: number; heap_size_limit: number } };
  (id: 'worker_threads'): { threadId: number };
}

/**
 * Reads the calling process's own heap figures and cgroup files, so it also works in a container.
 * One function for two callers: src/live sends its source text to a target through
 * Runtime.evaluate (hence no imports and no outside names: everything comes through `builtin`,
 * which is `process.getBuiltinModule` or the inspector's `require`), and src/watch calls it in
 * the process that watches itself.
 */
export function readOwnMemory(builtin: OwnMemoryBuiltins): TargetMemory {
  const fs = builtin('fs');
  const v8 = builtin('v8');
  const read = (file: string): string | null => {
    try {
      return fs.readFileSync(file, 'utf8').trim();
    } catch {
      return null;
    }
  };
  let cgroup: TargetMemory['cgroup'] = null;
  const own = read('/proc/self/cgroup');
  const line = own && own.split('\n').find((entry) => entry.startsWith('0::'));
  if (line) {
    for (let path = line.slice(3); ; path = path.slice(0, path.lastIndexOf('/')) || '/') {
      const dir = '/sys/fs/cgroup' + (path === '/' ? '' : path);
      const max = read(dir + '/memory.max');
      const current = read(dir + '/memory.current');
      if (max !== null && max !== 'max' && current !== null) {
        const entry = { path, maxBytes: Number(max), currentBytes: Number(current) };
        if (cgroup === null || entry.maxBytes - entry.currentBytes < cgroup.maxBytes - cgroup.currentBytes) cgroup = entry;
      }
      if (path === '/') break;
    }
  }
  // cgroup v1 (no unified hierarchy): the memory controller's own limit; "unlimited" is a huge number.
  const v1 = cgroup === null && own && own.split('\n').find((entry) => /^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:/.test(entry));
  if (v1) {
    const path = v1.slice(v1.lastIndexOf(':') + 1);
    const dir = '/sys/fs/cgroup/memory' + (path === '/' ? '' : path);
    const max = Number(read(dir + '/memory.limit_in_bytes'));
    const current = Number(read(dir + '/memory.usage_in_bytes'));
    if (max > 0 && max < 2 ** 60 && current > 0) cgroup = { path, maxBytes: max, currentBytes: current };
  }
  const meminfo = read('/proc/meminfo');
  const available = meminfo && /^MemAvailable:\s+(\d+) kB/m.exec(meminfo);
  const heap = v8.getHeapStatistics();
  const usage = process.memoryUsage();
  return {
    pid: process.pid, threadId: builtin('worker_threads').threadId,
    usedHeapBytes: heap.used_heap_size, totalHeapBytes: heap.total_heap_size, heapLimitBytes: heap.heap_size_limit,
    externalBytes: usage.external, rssBytes: usage.rss,
    cgroup, memAvailableBytes: available ? Number(available[1]) * 1024 : null, atMs: Date.now(),
  };
}
