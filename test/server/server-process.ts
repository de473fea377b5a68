/**
 * Test helpers for the push server: start real `node dist/server.js` processes, open raw SSE
 * streams, make one-shot HTTP requests (no keep-alive pool, so /stats counts are exact), and start
 * private redis-server processes. Every process started here is killed by PID when the test ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { once } from 'node:events';
import { SseDecoder, type SseEvent } from '../../src/server/sse-frame.js';
import { serverPath } from '../helpers/paths.js';

type After = Pick<TestContext, 'after'>;

export interface ServerProcess {
  port: number;
  child: ChildProcess;
  /** Everything the server printed on stdout and stderr so far. */
  output(): string;
  stats(): Promise<Stats>;
  stop(): Promise<number | null>;
}

export interface Stats {
  connections: number;
  streams: number;
  requests: number;
  router: { ids: number; connections: number };
  resume: { ids: number; bytes: number };
  messages: {
    published: number; fromBus: number; delivered: number; queueBoundDrops: number; stallDrops: number; responseBoundDrops: number; gaps: number;
    idleTimeouts: number; requestTimeouts: number;
  };
  bus: { state: 'off' | 'up' | 'down'; outages: number; received: number; gaps: number };
  memory: { rss: number; heapUsed: number };
  kernel: { tcpInUse: number; tcpMemBytes: number } | null;
}

/**
 * Starts a server on a free port and waits for its "listening" line. One process (`--workers 1`)
 * unless the test asks for workers: most tests are about one router, and a worker per core would
 * multiply the suite's processes.
 */
export async function startServer(t: After, args: string[] = [], env: Record<string, string> = {}): Promise<ServerProcess> {
  const workers = args.includes('--workers') ? [] : ['--workers', '1'];
  const child = spawn(process.execPath, ['--expose-gc', serverPath, '--port', '0', ...workers, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const port = await new Promise<number>((resolve, reject) => {
    const check = () => {
      const match = /listening on http:\/\/[^:]+:(\d+)/.exec(text);
      if (match !== null) resolve(Number(match[1]));
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`server exited ${code} before listening: ${text}`)));
  });
  // /stats needs the publisher secret when there is one.
  const secretAt = args.indexOf('--auth-secret');
  const secret = secretAt === -1 ? env.PUSH_AUTH_SECRET : args[secretAt + 1];
  const statsHeaders: Record<string, string> = secret === undefined ? {} : { authorization: `Bearer ${secret}` };
  const server: ServerProcess = {
    port,
    child,
    output: () => text,
    stats: async () => JSON.parse((await request(port, 'GET', '/stats?gc=1', undefined, statsHeaders)).body) as Stats,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      return code as number | null;
    },
  };
  return server;
}

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request on a fresh connection that is closed afterwards. */
/**
 * One request on a fresh connection, bounded by `timeoutMs`: a connection that cluster's primary
 * handed to a worker in the moment it died is never answered nor closed (Node's round-robin loses
 * it), and a test must fail or retry then, not hang.
 */
export function request(port: number, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, agent: false, timeout: timeoutMs, headers: { connection: 'close', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
    req.end(body);
  });
}

/** Sends raw bytes on a fresh connection and returns everything received until the server closes it. */
export async function rawExchange(port: number, bytes: string | Buffer): Promise<string> {
  const socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  let text = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => (text += chunk));
  socket.on('error', () => {});
  socket.write(bytes);
  await once(socket, 'close');
  return text;
}

/** A raw event-stream client: the response head, then decoded events in arrival order. */
export class Stream {
  readonly socket: Socket;
  head = '';
  readonly events: SseEvent[] = [];
  readonly #decoder = new SseDecoder();
  #waiters: (() => void)[] = [];
  closed = false;

  constructor(socket: Socket) {
    this.socket = socket;
    let headDone = false;
    let headBytes = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      if (!headDone) {
        headBytes = Buffer.concat([headBytes, chunk]);
        const end = headBytes.indexOf('\r\n\r\n');
        if (end === -1) return;
        headDone = true;
        this.head = headBytes.toString('latin1', 0, end);
        chunk = headBytes.subarray(end + 4);
      }
      this.events.push(...this.#decoder.push(chunk));
      this.#wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.#wake();
    });
  }

  get comments(): number {
    return this.#decoder.comments;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Resolves once `predicate` holds (checked on every arrival); rejects if the stream closes first
   * or nothing satisfies it within `timeoutMs`, so a lost message fails the test instead of hanging it.
   */
  async until(predicate: (stream: Stream) => boolean, what = 'condition', timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (this.closed) throw new Error(`stream closed before ${what}; events: ${JSON.stringify(this.events.slice(-20))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms; ${this.events.length} events, last: ${JSON.stringify(this.events.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  untilEvents(count: number): Promise<void> {
    return this.until((s) => s.events.length >= count, `${count} events`);
  }

  async untilClosed(): Promise<void> {
    if (!this.closed) await once(this.socket, 'close');
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Opens GET <path> as an event stream and waits for the response head. */
export async function openStream(t: After, port: number, path: string, headers: Record<string, string> = {}): Promise<Stream> {
  const socket = connect({ host: '127.0.0.1', port });
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n${lines}\r\n`);
  const stream = new Stream(socket);
  await stream.until((s) => s.head !== '' || s.closed, 'response head');
  return stream;
}

/** Polls /stats until `predicate` holds; the bound is in attempts, not time, and fails loudly. */
export async function statsUntil(server: ServerProcess, predicate: (stats: Stats) => boolean, what: string, attempts = 200): Promise<Stats> {
  let stats = await server.stats();
  for (let k = 0; k < attempts && !predicate(stats); k++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    stats = await server.stats();
  }
  if (!predicate(stats)) throw new Error(`stats never showed ${what}: ${JSON.stringify(stats)}`);
  return stats;
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as { port: number }).port;
  probe.close();
  await once(probe, 'close');
  return port;
}

export interface RedisProcess {
  port: number;
  start(): Promise<void>;
  kill(): Promise<void>;
}

/** A private redis-server on a free port (no persistence), restartable on the same port. */
export async function privateRedis(t: After): Promise<RedisProcess> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const redis: RedisProcess = {
    port,
    async start() {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout!.setEncoding('utf8');
      await new Promise<void>((resolve, reject) => {
        child!.stdout!.on('data', (chunk: string) => {
          text += chunk;
          if (text.includes('Ready to accept connections')) resolve();
        });
        child!.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${text}`)));
      });
    },
    async kill() {
      const running = child;
      if (running === null || running.exitCode !== null) return;
      running.kill('SIGKILL');
      await once(running, 'exit');
    },
  };
  t.after(() => redis.kill());
  await redis.start();
  return redis;
}
