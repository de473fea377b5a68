/**
 * Kernel socket memory from /proc/net/sockstat. The `mem` figure is in pages and covers every TCP
 * socket on the machine (the kernel does not account per process), so per-connection figures are
 * deltas taken around a known change in connection count.
 */
import { readFileSync } from 'node:fs';

export interface SockStat {
  /** TCP sockets in use, machine-wide. */
  tcpInUse: number;
  /** Kernel memory held by TCP sockets (buffers), machine-wide, bytes. */
  tcpMemBytes: number;
  /** TCP sockets orphaned (closed by the process, not yet by the kernel). */
  tcpOrphans: number;
  /** Sockets in TIME_WAIT. */
  tcpTimeWait: number;
}

/** The kernel page size that sockstat's `mem` is counted in (4 KiB on every Linux we run on). */
export const PAGE_BYTES = 4096;

export function parseSockStat(text: string): SockStat {
  const line = /^TCP:(.*)$/m.exec(text);
  const field = (name: string): number => {
    const match = line === null ? null : new RegExp(`\\b${name} (\\d+)`).exec(line[1]);
    return match === null ? 0 : Number(match[1]);
  };
  return {
    tcpInUse: field('inuse'),
    tcpMemBytes: field('mem') * PAGE_BYTES,
    tcpOrphans: field('orphan'),
    tcpTimeWait: field('tw'),
  };
}

/** Reads /proc/net/sockstat; null where it does not exist (not Linux). */
export function readSockStat(): SockStat | null {
  try {
    return parseSockStat(readFileSync('/proc/net/sockstat', 'latin1'));
  } catch {
    return null;
  }
}
