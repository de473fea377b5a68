/**
 * The kernel's side of a connection, read on the runner's machine (the run drives local targets
 * only). Linux accounts socket memory machine-wide, never per process: the socket structs sit in
 * the slab (TCP, sock_inode_cache, dentries, files) and the buffers in /proc/net/sockstat's `mem`
 * pages. A cost per socket therefore comes from how these move with the count of TCP sockets in
 * use, across checkpoints (connection-cost.ts), not from one reading.
 */
import { readFile } from 'node:fs/promises';
import type { KernelSocketMemory } from '../report/index.js';


const pageBytes = 4096;

/** The integer after `name` on the line that starts with `prefix` (`TCP: inuse 12 … mem 3`), or undefined. */
function fieldAfter(text: string, prefix: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  const words = line?.split(/\s+/) ?? [];
  const at = words.indexOf(name);
  return at < 0 ? undefined : Number(words[at + 1]);
}

/** Parses /proc/net/sockstat and /proc/meminfo; undefined when a figure is missing. */
export function parseKernelMemory(sockstat: string, meminfo: string): KernelSocketMemory | undefined {
  const inUse = fieldAfter(sockstat, 'TCP:', 'inuse');
  const pages = fieldAfter(sockstat, 'TCP:', 'mem');
  const slabKb = fieldAfter(meminfo, 'Slab:', 'Slab:');
  if (inUse === undefined || pages === undefined || slabKb === undefined) return undefined;
  return { tcpSocketsInUse: inUse, tcpBufferBytes: pages * pageBytes, slabBytes: slabKb * 1024 };
}

/** Reads the machine's figures now; undefined off Linux or when /proc cannot be read. */
export async function readKernelMemory(): Promise<KernelSocketMemory | undefined> {
  try {
    const [sockstat, meminfo] = await Promise.all([readFile('/proc/net/sockstat', 'latin1'), readFile('/proc/meminfo', 'latin1')]);
    return parseKernelMemory(sockstat, meminfo);
  } catch {
    return undefined;
  }
}
