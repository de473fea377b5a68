import { readFile } from 'node:fs/promises';

/** A memory limit the kernel enforces on the target's cgroup: past it the OOM killer ends the process. */
export interface CgroupMemoryLimit {
  /** The cgroup whose limit is the tightest, as /proc/<pid>/cgroup names it. */
  path: string;
  maxBytes: number;
}

const read = (file: string): Promise<string | null> => readFile(file, 'utf8').then((text) => text.trim(), () => null);

/**
 * The tightest memory limit on the way from the target's cgroup up to the root (cgroup v2
 * memory.max), else the cgroup v1 memory controller's limit; null when none applies or the files
 * cannot be read (not Linux, the process is gone). Read from the runner, by pid, so the target
 * runs nothing for it.
 */
export async function readCgroupMemoryLimit(pid: number, root = '/'): Promise<CgroupMemoryLimit | null> {
  const own = await read(`${root}proc/${pid}/cgroup`);
  if (own === null) return null;
  const lines = own.split('\n');
  const unified = lines.find((entry) => entry.startsWith('0::'));
  let tightest: CgroupMemoryLimit | null = null;
  if (unified) {
    for (let path = unified.slice(3); ; path = path.slice(0, path.lastIndexOf('/')) || '/') {
      const max = await read(`${root}sys/fs/cgroup${path === '/' ? '' : path}/memory.max`);
      const maxBytes = Number(max);
      if (max !== null && max !== 'max' && maxBytes > 0 && (tightest === null || maxBytes < tightest.maxBytes)) tightest = { path, maxBytes };
      if (path === '/') break;
    }
    if (tightest) return tightest;
  }
  const v1 = lines.find((entry) => /^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:/.test(entry));
  if (!v1) return null;
  const path = v1.slice(v1.lastIndexOf(':') + 1);
  // In a container the mount's root is the container's own cgroup, so the host path may not exist there.
  const limit = await read(`${root}sys/fs/cgroup/memory${path === '/' ? '' : path}/memory.limit_in_bytes`)
    ?? await read(`${root}sys/fs/cgroup/memory/memory.limit_in_bytes`);
  const maxBytes = Number(limit);
  // v1 writes "no limit" as a page-rounded 2^63.
  return limit !== null && maxBytes > 0 && maxBytes < 2 ** 60 ? { path, maxBytes } : null;
}
