import { get } from 'node:http';
import { ErrorCode, LeakcheckError } from '../errors.js';

/** One entry of an inspector's /json/list. */
export interface InspectorTarget {
  type: string;
  title: string;
  url: string;
  webSocketDebuggerUrl: string;
}

/** What answers on a port: nothing, an inspector (with its targets), or some other program. */
export type PortProbe =
  | { kind: 'closed' }
  | { kind: 'inspector'; targets: InspectorTarget[] }
  | { kind: 'other'; detail: string };

/** Asks http://host:port/json/list; never throws (a refused or reset connection is 'closed'). */
export function probeInspectorPort(host: string, port: number, timeoutMs = 5000): Promise<PortProbe> {
  return new Promise((resolve) => {
    const request = get({ host, port, path: '/json/list', timeout: timeoutMs, headers: { host: `${host}:${port}` } }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (text: string) => { body += text; });
      response.on('error', () => resolve({ kind: 'other', detail: 'the response broke off' }));
      response.on('end', () => {
        const targets = parseTargets(body);
        resolve(response.statusCode === 200 && targets ? { kind: 'inspector', targets } : { kind: 'other', detail: `HTTP ${response.statusCode ?? '?'} without an inspector target list` });
      });
    });
    request.on('timeout', () => {
      request.destroy();
      resolve({ kind: 'other', detail: `no answer within ${timeoutMs} ms` });
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET' ? { kind: 'closed' } : { kind: 'other', detail: error.message });
    });
  });
}

function parseTargets(body: string): InspectorTarget[] | undefined {
  try {
    const list = JSON.parse(body) as unknown;
    if (!Array.isArray(list)) return undefined;
    return list.filter((entry): entry is InspectorTarget => typeof entry?.webSocketDebuggerUrl === 'string');
  } catch {
    return undefined;
  }
}

/** `--inspector` value: `host:port`, `:port`, `port`, or a ws:// URL taken as it is. */
export type InspectorAddress = { host: string; port: number; url?: undefined } | { url: string; host?: undefined; port?: undefined };

export function parseInspectorAddress(text: string): InspectorAddress {
  if (/^wss?:\/\//.test(text)) return { url: text };
  const match = /^(?:\[?([^\]]*?)\]?:)?(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) {
    throw new LeakcheckError(ErrorCode.USAGE, `--inspector ${JSON.stringify(text)}: expected host:port (e.g. 127.0.0.1:9229) or a ws:// URL`);
  }
  return { host: match[1] === undefined || match[1] === '' ? '127.0.0.1' : match[1], port };
}

/** The main-thread target of an inspector's list (Node lists one per process). */
export function pickNodeTarget(targets: readonly InspectorTarget[]): InspectorTarget | undefined {
  return targets.find((target) => target.type === 'node') ?? targets[0];
}
