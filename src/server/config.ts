/**
 * Command-line flags and environment → ServerConfig. Pure: throws ConfigError with a one-line
 * message; main.ts prints it and exits 2.
 */
import { availableParallelism } from 'node:os';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'ERR_USAGE';
}

export interface ServerConfig {
  host: string;
  /** 0 picks a free port (tests use it; the bound port is printed). */
  port: number;
  /** redis:// URL for multi-node fan-out, or null for a single node. */
  redisUrl: string | null;
  /** Redis stream key the nodes share (the bus log). */
  redisChannel: string;
  /** Entries the bus log keeps (Redis stream MAXLEN ~, or the cluster primary's ring): the catch-up window. */
  busWindow: number;
  /** Worker processes sharing the port (cluster); 1 runs the server in this process. */
  workers: number;
  /** HMAC secret: when set, subscribing needs a token and publishing needs the secret. */
  authSecret: string | null;
  /** Interval of the shared heartbeat sweep (comment frames, stalled-consumer check). */
  heartbeatMs: number;
  /** A stream whose write queue is non-empty at this many consecutive heartbeats is dropped. */
  stallBeats: number;
  /** Per-connection write-queue bound: a stream queueing more is a slow consumer and is dropped. */
  maxQueueBytes: number;
  maxBodyBytes: number;
  maxHeadBytes: number;
  /**
   * Pipelined publishes one connection may have waiting for the bus at once (answered in request
   * order); past it the connection reads nothing more until the oldest is answered.
   */
  maxInFlight: number;
  /** Time allowed to finish a request once its first bytes arrived (then 408), and to linger after a final response. */
  requestTimeoutMs: number;
  /**
   * Time a connection may sit without sending anything (fresh, or between keep-alive requests).
   * Longer than the request timeout: under an accept-queue overflow the kernel retransmits a
   * client's first bytes with backoff, and a short idle limit would cut such clients off (a 60k
   * connection ramp on a loaded 2-core machine lost 7,570 connections to a 30 s limit; 60 s is also
   * the default header timeout of node's http server and nginx).
   */
  idleTimeoutMs: number;
  /** Frames kept per id for Last-Event-ID resume (0 disables resume). */
  resumeFrames: number;
  resumeMaxIds: number;
  resumeMaxBytes: number;
  resumeTtlMs: number;
  /** `retry:` hint sent to EventSource clients. */
  retryMs: number;
}

export const defaultConfig: ServerConfig = {
  host: '127.0.0.1',
  port: 8080,
  redisUrl: null,
  redisChannel: 'leakcheck:push',
  busWindow: 100_000,
  workers: availableParallelism(),
  authSecret: null,
  heartbeatMs: 15_000,
  stallBeats: 2,
  maxQueueBytes: 1 << 20,
  maxBodyBytes: 64 << 10,
  maxHeadBytes: 8 << 10,
  maxInFlight: 64,
  requestTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  resumeFrames: 16,
  resumeMaxIds: 10_000,
  resumeMaxBytes: 64 << 20,
  resumeTtlMs: 60_000,
  retryMs: 2_000,
};

interface FlagSpec {
  key: keyof ServerConfig;
  kind: 'string' | 'int' | 'port';
  min?: number;
  help: string;
}

const flags: Record<string, FlagSpec> = {
  '--host': { key: 'host', kind: 'string', help: 'address to listen on (default 127.0.0.1)' },
  '--port': { key: 'port', kind: 'port', help: 'port to listen on, 0 for any free port (default 8080)' },
  '--redis': { key: 'redisUrl', kind: 'string', help: 'redis:// URL: every node reads and appends one Redis stream' },
  '--redis-channel': { key: 'redisChannel', kind: 'string', help: 'Redis stream key shared by the nodes (default leakcheck:push)' },
  '--bus-window': { key: 'busWindow', kind: 'int', min: 16, help: 'entries the bus log keeps for nodes and workers to catch up from (default 100000)' },
  '--workers': { key: 'workers', kind: 'int', min: 1, help: 'worker processes sharing the port (default: the number of cores; 1 = this process)' },
  '--auth-secret': { key: 'authSecret', kind: 'string', help: 'HMAC secret: require tokens to subscribe and the secret to publish (or env PUSH_AUTH_SECRET)' },
  '--heartbeat-ms': { key: 'heartbeatMs', kind: 'int', min: 10, help: 'heartbeat comment interval (default 15000)' },
  '--stall-beats': { key: 'stallBeats', kind: 'int', min: 1, help: 'heartbeats a stream may stay unflushed before it is dropped (default 2)' },
  '--max-queue-bytes': { key: 'maxQueueBytes', kind: 'int', min: 1024, help: 'per-connection write-queue bound (default 1048576)' },
  '--max-body-bytes': { key: 'maxBodyBytes', kind: 'int', min: 1, help: 'largest accepted message body (default 65536)' },
  '--max-head-bytes': { key: 'maxHeadBytes', kind: 'int', min: 256, help: 'largest accepted request head (default 8192)' },
  '--max-in-flight': { key: 'maxInFlight', kind: 'int', min: 1, help: 'pipelined publishes per connection awaiting the bus at once (default 64)' },
  '--request-timeout-ms': { key: 'requestTimeoutMs', kind: 'int', min: 10, help: 'time to finish a started request (default 10000)' },
  '--idle-timeout-ms': { key: 'idleTimeoutMs', kind: 'int', min: 10, help: 'time a connection may send nothing before a request (default 60000)' },
  '--resume-frames': { key: 'resumeFrames', kind: 'int', min: 0, help: 'frames kept per id for Last-Event-ID resume, 0 = off (default 16)' },
  '--resume-max-ids': { key: 'resumeMaxIds', kind: 'int', min: 1, help: 'ids with a resume buffer, oldest evicted (default 10000)' },
  '--resume-max-bytes': { key: 'resumeMaxBytes', kind: 'int', min: 0, help: 'total bytes of resume buffers (default 67108864)' },
  '--resume-ttl-ms': { key: 'resumeTtlMs', kind: 'int', min: 1, help: 'drop a resume buffer not written for this long (default 60000)' },
  '--retry-ms': { key: 'retryMs', kind: 'int', min: 0, help: 'reconnect delay hinted to EventSource clients (default 2000)' },
};

export function usage(): string {
  const rows = Object.entries(flags).map(([name, spec]) => `  ${`${name} <${spec.kind === 'string' ? 'value' : 'n'}>`.padEnd(26)} ${spec.help}`);
  return ['usage: node dist/server.js [flags]', ...rows, '  --help                     this text'].join('\n');
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

/**
 * Flags win over the environment (PUSH_HOST, PUSH_PORT, PUSH_REDIS_URL, PUSH_AUTH_SECRET — the
 * environment keeps the secret out of `ps`). Accepts `--flag value` and `--flag=value`.
 */
export function parseServerArgs(args: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): ServerConfig {
  const config: ServerConfig = { ...defaultConfig };
  const fromEnv: [string, string][] = [['PUSH_HOST', '--host'], ['PUSH_PORT', '--port'], ['PUSH_REDIS_URL', '--redis'], ['PUSH_AUTH_SECRET', '--auth-secret']];
  for (const [name, flag] of fromEnv) {
    const value = env[name];
    if (value !== undefined && value !== '') apply(config, flag, value, `environment variable ${name}`);
  }
  for (let k = 0; k < args.length; k++) {
    const arg = args[k];
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq !== -1 ? arg.slice(0, eq) : arg;
    if (!(name in flags)) throw new ConfigError(`unknown flag ${JSON.stringify(arg)} (try --help)`);
    let value: string | undefined;
    if (eq !== -1 && name !== arg) value = arg.slice(eq + 1);
    else value = args[++k];
    if (value === undefined) throw new ConfigError(`${name} needs a value`);
    apply(config, name, value, name);
  }
  if (config.authSecret === null && !isLoopback(config.host)) {
    throw new ConfigError(`--host ${config.host} is not a loopback address: without --auth-secret anyone could subscribe and publish; set --auth-secret or listen on 127.0.0.1`);
  }
  return config;
}

function apply(config: ServerConfig, name: string, value: string, source: string): void {
  const spec = flags[name];
  const target = config as unknown as Record<string, unknown>;
  if (spec.kind === 'string') {
    if (value === '') throw new ConfigError(`${source} must not be empty`);
    if (name === '--redis' && !/^rediss?:\/\//.test(value)) throw new ConfigError(`${source} must be a redis:// or rediss:// URL, got ${JSON.stringify(value)}`);
    target[spec.key] = value;
    return;
  }
  if (!/^\d+$/.test(value)) throw new ConfigError(`${source} must be a whole number, got ${JSON.stringify(value)}`);
  const number = Number(value);
  if (spec.kind === 'port' && number > 65535) throw new ConfigError(`${source} must be a port 0-65535, got ${value}`);
  if (spec.min !== undefined && number < spec.min) throw new ConfigError(`${source} must be at least ${spec.min}, got ${value}`);
  if (!Number.isSafeInteger(number)) throw new ConfigError(`${source} is too large`);
  target[spec.key] = number;
}
