/**
 * One client connection: a socket plus the smallest record the server needs. No per-connection
 * closures or timers: the socket's listeners are shared functions (they find the record through
 * `socket[kConnection]`), and timeouts, heartbeats and the slow-consumer check are done by shared
 * sweeps over the server's connection sets.
 */
import type { Socket } from 'node:net';
import type { Routable } from './router.js';

/** Reading requests (head, body, or idle between keep-alive requests). */
export const STATE_REQUEST = 0;
/** Subscribed: an event stream; inbound bytes are discarded. */
export const STATE_STREAM = 1;
/** A final response was written; waiting for the peer to close (lingering close), input discarded. */
export const STATE_CLOSING = 2;
/** Socket closed; every trace removed. */
export const STATE_CLOSED = 3;

export const kConnection: unique symbol = Symbol('leakcheck.push.connection');

export type SocketWithConnection = Socket & { [kConnection]?: Connection };

export class Connection implements Routable {
  ids: string | string[] | null = null;
  readonly socket: Socket;
  state: number = STATE_REQUEST;
  /** STATE_REQUEST: bytes of an incomplete request, or null. */
  pending: Buffer | null = null;
  /**
   * STATE_REQUEST / STATE_CLOSING: ms timestamp the current wait began (accept, last response,
   * first byte of a request, or the final response).
   * STATE_STREAM: consecutive heartbeats that found the write queue not empty (stall count).
   */
  mark: number;

  constructor(socket: Socket, nowMs: number) {
    this.socket = socket;
    this.mark = nowMs;
  }
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  408: 'Request Timeout', 411: 'Length Required', 413: 'Content Too Large', 431: 'Request Header Fields Too Large',
  500: 'Internal Server Error', 503: 'Service Unavailable',
};

/** A complete HTTP/1.1 response with a JSON body. */
export function encodeResponse(status: number, body: unknown, keepAlive: boolean, extraHeaders = ''): Buffer {
  const json = Buffer.from(`${JSON.stringify(body)}\n`);
  const head =
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Unknown'}\r\n` +
    'Content-Type: application/json\r\n' +
    `Content-Length: ${json.length}\r\n` +
    `Connection: ${keepAlive ? 'keep-alive' : 'close'}\r\n` +
    extraHeaders +
    '\r\n';
  return Buffer.concat([Buffer.from(head, 'latin1'), json]);
}
