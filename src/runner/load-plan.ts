import { readFile } from 'node:fs/promises';
import { ErrorCode, LeakcheckError } from '../errors.js';
import type { PhaseKind } from '../report/index.js';

/** One phase of load. Exactly one of `requests` / `durationMs` bounds an HTTP phase. */
export interface LoadPhase {
  name: string;
  kind: PhaseKind;
  /** HTTP load: requests to send (bounded also by maxDurationMs). */
  requests?: number;
  /** HTTP load by time, or the length of an idle phase. */
  durationMs?: number;
  concurrency: number;
  /** Undefined: the URL found when the target started listening (or the run's --url). */
  url?: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** A shell command that produces the load instead of the built-in HTTP driver. */
  loadCommand?: string;
}

export interface LoadPlanOptions {
  url?: string;
  requests?: number;
  durationMs?: number;
  concurrency?: number;
  warmupRequests?: number;
  loadCommand?: string;
  /** Number of measured load phases (at least 2, so the three-snapshot diff can run). */
  loadPhases?: number;
  /** An idle phase after the load, to see whether memory comes back down. */
  idleMs?: number;
}

export const defaultRequests = 2000;
export const defaultWarmupRequests = 500;
export const defaultConcurrency = 8;

/** Warm-up, then N load phases, then an optional idle phase, from command-line options. */
export function buildLoadPlan(options: LoadPlanOptions): LoadPhase[] {
  if (options.requests !== undefined && options.durationMs !== undefined) {
    throw new LeakcheckError(ErrorCode.USAGE, '--requests and --duration both bound a phase; give one of them');
  }
  checkPositiveInteger('--requests', options.requests);
  checkPositiveInteger('--concurrency', options.concurrency);
  checkPositiveInteger('--warmup-requests', options.warmupRequests, true);
  checkPositiveInteger('--load-phases', options.loadPhases);
  if (options.durationMs !== undefined && !(options.durationMs > 0)) throw new LeakcheckError(ErrorCode.USAGE, '--duration must be a positive number of seconds');
  if (options.idleMs !== undefined && !(options.idleMs >= 0)) throw new LeakcheckError(ErrorCode.USAGE, '--idle must be zero or a positive number of seconds');
  const loadPhases = options.loadPhases ?? 2;
  if (loadPhases < 2) throw new LeakcheckError(ErrorCode.USAGE, '--load-phases must be at least 2 (the snapshot diff compares two load phases)');
  const common = {
    concurrency: options.concurrency ?? defaultConcurrency,
    method: 'GET',
    headers: {},
    ...(options.url === undefined ? {} : { url: options.url }),
    ...(options.loadCommand === undefined ? {} : { loadCommand: options.loadCommand }),
  };
  const bound = options.durationMs !== undefined
    ? { durationMs: options.durationMs }
    : { requests: options.requests ?? defaultRequests };
  const warmupRequests = options.warmupRequests ?? defaultWarmupRequests;
  const phases: LoadPhase[] = [];
  if (options.loadCommand !== undefined || warmupRequests > 0) {
    phases.push(options.loadCommand !== undefined
      ? { name: 'warmup', kind: 'warmup', ...common }
      : { name: 'warmup', kind: 'warmup', ...common, requests: warmupRequests });
  }
  for (let i = 1; i <= loadPhases; i++) phases.push({ name: `load${i}`, kind: 'load', ...common, ...bound });
  if (options.idleMs !== undefined && options.idleMs > 0) {
    phases.push({ name: 'idle', kind: 'idle', concurrency: 1, method: 'GET', headers: {}, durationMs: options.idleMs });
  }
  return phases;
}

function checkPositiveInteger(flag: string, value: number | undefined, zeroAllowed = false): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < (zeroAllowed ? 0 : 1)) {
    throw new LeakcheckError(ErrorCode.USAGE, `${flag} must be a ${zeroAllowed ? 'non-negative' : 'positive'} integer, got ${value}`);
  }
}

/**
 * phases.json: `{ "url"?, "concurrency"?, "phases": [ { "name", "kind"?, "requests" | "durationMs",
 * "concurrency"?, "url"?, "method"?, "headers"?, "body"?, "loadCommand"? } ] }`. The first phase
 * may be a warm-up; at least two phases must be of kind "load". Errors name the file and the field.
 */
export async function readPhasesFile(path: string, defaults: { url?: string; loadCommand?: string; concurrency?: number }): Promise<LoadPhase[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new LeakcheckError(ErrorCode.FILE_UNREADABLE, `cannot read phases file: ${(error as Error).message}`, { file: path });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LeakcheckError(ErrorCode.CONFIG_INVALID, `not valid JSON: ${(error as Error).message}`, { file: path });
  }
  return parsePhases(json, path, defaults);
}

export function parsePhases(json: unknown, file: string, defaults: { url?: string; loadCommand?: string; concurrency?: number }): LoadPhase[] {
  const fail = (message: string): never => {
    throw new LeakcheckError(ErrorCode.CONFIG_INVALID, message, { file });
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('expected an object with a "phases" array');
  const top = json as Record<string, unknown>;
  for (const key of Object.keys(top)) if (!['url', 'concurrency', 'phases'].includes(key)) fail(`unknown key "${key}" (expected url, concurrency, phases)`);
  const url = optionalString(top['url'], 'url', fail) ?? defaults.url;
  const concurrency = optionalPositiveInteger(top['concurrency'], 'concurrency', fail) ?? defaults.concurrency ?? defaultConcurrency;
  if (!Array.isArray(top['phases'])) fail('"phases" must be an array');
  const names = new Set<string>();
  const phases = (top['phases'] as unknown[]).map((raw, i): LoadPhase => {
    const at = `phases[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(`${at} must be an object`);
    const p = raw as Record<string, unknown>;
    const known = ['name', 'kind', 'requests', 'durationMs', 'concurrency', 'url', 'method', 'headers', 'body', 'loadCommand'];
    for (const key of Object.keys(p)) if (!known.includes(key)) fail(`${at}: unknown key "${key}" (expected ${known.join(', ')})`);
    const name = optionalString(p['name'], `${at}.name`, fail) ?? fail(`${at}.name is required`);
    if (names.has(name)) fail(`${at}.name "${name}" is used twice`);
    names.add(name);
    const kind = (p['kind'] ?? 'load') as PhaseKind;
    if (!['warmup', 'load', 'idle'].includes(kind)) fail(`${at}.kind must be "warmup", "load" or "idle", got ${JSON.stringify(p['kind'])}`);
    const requests = optionalPositiveInteger(p['requests'], `${at}.requests`, fail);
    const durationMs = optionalPositiveNumber(p['durationMs'], `${at}.durationMs`, fail);
    const loadCommand = optionalString(p['loadCommand'], `${at}.loadCommand`, fail) ?? (kind === 'idle' ? undefined : defaults.loadCommand);
    if (requests !== undefined && durationMs !== undefined) fail(`${at}: give "requests" or "durationMs", not both`);
    if (kind === 'idle' && durationMs === undefined) fail(`${at}: an idle phase needs "durationMs"`);
    if (kind !== 'idle' && loadCommand === undefined && requests === undefined && durationMs === undefined) {
      fail(`${at}: a ${kind} phase needs "requests", "durationMs" or "loadCommand"`);
    }
    const headers = p['headers'] ?? {};
    if (typeof headers !== 'object' || headers === null || Array.isArray(headers) || Object.values(headers).some((v) => typeof v !== 'string')) {
      fail(`${at}.headers must be an object of strings`);
    }
    const phaseUrl = optionalString(p['url'], `${at}.url`, fail) ?? url;
    if (phaseUrl !== undefined) checkUrl(phaseUrl, `${at}.url`, fail);
    const body = optionalString(p['body'], `${at}.body`, fail);
    const method = optionalString(p['method'], `${at}.method`, fail);
    if (method !== undefined && !httpToken.test(method)) fail(`${at}.method must be an HTTP method name (letters, digits, !#$%&'*+.^_\`|~-), got ${JSON.stringify(method)}`);
    return {
      name,
      kind,
      concurrency: optionalPositiveInteger(p['concurrency'], `${at}.concurrency`, fail) ?? concurrency,
      method: (method ?? 'GET').toUpperCase(),
      headers: headers as Record<string, string>,
      ...(requests === undefined ? {} : { requests }),
      ...(durationMs === undefined ? {} : { durationMs }),
      ...(phaseUrl === undefined || kind === 'idle' ? {} : { url: phaseUrl }),
      ...(body === undefined ? {} : { body }),
      ...(loadCommand === undefined ? {} : { loadCommand }),
    };
  });
  if (phases.filter((p) => p.kind === 'load').length < 2) fail('at least two phases of kind "load" are needed (the snapshot diff compares two load phases)');
  const firstLoad = phases.findIndex((p) => p.kind === 'load');
  if (phases.slice(firstLoad).some((p) => p.kind === 'warmup')) fail('warm-up phases must come before the first load phase');
  return phases;
}

/** RFC 9110 token: what a method name may be made of (no spaces, no separators). */
const httpToken = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function checkUrl(url: string, what: string, fail: (message: string) => never): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail(`${what}: not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:') fail(`${what}: only http:// URLs are supported by the built-in load driver, got ${url}`);
  if (parsed.hostname === '') fail(`${what}: no host in ${url}`);
  if (parsed.username !== '' || parsed.password !== '') fail(`${what}: credentials in the URL are not supported (send them as a header), got ${url}`);
}

function optionalString(value: unknown, what: string, fail: (m: string) => never): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) fail(`${what} must be a non-empty string`);
  return value as string;
}

function optionalPositiveInteger(value: unknown, what: string, fail: (m: string) => never): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail(`${what} must be a positive integer, got ${JSON.stringify(value)}`);
  return value as number;
}

function optionalPositiveNumber(value: unknown, what: string, fail: (m: string) => never): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) fail(`${what} must be a positive number, got ${JSON.stringify(value)}`);
  return value as number;
}
