/**
 * What a load run does, validated up front: where to connect, how many connections in how many
 * processes from which source addresses, the pulse shape, the flood, and the caps that bound it.
 * One option table serves both entry points (src/loadgen/main.ts and `leakcheck load`).
 */
import { isIPv4 } from 'node:net';

export interface PulseShape {
  /** Connections of the big pulse (opened first, held for bigLingerMs). */
  connections: number;
  bigLingerMs: number;
  /** Small pulses after the big one: count × (open smallSize, hold smallLingerMs, close). */
  smallPulses: number;
  smallSize: number;
  smallLingerMs: number;
  /** Cap on new connections per second, over all processes. */
  rampPerSecond: number;
  /**
   * Most connections opened but not yet answered, over all processes (0: no cap). A server that
   * accepts slower than the ramp then sets the pace, instead of its accept queue overflowing or, in a
   * cluster, its primary running out of files while it holds connections not yet handed to a worker.
   */
  maxPending: number;
  /**
   * How we close: 'fin' (an orderly close; our side then holds each port in TIME_WAIT for 60 s) or
   * 'rst' (abortive close: no TIME_WAIT, so back-to-back runs do not run out of source ports).
   */
  close: 'fin' | 'rst';
}

export interface FloodShape {
  /** Messages per second over all processes; 0 = no flood. */
  ratePerSecond: number;
  /** 'id': POST /pub/<random connected id>; 'broadcast': POST /broadcast. */
  mode: 'id' | 'broadcast';
  /** Body size in bytes (at least the timestamp that carries latency). */
  bodyBytes: number;
  /** Keep-alive publisher connections per process. */
  publishersPerProcess: number;
  /** Most requests in flight per publisher connection (pipelined). */
  pipeline: number;
}

export interface LoadPlan {
  targets: { host: string; port: number }[];
  processes: number;
  sourceAddresses: string[];
  pulses: PulseShape;
  flood: FloodShape;
  /** Hard cap on the whole run. */
  durationMs: number;
  /** Interval of progress reports. */
  reportMs: number;
  idPrefix: string;
  /** Publisher secret and token key for a server started with --auth-secret. */
  authSecret: string | null;
}

export class PlanError extends Error {
  override readonly name = 'PlanError';
}

/** One process may hold about 19.9k files (hard limit here); leave room for publishers and stdio. */
export const MAX_CONNECTIONS_PER_PROCESS = 19_000;
/** Ephemeral ports per source address (32768–60999 by default), with a margin. */
export const MAX_CONNECTIONS_PER_ADDRESS = 27_000;

export interface LoadOption {
  type: 'string' | 'number';
  default?: string | number;
  describe: string;
}

export const loadOptions: Record<string, LoadOption> = {
  target: { type: 'string', default: 'http://127.0.0.1:8080', describe: 'server URL(s), comma-separated; connections are spread over them' },
  connections: { type: 'number', default: 1000, describe: 'connections of the big pulse' },
  processes: { type: 'number', default: 0, describe: 'load processes (0 = as few as the 19k-files-per-process limit allows, at least 1)' },
  'source-addresses': { type: 'string', default: 'auto', describe: "source IPs, comma-separated or a range 127.0.0.2-127.0.0.9 ('auto': enough for the connection count)" },
  'linger-ms': { type: 'number', default: 5000, describe: 'how long the big pulse is held' },
  'small-pulses': { type: 'number', default: 0, describe: 'small pulses after the big one' },
  'small-size': { type: 'number', default: 100, describe: 'connections per small pulse' },
  'small-linger-ms': { type: 'number', default: 1000, describe: 'how long each small pulse is held' },
  ramp: { type: 'number', default: 5000, describe: 'new connections per second at most' },
  'max-pending': { type: 'number', default: 0, describe: 'connections opened but not yet answered at most, over all processes (0 = no cap): the server sets the pace' },
  close: { type: 'string', default: 'fin', describe: "'fin' (orderly close) or 'rst' (abortive: leaves no TIME_WAIT, for back-to-back runs)" },
  rate: { type: 'number', default: 0, describe: 'messages per second to publish (0 = no flood)' },
  'flood-mode': { type: 'string', default: 'id', describe: "'id' (POST /pub/<random id>) or 'broadcast'" },
  'body-bytes': { type: 'number', default: 32, describe: 'message body size' },
  publishers: { type: 'number', default: 2, describe: 'keep-alive publisher connections per process' },
  pipeline: { type: 'number', default: 32, describe: 'requests in flight per publisher connection' },
  duration: { type: 'number', default: 60, describe: 'hard cap on the run, seconds' },
  'report-ms': { type: 'number', default: 1000, describe: 'progress line interval' },
  'id-prefix': { type: 'string', default: 'u', describe: 'connection k subscribes to <prefix><k>' },
  'auth-secret': { type: 'string', describe: 'secret of a server started with --auth-secret (mints tokens, authorises publishes)' },
};

export type LoadArgs = Partial<Record<keyof typeof loadOptions, string | number | undefined>>;

function positiveInt(name: string, value: unknown, min = 1, max = 10_000_000): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) throw new PlanError(`--${name} must be a whole number from ${min} to ${max}, got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  return number;
}

function parseTargets(text: string): LoadPlan['targets'] {
  return text.split(',').map((part) => {
    let url: URL;
    try {
      url = new URL(part.trim());
    } catch {
      throw new PlanError(`--target ${JSON.stringify(part)} is not a URL (like http://127.0.0.1:8080)`);
    }
    if (url.protocol !== 'http:') throw new PlanError(`--target ${part} must be an http:// URL`);
    const host = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname;
    if (!/^127\./.test(host)) throw new PlanError(`--target ${part}: load is only sent to 127.0.0.x addresses`);
    return { host, port: url.port === '' ? 80 : Number(url.port) };
  });
}

function parseAddresses(text: string, connections: number): string[] {
  if (text === 'auto') {
    const count = Math.min(250, Math.max(1, Math.ceil(connections / MAX_CONNECTIONS_PER_ADDRESS)));
    return Array.from({ length: count }, (_, k) => `127.0.0.${2 + k}`);
  }
  const out: string[] = [];
  for (const part of text.split(',')) {
    const range = /^127\.0\.0\.(\d{1,3})-127\.0\.0\.(\d{1,3})$/.exec(part.trim());
    if (range !== null) {
      const [from, to] = [Number(range[1]), Number(range[2])];
      if (from < 1 || to > 254 || from > to) throw new PlanError(`--source-addresses range ${part} must lie within 127.0.0.1-127.0.0.254`);
      for (let k = from; k <= to; k++) out.push(`127.0.0.${k}`);
    } else if (isIPv4(part.trim()) && part.trim().startsWith('127.')) {
      out.push(part.trim());
    } else {
      throw new PlanError(`--source-addresses: ${JSON.stringify(part)} is not a 127.x.x.x address or range`);
    }
  }
  return out;
}

/** Validates arguments from either entry point into a plan; throws PlanError with one line. */
export function makePlan(args: LoadArgs): LoadPlan {
  const get = (name: string) => args[name] ?? loadOptions[name].default;
  const connections = positiveInt('connections', get('connections'), 0);
  const smallPulses = positiveInt('small-pulses', get('small-pulses'), 0, 10_000);
  const smallSize = positiveInt('small-size', get('small-size'), 1);
  const peak = Math.max(connections, smallPulses > 0 ? smallSize : 0);
  const needed = Math.max(1, Math.ceil(peak / MAX_CONNECTIONS_PER_PROCESS));
  const processesArg = positiveInt('processes', get('processes'), 0, 64);
  const processes = processesArg === 0 ? needed : processesArg;
  if (processes < needed) throw new PlanError(`${peak} connections need at least ${needed} processes (one process holds at most ${MAX_CONNECTIONS_PER_PROCESS})`);
  const sourceAddresses = parseAddresses(String(get('source-addresses')), peak);
  const neededAddresses = Math.ceil(peak / MAX_CONNECTIONS_PER_ADDRESS);
  if (sourceAddresses.length < neededAddresses) throw new PlanError(`${peak} connections need at least ${neededAddresses} source addresses (about ${MAX_CONNECTIONS_PER_ADDRESS} ports each)`);
  const mode = String(get('flood-mode'));
  if (mode !== 'id' && mode !== 'broadcast') throw new PlanError(`--flood-mode must be 'id' or 'broadcast', got ${JSON.stringify(mode)}`);
  const close = String(get('close'));
  if (close !== 'fin' && close !== 'rst') throw new PlanError(`--close must be 'fin' or 'rst', got ${JSON.stringify(close)}`);
  const idPrefix = String(get('id-prefix'));
  if (!/^[A-Za-z0-9._~-]{1,100}$/.test(idPrefix)) throw new PlanError('--id-prefix must be 1-100 characters of A-Z a-z 0-9 . _ ~ -');
  const secret = args['auth-secret'];
  return {
    targets: parseTargets(String(get('target'))),
    processes,
    sourceAddresses,
    pulses: {
      connections,
      bigLingerMs: positiveInt('linger-ms', get('linger-ms'), 0, 86_400_000),
      smallPulses,
      smallSize,
      smallLingerMs: positiveInt('small-linger-ms', get('small-linger-ms'), 0, 86_400_000),
      rampPerSecond: positiveInt('ramp', get('ramp'), 1),
      maxPending: positiveInt('max-pending', get('max-pending'), 0),
      close,
    },
    flood: {
      ratePerSecond: positiveInt('rate', get('rate'), 0, 10_000_000),
      mode,
      bodyBytes: positiveInt('body-bytes', get('body-bytes'), 1, 1 << 20),
      publishersPerProcess: positiveInt('publishers', get('publishers'), 1, 64),
      pipeline: positiveInt('pipeline', get('pipeline'), 1, 1024),
    },
    durationMs: positiveInt('duration', get('duration'), 1, 86_400) * 1000,
    reportMs: positiveInt('report-ms', get('report-ms'), 50, 3_600_000),
    idPrefix,
    authSecret: secret === undefined || secret === '' ? null : String(secret),
  };
}
