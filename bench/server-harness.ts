/**
 * What bench/server.bench.ts and bench/server-scale.ts share: starting server processes, reading
 * their /stats (summed over processes, a cluster's primary included), kernel slab, and fresh
 * loopback source addresses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';

export interface ServerKind {
  name: string;
  script: string;
  nodeFlags: string[];
  args: string[];
}

export interface Snapshot {
  streams: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  tcpMemBytes: number;
  delivered: number;
  /** Server CPU time (user + system) since start, µs. */
  cpuUs: number;
  /** The server's own uptime clock (the first process's), ms: rates are taken over its intervals. */
  uptimeMs: number;
}

function getJsonOnce(port: number, path: string): Promise<any> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve(JSON.parse(text)));
    }).on('error', reject).end();
  });
}

/**
 * GET a JSON path, retried (5 tries, 1 s apart): during a big ramp on a saturated machine a /stats
 * connection can be reset (the first 250k attempt died of one ECONNRESET after ~40k connections).
 */
export async function getJson(port: number, path: string): Promise<any> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await getJsonOnce(port, path);
    } catch (error) {
      if (attempt >= 5) throw error;
      await sleep(1000);
    }
  }
}

/** Kernel slab memory (socket structs, inodes, …), machine-wide, bytes; sockstat's `mem` counts only buffer pages. */
export function slabBytes(): number {
  const match = /^Slab:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'latin1'));
  return match === null ? 0 : Number(match[1]) * 1024;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class Servers {
  constructor(readonly kind: ServerKind, readonly children: ChildProcess[], readonly ports: number[]) {}

  static async start(kind: ServerKind, count: number, extraArgs: string[] = [], extraEnv: Record<string, string> = {}): Promise<Servers> {
    const children: ChildProcess[] = [];
    const ports: number[] = [];
    for (let k = 0; k < count; k++) {
      const child = spawn(process.execPath, ['--expose-gc', ...kind.nodeFlags, kind.script, '--port', '0', '--heartbeat-ms', '15000', ...kind.args, ...extraArgs], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, ...extraEnv },
      });
      children.push(child);
      let text = '';
      child.stdout!.setEncoding('utf8');
      ports.push(
        await new Promise<number>((resolve, reject) => {
          child.stdout!.on('data', (chunk: string) => {
            text += chunk;
            const match = /listening on http:\/\/[^:]+:(\d+)/.exec(text);
            if (match) resolve(Number(match[1]));
          });
          child.once('exit', (code) => reject(new Error(`${kind.name} exited ${code}`)));
        }),
      );
    }
    return new Servers(kind, children, ports);
  }

  /**
   * Memory summed over the processes (after a full GC in each when `collect`); kernel memory is
   * machine-wide. Throughput windows skip the GC: a full GC over 10k sockets with queued frames
   * would stall the very server being timed.
   */
  async snapshot(collect = true): Promise<Snapshot> {
    const all = await this.#stats(collect ? '/stats?gc=1' : '/stats');
    // A cluster's /stats sums its workers; its primary's own memory is beside it and counted too.
    const primary = (j: any, key: 'rss' | 'heapUsed' | 'heapTotal' | 'external'): number => j.cluster?.primary.memory[key] ?? 0;
    return {
      streams: all.reduce((s, j) => s + j.streams, 0),
      rss: all.reduce((s, j) => s + j.memory.rss + primary(j, 'rss'), 0),
      heapUsed: all.reduce((s, j) => s + j.memory.heapUsed + primary(j, 'heapUsed'), 0),
      heapTotal: all.reduce((s, j) => s + j.memory.heapTotal + primary(j, 'heapTotal'), 0),
      external: all.reduce((s, j) => s + j.memory.external + primary(j, 'external'), 0),
      tcpMemBytes: all[0].kernel?.tcpMemBytes ?? 0,
      delivered: all.reduce((s, j) => s + j.messages.delivered, 0),
      cpuUs: all.reduce((s, j) => s + j.cpu.user + j.cpu.system + (j.cluster === undefined ? 0 : j.cluster.primary.cpu.user + j.cluster.primary.cpu.system), 0),
      uptimeMs: all[0].uptimeMs,
    };
  }

  /**
   * A cluster's /stats sums the workers that answered within 2 s: on a saturated machine that can
   * be a few of 16 (the first 250k wave read 65k streams of 178k held, and negative RSS per
   * connection). Asked again (up to 20 times) until every worker is in the sum.
   */
  async #stats(path: string): Promise<any[]> {
    let all: any[] = [];
    for (let attempt = 1; attempt <= 20; attempt++) {
      all = await Promise.all(this.ports.map((port) => getJson(port, path)));
      if (all.every((j) => j.cluster === undefined || j.cluster.workers >= j.cluster.configured)) break;
    }
    return all;
  }

  async streams(): Promise<number> {
    const all = await this.#stats('/stats');
    return all.reduce((s, j) => s + j.streams, 0);
  }

  async waitStreams(predicate: (n: number) => boolean, limitMs: number): Promise<boolean> {
    const until = Date.now() + limitMs;
    while (Date.now() < until) {
      if (predicate(await this.streams())) return true;
      await sleep(250);
    }
    return false;
  }

  async stop(): Promise<void> {
    for (const child of this.children) {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([once(child, 'exit'), sleep(5000)]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    }
  }
}

/**
 * Fresh source addresses for each run: closed ports sit in TIME_WAIT for a minute and a run that
 * reuses an address could run short of ports. Runs also close with RST (no TIME_WAIT at all).
 */
let nextAddress = 10;
export function sourceAddresses(connections: number): string {
  const count = Math.ceil(connections / 10_000);
  if (nextAddress + count > 250) nextAddress = 10;
  const from = nextAddress;
  nextAddress += count;
  return `127.0.0.${from}-127.0.0.${from + count - 1}`;
}
export const MB = 1024 * 1024;


/** Growth from `base` to `peak` per held connection, bytes (slab: machine-wide, both ends of each loopback connection). */
export function perConnection(base: Snapshot, peak: Snapshot, baseSlab: number, peakSlab: number, held: number) {
  return {
    rssPerConnBytes: Math.round((peak.rss - base.rss) / held),
    heapPerConnBytes: Math.round((peak.heapUsed - base.heapUsed) / held),
    heapTotalPerConnBytes: Math.round((peak.heapTotal - base.heapTotal) / held),
    kernelPerConnBytes: Math.round((peak.tcpMemBytes - base.tcpMemBytes) / held),
    slabPerConnBytes: Math.round((peakSlab - baseSlab) / held),
  };
}
