import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { ErrorCode, LeakcheckError } from '../errors.js';
import type { LoadStats } from '../report/index.js';

/** Latencies kept exactly up to this many; beyond, a uniform reservoir sample (bounded memory). */
const latencyReservoirSize = 100_000;

/**
 * Accumulates one phase's results across the chunks it is split into (checkpoints pause the load
 * between chunks; the pause is not counted as load time).
 */
export class LoadRecorder {
  requests = 0;
  errors = 0;
  activeMs = 0;
  /** Start of the chunk under way, so a phase cut short by a crash still has a duration. */
  runningSince: number | undefined;
  readonly statusCounts: Record<string, number> = {};
  readonly errorSamples: string[] = [];
  readonly #latencies: number[] = [];
  #maxMs = 0;
  #seen = 0;

  recordResponse(status: number, latencyMs: number): void {
    this.requests++;
    this.statusCounts[String(status)] = (this.statusCounts[String(status)] ?? 0) + 1;
    this.#recordLatency(latencyMs);
  }

  recordError(message: string): void {
    this.requests++;
    this.errors++;
    this.statusCounts['error'] = (this.statusCounts['error'] ?? 0) + 1;
    if (this.errorSamples.length < 5 && !this.errorSamples.includes(message)) this.errorSamples.push(message);
  }

  #recordLatency(ms: number): void {
    this.#maxMs = Math.max(this.#maxMs, ms);
    this.#seen++;
    if (this.#latencies.length < latencyReservoirSize) this.#latencies.push(ms);
    else {
      const slot = Math.floor(Math.random() * this.#seen);
      if (slot < latencyReservoirSize) this.#latencies[slot] = ms;
    }
  }

  stats(): LoadStats {
    const activeMs = this.activeMs + (this.runningSince === undefined ? 0 : performance.now() - this.runningSince);
    const sorted = [...this.#latencies].sort((a, b) => a - b);
    const pick = (q: number): number => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
    return {
      requests: this.requests,
      statusCounts: { ...this.statusCounts },
      errors: this.errors,
      errorSamples: [...this.errorSamples],
      durationMs: activeMs,
      requestsPerSecond: activeMs > 0 ? (this.requests / activeMs) * 1000 : 0,
      latencyP50Ms: pick(0.5),
      latencyP99Ms: pick(0.99),
      latencyMaxMs: this.#maxMs,
    };
  }
}

export interface HttpLoadOptions {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Stop after this many requests… */
  requests?: number;
  /** …or after this long; both bounds may be given, the first reached wins. */
  durationMs?: number;
  concurrency: number;
  /** Per-request timeout: a request still unanswered is counted as an error. */
  requestTimeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Closed-loop HTTP load: `concurrency` workers over one keep-alive agent, each sending the next
 * request when the previous one is answered. Always bounded: by count, by time, or both.
 */
export async function runHttpLoad(options: HttpLoadOptions, recorder: LoadRecorder): Promise<void> {
  if (options.requests === undefined && options.durationMs === undefined) {
    throw new LeakcheckError(ErrorCode.USAGE, 'an HTTP load phase needs a request count or a duration');
  }
  const url = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const started = performance.now();
  recorder.runningSince = started;
  const deadline = options.durationMs === undefined ? Number.POSITIVE_INFINITY : started + options.durationMs;
  const budget = options.requests ?? Number.POSITIVE_INFINITY;
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < budget && performance.now() < deadline && !options.signal?.aborted) {
      issued++;
      const t0 = performance.now();
      try {
        const status = await sendOne(url, agent, options, body);
        recorder.recordResponse(status, performance.now() - t0);
      } catch (error) {
        recorder.recordError(describeTransportError(error));
        // A refused connection means the target is gone: do not spin through the budget.
        if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') await delay(50);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    recorder.activeMs += performance.now() - started;
    recorder.runningSince = undefined;
    agent.destroy();
  }
}

function sendOne(url: URL, agent: Agent, options: HttpLoadOptions, body: Buffer | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...options.headers };
    if (body) headers['content-length'] = body.length;
    const req = request(url, { agent, method: options.method ?? 'GET', headers, timeout: options.requestTimeoutMs ?? 10_000 }, (res) => {
      // Drain the body: the socket returns to the keep-alive pool only once it has been read.
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    req.once('timeout', () => req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
    req.once('error', reject);
    req.end(body);
  });
}

function describeTransportError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message}` : String(e.message ?? error);
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface WaitForUrlOptions {
  timeoutMs: number;
  /** Called between attempts; throw from it to stop waiting (e.g. the target exited). */
  check?: () => void;
  signal?: AbortSignal;
}

/** Waits until the URL's host:port accepts a TCP connection, or throws ERR_TARGET_NOT_LISTENING. */
export async function waitForUrl(url: string, options: WaitForUrlOptions): Promise<void> {
  const parsed = new URL(url);
  const deadline = performance.now() + options.timeoutMs;
  for (;;) {
    options.check?.();
    if (options.signal?.aborted) throw new LeakcheckError(ErrorCode.USAGE, 'interrupted');
    if (await canConnect(url)) return;
    if (performance.now() >= deadline) {
      throw new LeakcheckError(ErrorCode.TARGET_NOT_LISTENING,
        `the target did not accept connections on ${parsed.host} within ${Math.round(options.timeoutMs / 1000)} s (check the port, or raise --start-timeout)`);
    }
    await delay(100);
  }
}

/** Whether the URL's host:port accepts a TCP connection now (within a second). */
export function canConnect(url: string): Promise<boolean> {
  const parsed = new URL(url);
  const port = Number(parsed.port || 80);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
