/**
 * The load generator's receive path: counts the events of one event stream and reads the send time
 * a flood body starts with straight from the bytes. It makes no strings, no event objects and no
 * Buffer views per read: the worker hands it the process's shared onread buffer and a byte count.
 * At 100k events/s on two cores the receiving processes are the bottleneck of the whole bench, and
 * the general SseDecoder (a string per field, an object per event) cost more than the read itself.
 *
 * Grammar handled (what the push server sends, and the WHATWG event-stream grammar with LF line
 * ends): a blank line ends an event, which counts if it had a `data` field; a line starting with
 * ':' is a comment (heartbeat); the first `data` line of an event is parsed for the leading send
 * time (see floods.ts: `<ms since epoch, 3 decimals> <padding>`); other fields are skipped. A CR
 * directly before LF is ignored; a lone CR (legal in SSE, never sent by the push server) is an
 * error, as is an event larger than `maxEventBytes` (a client that buffers forever is the leak we
 * are here to find).
 *
 * State between reads is four numbers and a fixed prefix buffer, so a line split across reads costs
 * nothing more than the bytes of its first PREFIX_BYTES.
 */
import { COLON, CR, LF } from '../server/sse-frame.js';

/** Enough of a line to classify it and read a send time (`data: 1763912345678.123`). */
const PREFIX_BYTES = 40;
const DIGIT_0 = 0x30;
const DOT = 0x2e;
const SPACE = 0x20;

export interface LatencySink {
  record(ms: number): void;
}

export class EventCounter {
  /** Events completed (blank line after at least one data line). */
  events = 0;
  /** Comment lines (heartbeats). */
  comments = 0;
  readonly #maxEventBytes: number;
  /** First bytes of the line in progress when a read ended inside it. */
  readonly #prefix = Buffer.allocUnsafe(PREFIX_BYTES);
  /** Bytes of the line in progress seen in earlier reads (0: at a line start). */
  #lineBytes = 0;
  #eventBytes = 0;
  #hasData = false;
  /** Send time from the current event's first data line, NaN if none. */
  #sentAtMs = NaN;
  /** The last read ended with a CR (not counted in #lineBytes). */
  #crPending = false;

  constructor(maxEventBytes = 1 << 20) {
    this.#maxEventBytes = maxEventBytes;
  }

  /**
   * Consumes bytes[start, end). Latencies (nowMs() - send time) of completed events go to `sink`;
   * nowMs is called at most once per call. Returns the number of events completed.
   */
  push(bytes: Uint8Array, start: number, end: number, sink: LatencySink, nowMs: () => number): number {
    let completed = 0;
    let now = NaN;
    if (this.#crPending) {
      // The last read ended with a CR: it must be the first half of a CR LF.
      this.#crPending = false;
      if (start < end && bytes[start] !== LF) throw new Error('CR line ends are not supported');
    }
    let lineStart = start;
    for (let at = start; at < end; at++) {
      const byte = bytes[at];
      if (byte !== LF) {
        if (byte === CR && at + 1 < end && bytes[at + 1] !== LF) throw new Error('CR line ends are not supported');
        continue;
      }
      // A line ends at `at`: its bytes are the carried prefix (if any) plus bytes[lineStart, at).
      let lineEnd = at;
      if (lineEnd > lineStart && bytes[lineEnd - 1] === CR) lineEnd--;
      const length = this.#lineBytes + (lineEnd - lineStart);
      this.#eventBytes += length + 1;
      if (this.#eventBytes > this.#maxEventBytes) throw new Error(`event larger than ${this.#maxEventBytes} bytes`);
      if (length === 0) {
        this.#eventBytes = 0;
        if (this.#hasData) {
          completed++;
          if (!Number.isNaN(this.#sentAtMs)) {
            if (Number.isNaN(now)) now = nowMs();
            sink.record(Math.max(0, now - this.#sentAtMs));
          }
          this.#hasData = false;
          this.#sentAtMs = NaN;
        }
      } else if (this.#lineBytes === 0) {
        this.#line(bytes, lineStart, Math.min(lineEnd, lineStart + PREFIX_BYTES));
      } else {
        const carried = Math.min(this.#lineBytes, PREFIX_BYTES);
        const more = Math.min(PREFIX_BYTES - carried, lineEnd - lineStart);
        if (more > 0) this.#prefix.set(bytes.subarray(lineStart, lineStart + more), carried);
        this.#line(this.#prefix, 0, carried + Math.max(0, more));
      }
      this.#lineBytes = 0;
      lineStart = at + 1;
    }
    if (lineStart < end && bytes[end - 1] === CR) {
      this.#crPending = true;
      end--;
    }
    if (lineStart < end) {
      // Keep the first bytes of the unfinished line; count the rest.
      const carried = Math.min(this.#lineBytes, PREFIX_BYTES);
      const more = Math.min(PREFIX_BYTES - carried, end - lineStart);
      if (more > 0) this.#prefix.set(bytes.subarray(lineStart, lineStart + more), carried);
      this.#lineBytes += end - lineStart;
      if (this.#eventBytes + this.#lineBytes > this.#maxEventBytes) throw new Error(`event larger than ${this.#maxEventBytes} bytes`);
    }
    this.events += completed;
    return completed;
  }

  /** A non-empty line whose first bytes are line[start, end). */
  #line(line: Uint8Array, start: number, end: number): void {
    if (line[start] === COLON) {
      this.comments++;
      return;
    }
    // "data" then ':' or the end of the line.
    if (end - start < 4 || line[start] !== 0x64 || line[start + 1] !== 0x61 || line[start + 2] !== 0x74 || line[start + 3] !== 0x61) return;
    if (end - start > 4 && line[start + 4] !== COLON) return;
    if (this.#hasData) return; // only the first data line carries the send time
    this.#hasData = true;
    let at = start + 5;
    if (at < end && line[at] === SPACE) at++;
    this.#sentAtMs = readDecimal(line, at, end);
  }
}

/** The unsigned decimal number at line[start, …) up to a space or `end`; NaN if there is none. */
export function readDecimal(line: Uint8Array, start: number, end: number): number {
  let value = 0;
  let digits = 0;
  let scale = 0;
  for (let at = start; at < end; at++) {
    const byte = line[at];
    if (byte === DOT && scale === 0) {
      scale = 1;
      continue;
    }
    const digit = byte - DIGIT_0;
    if (digit < 0 || digit > 9) {
      if (byte === SPACE) break;
      return NaN;
    }
    digits++;
    if (scale === 0) value = value * 10 + digit;
    else value += digit / (scale *= 10);
  }
  return digits === 0 ? NaN : value;
}
