/**
 * Message floods: keep-alive, pipelined publisher connections paced by a token bucket. Every body
 * starts with the send time (ms since the epoch, from performance.timeOrigin + now(), comparable
 * across processes on one machine) so subscribers can compute delivery latency.
 */
import { connect, type Socket } from 'node:net';
import { createHmac } from 'node:crypto';

const CRLFCRLF = Buffer.from('\r\n\r\n');

export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The body of one flood message: the send time, then padding to `bodyBytes`. */
export function floodBody(bodyBytes: number): Buffer {
  const stamp = nowMs().toFixed(3);
  return Buffer.from(bodyBytes > stamp.length + 1 ? `${stamp} ${'x'.repeat(bodyBytes - stamp.length - 1)}` : stamp);
}

/** The send time carried by a flood body, or NaN if it is not one. */
export function sentAtMs(data: string): number {
  return Number.parseFloat(data);
}

/** Same token format as the server's (src/server/auth.ts); the layer rules keep loadgen from importing it. */
export function subscriptionToken(secret: string, subscription: string, ttlSeconds = 3600): string {
  const expiry = Math.floor(Date.now() / 1000) + ttlSeconds;
  return `${expiry}.${createHmac('sha256', secret).update(`${subscription}\n${expiry}`).digest('base64url')}`;
}

export interface PublisherCounters {
  published: number;
  acked: number;
  /** Sum of `delivered` over the 200 answers: frames the server handed to streams for our sends. */
  deliveries: number;
  rejected: number;
  /** Sends in flight when their connection closed: the server may still have delivered them. */
  unanswered: number;
  /** Messages the bucket allowed but the pipeline cap held back (the target is slower than the rate). */
  behind: number;
}

export const emptyPublisherCounters = (): PublisherCounters => ({ published: 0, acked: 0, deliveries: 0, rejected: 0, unanswered: 0, behind: 0 });

/** One keep-alive publisher connection with at most `pipeline` requests in flight. */
class Publisher {
  readonly socket: Socket;
  inFlight = 0;
  connected = false;
  #pending: Buffer | null = null;
  #need = -1;
  #answerOk = false;
  /** Set by close(): an answer that comes after it is not counted, its send already counted unanswered. */
  #closing = false;

  constructor(host: string, port: number, localAddress: string, readonly counters: PublisherCounters, onGone: () => void) {
    this.socket = connect({ host, port, localAddress, noDelay: true });
    this.socket.on('connect', () => (this.connected = true));
    this.socket.on('data', (chunk: Buffer) => this.#read(chunk));
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      this.connected = false;
      this.counters.unanswered += this.inFlight;
      this.inFlight = 0;
      onGone();
    });
  }

  /** Ends the connection; what is still in flight is counted unanswered now, not when the close is seen. */
  close(): void {
    this.counters.unanswered += this.inFlight;
    this.inFlight = 0;
    this.#closing = true;
    this.socket.end();
  }

  send(request: Buffer): void {
    this.inFlight++;
    this.counters.published++;
    this.socket.write(request);
  }

  /** Counts responses: status line, Content-Length, body; bounded by what the server sends. */
  #read(chunk: Buffer): void {
    if (this.#closing) return;
    let bytes = this.#pending === null ? chunk : Buffer.concat([this.#pending, chunk]);
    this.#pending = null;
    for (;;) {
      if (this.#need === -1) {
        const end = bytes.indexOf(CRLFCRLF);
        if (end === -1) break;
        const head = bytes.toString('latin1', 0, end);
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        const ok = head.startsWith('HTTP/1.1 200');
        if (ok) this.counters.acked++;
        else this.counters.rejected++;
        this.#answerOk = ok;
        this.inFlight--;
        this.#need = length === null ? 0 : Number(length[1]);
        bytes = bytes.subarray(end + 4);
      }
      if (bytes.length < this.#need) break;
      if (this.#answerOk) {
        const delivered = /"delivered":(\d+)/.exec(bytes.toString('latin1', 0, this.#need));
        if (delivered !== null) this.counters.deliveries += Number(delivered[1]);
      }
      bytes = bytes.subarray(this.#need);
      this.#need = -1;
    }
    if (bytes.length > 0) this.#pending = Buffer.from(bytes);
    if (this.#pending !== null && this.#pending.length > 1 << 20) this.socket.destroy(); // not an HTTP server
  }
}

export interface FloodSettings {
  targets: { host: string; port: number }[];
  localAddress: string;
  ratePerSecond: number;
  mode: 'id' | 'broadcast';
  bodyBytes: number;
  publishers: number;
  pipeline: number;
  /** Ids are `${idPrefix}${k}` for k in [0, idCount). */
  idPrefix: string;
  idCount: number;
  authSecret: string | null;
}

/** A paced flood; `stop()` ends it. The pacing timer is the only timer, ticking every 10 ms. */
export class Flood {
  readonly counters: PublisherCounters = emptyPublisherCounters();
  readonly #settings: FloodSettings;
  readonly #publishers: Publisher[] = [];
  readonly #timer: NodeJS.Timeout;
  readonly #startMs = nowMs();
  readonly #auth: string;
  #allowed = 0;
  #next = 0;
  #stopped = false;

  constructor(settings: FloodSettings) {
    this.#settings = settings;
    this.#auth = settings.authSecret === null ? '' : `Authorization: Bearer ${settings.authSecret}\r\n`;
    for (let k = 0; k < settings.publishers; k++) this.#publishers.push(this.#spawn(k));
    this.#timer = setInterval(() => this.#tick(), 10);
  }

  /** Publisher slot k; a publisher the server closes is replaced after 100 ms while the flood runs. */
  #spawn(k: number): Publisher {
    const target = this.#settings.targets[k % this.#settings.targets.length];
    return new Publisher(target.host, target.port, this.#settings.localAddress, this.counters, () => {
      if (this.#stopped) return;
      setTimeout(() => {
        if (!this.#stopped) this.#publishers[k] = this.#spawn(k);
      }, 100);
    });
  }

  #tick(): void {
    const settings = this.#settings;
    const due = Math.floor(((nowMs() - this.#startMs) / 1000) * settings.ratePerSecond);
    let budget = due - this.#allowed;
    this.#allowed = due;
    // Each pass over the publishers sends at most one request each; bounded by budget and pipeline.
    while (budget > 0) {
      let sent = false;
      for (let k = 0; k < this.#publishers.length && budget > 0; k++) {
        const publisher = this.#publishers[(this.#next + k) % this.#publishers.length];
        if (!publisher.connected || publisher.inFlight >= settings.pipeline) continue;
        publisher.send(this.#request());
        budget--;
        sent = true;
      }
      this.#next++;
      if (!sent) break;
    }
    if (budget > 0) this.counters.behind += budget;
  }

  #request(): Buffer {
    const settings = this.#settings;
    const body = floodBody(settings.bodyBytes);
    const path = settings.mode === 'broadcast' ? '/broadcast' : `/pub/${settings.idPrefix}${Math.floor(Math.random() * settings.idCount)}`;
    return Buffer.concat([Buffer.from(`POST ${path} HTTP/1.1\r\nHost: load\r\n${this.#auth}Content-Length: ${body.length}\r\n\r\n`, 'latin1'), body]);
  }

  /**
   * Stops sending, waits (at most `graceMs`) for the answers to requests in flight, then closes;
   * what is still unanswered then counts as `unanswered`.
   */
  async stop(graceMs = 2000): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    const inFlight = () => this.#publishers.some((publisher) => publisher.connected && publisher.inFlight > 0);
    const deadline = nowMs() + graceMs;
    while (inFlight() && nowMs() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    for (const publisher of this.#publishers) publisher.close();
  }
}
