/**
 * One client connection: a socket plus the smallest record the server needs. No per-connection
 * closures or timers: the socket's listeners are shared functions (they find the record through
 * `socket[kConnection]`), and timeouts, heartbeats and the slow-consumer check are done by shared
 * sweeps over the server's connection sets.
 */
import type { Socket } from 'node:net';
import type { Routable } from './router.js';
import type { RouteAnswer } from './routes.js';

/** Reading requests (head, body, or idle between keep-alive requests). */
export const STATE_REQUEST = 0;
/** Subscribed: an event stream; inbound bytes are discarded. */
export const STATE_STREAM = 1;
/** A final response was written; waiting for the peer to close (lingering close), input discarded. */
export const STATE_CLOSING = 2;
/** Socket closed; every trace removed. */
export const STATE_CLOSED = 3;
/**
 * Reading is paused until answers already waiting are written: the next request must not run ahead
 * of them (a subscribe, a closing request, or one past --max-in-flight), or a request that closes
 * the connection awaits its own answer.
 */
export const STATE_AWAIT = 4;

export const kConnection: unique symbol = Symbol('leakcheck.push.connection');

export type SocketWithConnection = Socket & { [kConnection]?: Connection };

export class Connection implements Routable {
  ids: string | string[] | null = null;
  readonly socket: Socket;
  state: number = STATE_REQUEST;
  /** STATE_REQUEST: the bytes of an incomplete request, or null. */
  pending: PendingRequest | null = null;
  /**
   * Requests whose answers are not written yet, oldest first, while at least one waits for the bus
   * (pipelined publishes run concurrently; their answers leave in request order); else null.
   */
  answers: AnswerSlot[] | null = null;
  /**
   * STATE_REQUEST / STATE_CLOSING: ms timestamp the current wait began (accept, last response,
   * first byte of a request, or the final response). Unused by streams.
   */
  waitSinceMs: number;
  /** STATE_STREAM: consecutive heartbeats that found the write queue not empty. */
  stalledBeats = 0;

  constructor(socket: Socket, nowMs: number) {
    this.socket = socket;
    this.waitSinceMs = nowMs;
  }
}

/** One request's place in the answer order; `answer` is null until it is known. */
export interface AnswerSlot {
  answer: RouteAnswer | null;
  keepAlive: boolean;
}

/**
 * The bytes of a request that has not fully arrived, in one buffer that grows by doubling, so a body
 * trickled in one byte per packet is copied O(n) times in total, not once per chunk (a re-concat
 * per chunk made a 60 KB body in 1-byte writes cost 240 ms of CPU, issue 14). Allocated only while
 * a request is incomplete; a held stream never has one.
 */
export class PendingRequest {
  bytes: Buffer;
  length = 0;
  /** Offset where the head-end search resumes (the last bytes before it held no head end). */
  scanFrom = 0;
  /** Total bytes of the request once its head was parsed (head + Content-Length), else -1. */
  needBytes = -1;

  constructor(first: Buffer) {
    this.bytes = Buffer.allocUnsafe(Math.max(1024, first.length * 2));
    this.append(first);
  }

  append(chunk: Buffer): void {
    const need = this.length + chunk.length;
    if (need > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.bytes.length * 2));
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
    chunk.copy(this.bytes, this.length);
    this.length = need;
  }

  /** The bytes so far (a view, valid until the next append). */
  view(): Buffer {
    return this.bytes.subarray(0, this.length);
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
