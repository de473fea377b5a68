/**
 * Server-Sent Events framing, in bytes. The server encodes each message once into one Buffer that
 * every recipient's socket.write shares; the load generator decodes with the same constants, so
 * encoder and decoder cannot drift apart. Framing follows the WHATWG "event stream" grammar:
 * lines end in LF, a blank line ends an event, a line starting with ':' is a comment.
 */

export const LF = 0x0a;
export const CR = 0x0d;
export const COLON = 0x3a;
export const SPACE = 0x20;

const ID_FIELD = Buffer.from('id: ');
const DATA_FIELD = Buffer.from('data: ');

/** The keep-alive comment: one shared Buffer for every stream (a comment resets proxies' idle timers). */
export const HEARTBEAT_FRAME: Buffer = Buffer.from(':\n\n');

/**
 * The response head that turns a connection into an event stream, plus a `retry:` hint so
 * EventSource clients reconnect quickly after a restart. HTTP/1.1 without a Content-Length and
 * without chunking: the body is the rest of the connection, which every SSE client accepts.
 */
export function encodeStreamHead(retryMs: number): Buffer {
  return Buffer.from(
    'HTTP/1.1 200 OK\r\n' +
      'Content-Type: text/event-stream\r\n' +
      'Cache-Control: no-cache, no-transform\r\n' +
      'Connection: keep-alive\r\n' +
      'X-Accel-Buffering: no\r\n' +
      '\r\n' +
      `retry: ${retryMs}\n\n`,
  );
}

/**
 * One event: `id: <eventId>` then one `data: ` line per line of `data` (CRLF, CR and LF all end a
 * line, as the SSE grammar says; we re-emit LF), then a blank line. `eventId` must not contain a
 * line break (the caller builds it from a node tag and a counter).
 */
export function encodeEvent(eventId: string, data: Uint8Array): Buffer {
  // Count lines first so the frame is one exact-size allocation.
  let lines = 1;
  for (let offset = 0; offset < data.length; offset++) {
    const byte = data[offset];
    if (byte === LF || (byte === CR && data[offset + 1] !== LF)) lines++;
  }
  const idBytes = Buffer.byteLength(eventId);
  let crlfCount = 0;
  for (let offset = 0; offset + 1 < data.length; offset++) if (data[offset] === CR && data[offset + 1] === LF) crlfCount++;
  const size = ID_FIELD.length + idBytes + 1 + lines * (DATA_FIELD.length + 1) + (data.length - (lines - 1) - crlfCount) + 1;
  const frame = Buffer.allocUnsafe(size);
  let at = ID_FIELD.copy(frame, 0);
  at += frame.write(eventId, at, 'utf8');
  frame[at++] = LF;
  at += DATA_FIELD.copy(frame, at);
  for (let offset = 0; offset < data.length; offset++) {
    const byte = data[offset];
    if (byte === CR || byte === LF) {
      if (byte === CR && data[offset + 1] === LF) offset++;
      frame[at++] = LF;
      at += DATA_FIELD.copy(frame, at);
    } else {
      frame[at++] = byte;
    }
  }
  frame[at++] = LF;
  frame[at++] = LF;
  return frame;
}

/**
 * `event: gap`: the server cannot give this stream every message after `after` (the client's
 * Last-Event-ID, or the last bus entry the node read): the resume buffer or the bus window no
 * longer holds them, or the id is not from this server's log. `resumedAt` is the position the
 * stream continues from ('' when unknown); `reason` is resume-window (the per-id buffer dropped
 * them), unknown-id (not an id of this log), bus-trimmed (the bus window passed this node by) or
 * bus-reset (the bus log started again, e.g. Redis restarted empty).
 * It carries no `id:` line, so it does not move the client's Last-Event-ID.
 */
export function encodeGap(after: string, resumedAt: string, reason: 'resume-window' | 'unknown-id' | 'bus-trimmed' | 'bus-reset'): Buffer {
  return Buffer.from(`event: gap\ndata: ${JSON.stringify({ after, resumedAt, reason })}\n\n`);
}

export interface SseEvent {
  /** The `event:` field ('message' when absent, as EventSource does). */
  event: string;
  /** The last `id:` field seen (SSE keeps it across events), or '' if none yet. */
  id: string;
  /** The data lines joined with LF. */
  data: string;
}

/**
 * Incremental event-stream decoder for clients (the load generator and tests). Bounded: an event
 * larger than `maxEventBytes` is an error, because a client that buffers forever is the leak we
 * are here to find.
 */
export class SseDecoder {
  readonly #maxEventBytes: number;
  #line: Buffer | null = null;
  /** Data lines of the event so far, joined with LF; null before the first. */
  #data: string | null = null;
  #lastId = '';
  #event: string | null = null;
  #eventBytes = 0;
  #skipLf = false;
  /** Comments seen (heartbeats). */
  comments = 0;

  constructor(maxEventBytes = 1 << 20) {
    this.#maxEventBytes = maxEventBytes;
  }

  /** Feeds bytes; returns the events completed by them (often none). */
  push(chunk: Buffer): SseEvent[] {
    const events: SseEvent[] = [];
    let start = 0;
    // Fast path (what our server sends): no CR anywhere, so lines end at LF found by memchr.
    if (!this.#skipLf && chunk.indexOf(CR) === -1) {
      for (let lf = chunk.indexOf(LF); lf !== -1; lf = chunk.indexOf(LF, start)) {
        const event = this.#completeLine(chunk, start, lf);
        if (event !== null) events.push(event);
        start = lf + 1;
      }
    } else {
      for (let offset = 0; offset < chunk.length; offset++) {
        const byte = chunk[offset];
        if (this.#skipLf) {
          this.#skipLf = false;
          if (byte === LF) {
            start = offset + 1;
            continue;
          }
        }
        if (byte !== LF && byte !== CR) continue;
        const event = this.#completeLine(chunk, start, offset);
        if (event !== null) events.push(event);
        if (byte === CR) this.#skipLf = true;
        start = offset + 1;
      }
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.#line = this.#line === null ? Buffer.from(rest) : Buffer.concat([this.#line, rest]);
      this.#eventBytes += rest.length;
      if (this.#eventBytes > this.#maxEventBytes) throw new Error(`event larger than ${this.#maxEventBytes} bytes`);
    }
    return events;
  }

  /** The line chunk[start, end), prefixed by any partial line kept from the previous chunk. */
  #completeLine(chunk: Buffer, start: number, end: number): SseEvent | null {
    if (this.#line === null) return this.#takeLine(chunk, start, end);
    const line = Buffer.concat([this.#line, chunk.subarray(start, end)]);
    this.#line = null;
    return this.#takeLine(line, 0, line.length);
  }

  #takeLine(line: Buffer, start: number, end: number): SseEvent | null {
    this.#eventBytes += end - start + 1;
    if (this.#eventBytes > this.#maxEventBytes) throw new Error(`event larger than ${this.#maxEventBytes} bytes`);
    if (end === start) {
      this.#eventBytes = 0;
      const type = this.#event ?? 'message';
      this.#event = null;
      if (this.#data === null) return null;
      const event = { event: type, id: this.#lastId, data: this.#data };
      this.#data = null;
      return event;
    }
    if (line[start] === COLON) {
      this.comments++;
      return null;
    }
    let colon = line.indexOf(COLON, start);
    if (colon === -1 || colon > end) colon = end;
    let valueStart = colon + 1;
    if (valueStart < end && line[valueStart] === SPACE) valueStart++;
    const value = valueStart >= end ? '' : line.toString('utf8', valueStart, end);
    // Field names compared by bytes: no string is made for them.
    const nameLength = colon - start;
    if (nameLength === 4 && line[start] === 0x64 && line[start + 1] === 0x61 && line[start + 2] === 0x74 && line[start + 3] === 0x61) {
      this.#data = this.#data === null ? value : `${this.#data}\n${value}`;
    } else if (nameLength === 2 && line[start] === 0x69 && line[start + 1] === 0x64 && !value.includes('\0')) {
      this.#lastId = value;
    } else if (nameLength === 5 && line.toString('latin1', start, colon) === 'event') {
      this.#event = value;
    }
    return null;
  }
}
