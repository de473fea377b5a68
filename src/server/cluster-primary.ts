/**
 * The primary of `node dist/server.js --workers N`: forks the workers, which share one listening
 * port through node's cluster module, restarts a worker that dies, keeps the message log that
 * workers without Redis share (see relay-bus.ts), and sums /stats over the workers.
 *
 * Why cluster and not `reusePort`: Node 20 has no `reusePort` (a second listen on the same port
 * with it is EADDRINUSE here; it came in Node 22.12/23.1). Cluster's default scheduling on Linux is
 * round-robin: the primary accepts and hands each socket to the next worker, which spreads
 * connections evenly (measured in docs/server.md); SCHED_NONE (workers accept on a shared socket)
 * lets the kernel wake whichever worker, which piles connections onto the least busy one.
 *
 * Workers are lean as started: unless the command line already sets a young-generation size, they
 * get `--max-semi-space-size=1` (V8 otherwise grows the semi-spaces while thousands of long-lived
 * sockets survive scavenges: 3.9 vs ≤ 2.5 KB RSS per connection at 10k).
 */
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { readSockStat } from './stats.js';
import type { ServerConfig } from './config.js';
import type { PrimaryToWorker, WireEntry, WorkerToPrimary } from './relay-bus.js';

export const LEAN_FLAG = '--max-semi-space-size=1';

/** The node flags a worker starts with: the primary's, plus the lean young generation unless one is set. */
export function workerExecArgv(primaryExecArgv: readonly string[]): string[] {
  const sized = primaryExecArgv.some((flag) => /^--(max|min)[-_]semi[-_]space[-_]size(=|$)/.test(flag));
  return sized ? [...primaryExecArgv] : [...primaryExecArgv, LEAN_FLAG];
}

export interface PrimaryEvents {
  /** All first workers listen: the shared address. */
  listening(port: number, address: string, family: string): void;
  /** A line for stderr (a worker died, was restarted, or could not be). */
  log(line: string): void;
}

interface Pending {
  origin: Worker | null;
  ref: number;
  waiting: Set<number>;
  total: number;
}

interface StatsRound {
  waiting: Set<number>;
  replies: { pid: number; stats: Record<string, unknown> }[];
  done: () => void;
}

/** Most time a /stats round waits for workers before answering with the ones that replied. */
const STATS_WAIT_MS = 2_000;
/** Restart delay after a worker dies: doubles while workers keep dying within a second of start, capped. */
const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 5_000;

export class ClusterPrimary {
  readonly tag = randomBytes(4).toString('hex');
  readonly #config: ServerConfig;
  readonly #events: PrimaryEvents;
  /**
   * The log for workers without Redis: the entries of the last resume TTL, at most `busWindow` of
   * them and resumeMaxBytes of bodies. It is only a new worker's backfill of its resume buffers,
   * which drop an id not written for the TTL: older entries could serve no resume the other workers
   * would, so they go too, and the ring settles at rate × TTL under a steady load and empties when
   * the load stops (a gate sees it level off instead of filling towards the window).
   */
  #ring: WireEntry[] = [];
  /** When each entry of #ring was appended (ms), index for index. */
  #ringAt: number[] = [];
  /** First live index of #ring: dropping the oldest is a step, compacted when half is dead. */
  #ringStart = 0;
  #ringBytes = 0;
  /** Sequence of the newest entry dropped from the ring (0: none): a backfill starts after it. */
  #trimmedSeq = 0;
  #trimTimer: NodeJS.Timeout | null = null;
  #seq = 0;
  readonly #pending = new Map<number, Pending>();
  /** Entries of this turn, sent to every worker in one message at setImmediate. */
  #outbox: WireEntry[] = [];
  #flush: NodeJS.Immediate | null = null;
  /** Every live worker, and those of them that joined the fan-out. */
  readonly #forked = new Map<number, Worker>();
  readonly #workers = new Map<number, Worker>();
  readonly #startedAt = new Map<number, number>();
  #listening = 0;
  #announced = false;
  #stopping = false;
  #quickDeaths = 0;
  #statsRef = 0;
  readonly #statsRounds = new Map<number, StatsRound>();
  readonly #startedMs = Date.now();
  restarts = 0;

  constructor(config: ServerConfig, events: PrimaryEvents) {
    this.#config = config;
    this.#events = events;
    // Buffers cross IPC as bytes, not JSON arrays of numbers.
    cluster.setupPrimary({ execArgv: workerExecArgv(process.execArgv), serialization: 'advanced' });
    cluster.on('exit', (worker, code, signal) => this.#exited(worker, code, signal));
  }

  start(): void {
    for (let k = 0; k < this.#config.workers; k++) this.#fork();
    const everyMs = Math.max(100, Math.min(1_000, Math.floor(this.#config.resumeTtlMs / 4)));
    this.#trimTimer = setInterval(() => this.#trimRing(Date.now(), true), everyMs).unref();
  }

  get workerPids(): number[] {
    return [...this.#forked.values()].map((worker) => worker.process.pid ?? 0);
  }

  #fork(): void {
    const worker = cluster.fork({ PUSH_CLUSTER_TAG: this.tag });
    this.#startedAt.set(worker.id, Date.now());
    this.#forked.set(worker.id, worker);
    worker.on('message', (message: WorkerToPrimary) => this.#fromWorker(worker, message));
    // A send to a worker that died a moment ago fails (EPIPE) before the primary sees its exit;
    // unhandled, that error ended the primary and every connection. 'exit' follows and cleans up.
    worker.on('error', () => {});
  }

  /**
   * A worker joins the fan-out when it says hello (a message sent before its listener exists is
   * lost): first the ring, then every entry after it, in one order on one channel.
   */
  #join(worker: Worker): void {
    // Entries not yet sent are in the ring already: out first, so the new worker does not get them twice.
    this.#flushOutbox();
    this.#workers.set(worker.id, worker);
    if (this.#config.redisUrl === null) {
      this.#trimRing(Date.now());
      this.#send(worker, { t: 'backfill', entries: this.#ring.slice(this.#ringStart), trimmedSeq: this.#trimmedSeq });
    }
  }

  #send(worker: Worker, message: PrimaryToWorker): void {
    if (worker.isConnected()) worker.send(message);
  }

  #fromWorker(worker: Worker, message: WorkerToPrimary): void {
    switch (message.t) {
      case 'hello':
        this.#join(worker);
        return;
      case 'listening':
        if (++this.#listening === this.#config.workers && !this.#announced) {
          this.#announced = true;
          this.#events.listening(message.port, message.address, message.family);
        }
        return;
      case 'pub':
        // The body arrives as a view into the whole IPC read it came in (up to 64 KiB of other
        // messages): the ring keeps a copy, so an entry holds its own bytes and the byte bound is true.
        this.#append(worker, message.ref, [++this.#seq, message.kind, message.id, Buffer.from(message.body), worker.id]);
        return;
      case 'counts':
        for (let k = 0; k < message.counts.length; k += 2) this.#counted(worker.id, message.counts[k], message.counts[k + 1]);
        return;
      case 'stats-ask':
        this.#statsRound(message.collect).then((stats) => this.#send(worker, { t: 'stats-answer', ref: message.ref, stats }));
        return;
      case 'stats-reply': {
        const round = this.#statsRounds.get(message.ref);
        if (round === undefined) return;
        round.replies.push({ pid: worker.process.pid ?? 0, stats: message.stats as Record<string, unknown> });
        round.waiting.delete(worker.id);
        if (round.waiting.size === 0) round.done();
        return;
      }
      default:
    }
  }

  #append(origin: Worker, ref: number, entry: WireEntry): void {
    this.#ring.push(entry);
    this.#ringAt.push(Date.now());
    this.#ringBytes += entry[3].byteLength;
    this.#trimRing(this.#ringAt[this.#ringAt.length - 1]);
    this.#pending.set(entry[0], { origin, ref, waiting: new Set(this.#workers.keys()), total: 0 });
    this.#outbox.push(entry);
    this.#flush ??= setImmediate(() => this.#flushOutbox());
  }

  /**
   * Drops the oldest entries past the window, the byte bound or the resume TTL. The dropped ones
   * stay in the arrays until they are compacted: on append once they are half of them, and at every
   * tick of the trim timer (`compact`), so what the ring holds is what it keeps, give or take one tick.
   */
  #trimRing(nowMs: number, compact = false): void {
    const { busWindow, resumeMaxBytes, resumeTtlMs } = this.#config;
    const ring = this.#ring;
    while (
      this.#ringStart < ring.length
      && (ring.length - this.#ringStart > busWindow || this.#ringBytes > resumeMaxBytes || nowMs - this.#ringAt[this.#ringStart] >= resumeTtlMs)
    ) {
      const oldest = ring[this.#ringStart++];
      this.#ringBytes -= oldest[3].byteLength;
      this.#trimmedSeq = oldest[0];
    }
    if (this.#ringStart > 0 && (compact || this.#ringStart === ring.length || (this.#ringStart > 1024 && this.#ringStart * 2 > ring.length))) {
      this.#ring = ring.slice(this.#ringStart);
      this.#ringAt = this.#ringAt.slice(this.#ringStart);
      this.#ringStart = 0;
    }
  }

  #flushOutbox(): void {
    if (this.#flush !== null) clearImmediate(this.#flush);
    this.#flush = null;
    if (this.#outbox.length === 0) return;
    const entries = this.#outbox;
    this.#outbox = [];
    for (const worker of this.#workers.values()) this.#send(worker, { t: 'entries', entries });
  }

  #counted(workerId: number, seq: number, count: number): void {
    const pending = this.#pending.get(seq);
    if (pending === undefined || !pending.waiting.delete(workerId)) return;
    pending.total += count;
    if (pending.waiting.size === 0) this.#answer(seq, pending);
  }

  #answer(seq: number, pending: Pending): void {
    this.#pending.delete(seq);
    if (pending.origin !== null) this.#send(pending.origin, { t: 'ack', ref: pending.ref, delivered: pending.total });
  }

  #exited(worker: Worker, code: number | null, signal: string | null): void {
    this.#workers.delete(worker.id);
    this.#forked.delete(worker.id);
    const startedAt = this.#startedAt.get(worker.id) ?? 0;
    this.#startedAt.delete(worker.id);
    // Nothing waits on a dead worker: its counts are 0, answers to it are dropped.
    for (const [seq, pending] of this.#pending) {
      if (pending.origin === worker) pending.origin = null;
      if (pending.waiting.delete(worker.id) && pending.waiting.size === 0) this.#answer(seq, pending);
    }
    for (const round of this.#statsRounds.values()) if (round.waiting.delete(worker.id) && round.waiting.size === 0) round.done();
    if (this.#stopping) return;
    this.#quickDeaths = Date.now() - startedAt < 1_000 ? this.#quickDeaths + 1 : 0;
    const delayMs = Math.min(RESTART_MAX_MS, RESTART_MIN_MS * 2 ** this.#quickDeaths);
    this.#events.log(`worker ${worker.process.pid} died (${signal ?? `exit code ${code}`}); starting another in ${delayMs} ms`);
    this.restarts++;
    setTimeout(() => {
      if (!this.#stopping) this.#fork();
    }, delayMs).unref();
  }

  /** Asks every worker for its stats and sums them (answers with those that replied within STATS_WAIT_MS). */
  #statsRound(collect: boolean): Promise<unknown> {
    const ref = ++this.#statsRef;
    return new Promise((resolve) => {
      const round: StatsRound = {
        waiting: new Set(this.#workers.keys()),
        replies: [],
        done: () => {
          clearTimeout(timer);
          this.#statsRounds.delete(ref);
          resolve(this.#sum(round.replies));
        },
      };
      const timer = setTimeout(() => round.done(), STATS_WAIT_MS);
      this.#statsRounds.set(ref, round);
      for (const worker of this.#workers.values()) this.#send(worker, { t: 'stats-ask', ref, collect });
      if (round.waiting.size === 0) round.done();
    });
  }

  /**
   * Counts, bytes and CPU add up over the workers (RSS summed is the cluster's process memory; the
   * primary's own is beside it). Resume and bus figures are each worker's view of the same shared
   * log, so the first worker's stand for all; the kernel figures are machine-wide.
   */
  #sum(replies: { pid: number; stats: Record<string, unknown> }[]): unknown {
    const add = (a: unknown, b: unknown): unknown => {
      if (typeof a === 'number' && typeof b === 'number') return a + b;
      if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
        const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
        for (const [key, value] of Object.entries(b as Record<string, unknown>)) out[key] = key in out ? add(out[key], value) : value;
        return out;
      }
      return a;
    };
    let total: Record<string, unknown> = {};
    for (const reply of replies) {
      const { node: _node, uptimeMs: _uptime, resume: _resume, bus: _bus, kernel: _kernel, ...summable } = reply.stats;
      total = add(total, summable) as Record<string, unknown>;
    }
    const first = replies[0]?.stats ?? {};
    return {
      node: this.tag,
      uptimeMs: Date.now() - this.#startedMs,
      ...total,
      resume: first.resume,
      bus: first.bus,
      kernel: readSockStat(),
      cluster: {
        workers: replies.length,
        configured: this.#config.workers,
        restarts: this.restarts,
        log: { entries: this.#ring.length - this.#ringStart, bytes: this.#ringBytes },
        primary: { pid: process.pid, memory: process.memoryUsage(), cpu: process.cpuUsage() },
        perWorker: replies.map(({ pid, stats }) => ({
          pid,
          connections: stats.connections,
          streams: stats.streams,
          rss: (stats.memory as { rss: number } | undefined)?.rss,
          heapUsed: (stats.memory as { heapUsed: number } | undefined)?.heapUsed,
        })),
      },
    };
  }

  /** Stops every worker (each closes its connections), then resolves. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#trimTimer !== null) clearInterval(this.#trimTimer);
    const exits = [...this.#forked.values()].map((worker) => new Promise<void>((resolve) => {
      if (worker.isDead()) return resolve();
      worker.once('exit', () => resolve());
      this.#send(worker, { t: 'stop' });
    }));
    await Promise.all(exits);
  }
}
