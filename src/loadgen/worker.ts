/**
 * One load process: holds its share of the connections, decodes their event streams, records
 * delivery latency, and reports counters to the coordinator over IPC. One extra process of the same
 * kind holds no connections and runs the flood.
 * Started by run.ts with child_process.fork; it never prints. Everything it opens it closes on
 * 'stop' or when the coordinator goes away, so the process then exits by itself.
 */
import { connect, type Socket } from 'node:net';
import { SseDecoder } from '../server/sse-frame.js';
import { emptyCounters, type WorkerCounters } from './counters.js';
import { Flood, nowMs, sentAtMs, subscriptionToken } from './floods.js';
import { LatencyHistogram } from './latency.js';
import type { LoadPlan } from './plan.js';

export type ToWorker =
  | { type: 'init'; plan: LoadPlan; worker: number }
  | { type: 'open'; from: number; to: number }
  | { type: 'close' }
  | { type: 'flood'; idCount: number }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'report'; worker: number; counters: WorkerCounters; errors: Record<string, number>; latency: number[] }
  | { type: 'opened'; worker: number }
  | { type: 'closed'; worker: number };

interface Held {
  socket: Socket;
  decoder: SseDecoder | null;
  head: Buffer | null;
  closing: boolean;
  errored: boolean;
}

class LoadWorker {
  readonly counters: WorkerCounters = emptyCounters();
  /** Socket errors by code (ECONNREFUSED, EADDRNOTAVAIL, ECONNRESET, …), since the start. */
  readonly errors: Record<string, number> = {};
  readonly #plan: LoadPlan;
  readonly #worker: number;
  readonly #latency = new LatencyHistogram();
  readonly #held = new Set<Held>();
  readonly #reportTimer: NodeJS.Timeout;
  #rampTimer: NodeJS.Timeout | null = null;
  #unsettled = 0;
  /** Connections opened and not yet answered (or failed). */
  #pending = 0;
  #flood: Flood | null = null;

  constructor(plan: LoadPlan, worker: number) {
    this.#plan = plan;
    this.#worker = worker;
    this.#reportTimer = setInterval(() => this.report(), plan.reportMs);
  }

  report(): void {
    if (this.#flood !== null) Object.assign(this.counters, this.#flood.counters);
    send({ type: 'report', worker: this.#worker, counters: { ...this.counters }, errors: { ...this.errors }, latency: this.#latency.toSparse() });
    this.#latency.reset();
  }

  /** Opens connections [from, to), paced to this process's share of the ramp rate. */
  open(from: number, to: number): void {
    const perSecond = Math.max(1, this.#plan.pulses.rampPerSecond / this.#plan.processes);
    const maxPending = this.#plan.pulses.maxPending === 0 ? Infinity : Math.max(1, Math.floor(this.#plan.pulses.maxPending / this.#plan.processes));
    if (to === from) {
      send({ type: 'opened', worker: this.#worker });
      return;
    }
    const startMs = nowMs();
    let next = from;
    this.#unsettled += to - from;
    const tick = () => {
      const due = Math.min(to, from + Math.floor(((nowMs() - startMs) / 1000) * perSecond) + 1);
      for (; next < due && this.#pending < maxPending; next++) this.#connect(next);
      if (next >= to && this.#rampTimer !== null) {
        clearInterval(this.#rampTimer);
        this.#rampTimer = null;
      }
    };
    this.#rampTimer = setInterval(tick, 10);
    tick();
  }

  #settle(): void {
    if (this.#unsettled > 0 && --this.#unsettled === 0) send({ type: 'opened', worker: this.#worker });
  }

  #connect(index: number): void {
    const plan = this.#plan;
    const target = plan.targets[index % plan.targets.length];
    const localAddress = plan.sourceAddresses[index % plan.sourceAddresses.length];
    const id = `${plan.idPrefix}${index}`;
    // Reads land in one buffer shared by every socket of this process (onread): no allocation per
    // read, which at 100k events/s is most of a load process's work. The handler copies what it keeps.
    const socket = connect({
      host: target.host, port: target.port, localAddress,
      onread: { buffer: readBuffer, callback: (bytes: number, buffer: Uint8Array) => {
          onChunk(Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
          return true;
        } },
    });
    const held: Held = { socket, decoder: null, head: Buffer.alloc(0), closing: false, errored: false };
    this.#held.add(held);
    this.counters.opened++;
    this.#pending++;
    let settled = false;
    const settle = () => {
      if (!settled) {
        settled = true;
        this.#pending--;
        this.#settle();
      }
    };
    const token = plan.authSecret === null ? '' : `?token=${subscriptionToken(plan.authSecret, id)}`;
    socket.on('connect', () => socket.write(`GET /sub/${id}${token} HTTP/1.1\r\nHost: load\r\nAccept: text/event-stream\r\n\r\n`));
    const onChunk = (chunk: Buffer) => {
      if (held.decoder === null) {
        const bytes = Buffer.concat([held.head!, chunk]);
        const end = bytes.indexOf('\r\n\r\n');
        if (end === -1) {
          held.head = bytes;
          if (bytes.length > 16_384) socket.destroy();
          return;
        }
        held.head = null;
        if (!bytes.toString('latin1', 0, 13).startsWith('HTTP/1.1 200')) {
          this.counters.failed++;
          const status = `HTTP ${bytes.toString('latin1', 9, 12)}`;
          this.errors[status] = (this.errors[status] ?? 0) + 1;
          held.closing = true; // a refusal, not a drop
          socket.destroy();
          settle();
          return;
        }
        this.counters.connected++;
        this.counters.open++;
        held.decoder = new SseDecoder();
        settle();
        chunk = bytes.subarray(end + 4);
      }
      const decoder = held.decoder;
      const before = decoder.comments;
      let events;
      try {
        events = decoder.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      this.counters.heartbeats += decoder.comments - before;
      if (events.length === 0) return;
      const now = nowMs();
      for (const event of events) {
        if (event.event === 'gap') {
          this.counters.gaps++;
          continue;
        }
        this.counters.received++;
        const sent = sentAtMs(event.data);
        if (!Number.isNaN(sent)) this.#latency.record(Math.max(0, now - sent));
      }
    };
    socket.on('error', (error: NodeJS.ErrnoException) => {
      held.errored = true;
      const code = error.code ?? error.message;
      this.errors[code] = (this.errors[code] ?? 0) + 1;
    });
    socket.on('close', () => {
      this.#held.delete(held);
      if (held.decoder !== null) {
        this.counters.open--;
        if (held.closing) this.counters.closed++;
        else this.counters.dropped++;
      } else if (!held.closing) {
        this.counters.failed++;
        if (!held.errored) this.errors['closed before the response'] = (this.errors['closed before the response'] ?? 0) + 1;
      }
      settle();
      if (this.#held.size === 0 && this.#closeWaiting) {
        this.#closeWaiting = false;
        send({ type: 'closed', worker: this.#worker });
      }
    });
  }

  #closeWaiting = false;

  closeAll(): void {
    if (this.#rampTimer !== null) clearInterval(this.#rampTimer);
    this.#rampTimer = null;
    this.#unsettled = 0;
    if (this.#held.size === 0) {
      send({ type: 'closed', worker: this.#worker });
      return;
    }
    this.#closeWaiting = true;
    for (const held of this.#held) this.#close(held);
  }

  #close(held: Held): void {
    held.closing = true;
    if (this.#plan.pulses.close === 'rst' && !held.socket.destroyed && held.socket.readyState === 'open') held.socket.resetAndDestroy();
    else held.socket.destroy();
  }

  flood(idCount: number): void {
    const plan = this.#plan;
    if (this.#flood !== null || plan.flood.ratePerSecond === 0) return;
    this.#flood = new Flood({
      targets: plan.targets,
      localAddress: plan.sourceAddresses[this.#worker % plan.sourceAddresses.length],
      ratePerSecond: plan.flood.ratePerSecond,
      mode: plan.flood.mode,
      bodyBytes: plan.flood.bodyBytes,
      publishers: plan.flood.publishersPerProcess,
      pipeline: plan.flood.pipeline,
      idPrefix: plan.idPrefix,
      idCount: Math.max(1, idCount),
      authSecret: plan.authSecret,
    });
  }

  /** Closes everything, waits (at most 2 s) for the sockets to report closed, sends the last report. */
  async stop(): Promise<void> {
    await this.#flood?.stop();
    if (this.#rampTimer !== null) clearInterval(this.#rampTimer);
    clearInterval(this.#reportTimer);
    for (const held of this.#held) this.#close(held);
    for (let k = 0; k < 200 && this.#held.size > 0; k++) await new Promise((resolve) => setTimeout(resolve, 10));
    this.report();
  }
}

const readBuffer = Buffer.allocUnsafe(64 * 1024);

function send(message: FromWorker): void {
  if (process.connected) process.send!(message);
}

/** Runs only as a forked child: the coordinator's messages drive everything. */
if (process.send !== undefined && process.env.LEAKCHECK_LOAD_WORKER === '1') {
  let worker: LoadWorker | null = null;
  process.on('message', (message: ToWorker) => {
    switch (message.type) {
      case 'init':
        worker = new LoadWorker(message.plan, message.worker);
        break;
      case 'open':
        worker?.open(message.from, message.to);
        break;
      case 'close':
        worker?.closeAll();
        break;
      case 'flood':
        worker?.flood(message.idCount);
        break;
      case 'stop':
        void (worker?.stop() ?? Promise.resolve()).then(() => process.connected && process.disconnect());
        break;
    }
  });
  // The coordinator went away without 'stop': close everything so this process exits.
  process.on('disconnect', () => void worker?.stop());
}
