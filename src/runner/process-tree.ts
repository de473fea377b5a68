import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

/**
 * The processes (other than this one) whose environment holds `name=value`: for a variable only
 * this run sets, the target and every descendant it started, including detached ones that left
 * its process group and were re-parented (the environment is inherited through fork and exec).
 * Linux /proc only; elsewhere, and for processes of other users, nothing is found.
 */
export async function processesWithEnv(name: string, value: string): Promise<number[]> {
  const entry = Buffer.from(`${name}=${value}\0`);
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid);
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const pid of pids) {
    const environ = await readFile(`/proc/${pid}/environ`).catch(() => undefined);
    if (!environ) continue;
    const at = environ.indexOf(entry);
    if (at === 0 || (at > 0 && environ[at - 1] === 0)) found.push(Number(pid));
  }
  return found;
}

/** Whether a process (or, for a negative number, a process group) exists: signal 0 checks without sending anything. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function alive(pid: number): boolean {
  if (!processExists(pid)) return false;
  // A zombie still answers signal 0; it is already dead, only not yet reaped by its parent.
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** SIGTERM each process, then SIGKILL those still alive after the grace period. Resolves with the pids that had to be killed. */
export async function stopProcesses(pids: readonly number[], graceMs: number): Promise<number[]> {
  const signal = (pid: number, name: NodeJS.Signals): void => {
    try {
      process.kill(pid, name);
    } catch {
      // Already gone.
    }
  };
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = performance.now() + graceMs;
  let left = pids.filter(alive);
  while (left.length > 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = left.filter(alive);
  }
  for (const pid of left) signal(pid, 'SIGKILL');
  return left;
}
