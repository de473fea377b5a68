import { ErrorCode, LeakcheckError } from '../errors.js';

/**
 * Byte-level scanning of the parts of a snapshot that are not strings: arrays of unsigned
 * integers (nodes, edges, locations) parsed digit by digit straight from Buffers, and skipping of
 * any JSON value we do not need. Every scanner keeps its state between calls, so a number, a
 * nested value or a string may be split across chunk boundaries anywhere.
 */

export const BYTE_TAB = 0x09;
export const BYTE_LF = 0x0a;
export const BYTE_CR = 0x0d;
export const BYTE_SPACE = 0x20;
export const BYTE_QUOTE = 0x22;
export const BYTE_COMMA = 0x2c;
export const BYTE_MINUS = 0x2d;
export const BYTE_ZERO = 0x30;
export const BYTE_NINE = 0x39;
export const BYTE_COLON = 0x3a;
export const BYTE_LBRACKET = 0x5b;
export const BYTE_BACKSLASH = 0x5c;
export const BYTE_RBRACKET = 0x5d;
export const BYTE_LBRACE = 0x7b;
export const BYTE_RBRACE = 0x7d;

export function isJsonWhitespace(byte: number): boolean {
  return byte === BYTE_SPACE || byte === BYTE_LF || byte === BYTE_CR || byte === BYTE_TAB;
}

/** A printable description of a byte for error messages. */
export function describeByte(byte: number): string {
  return byte >= 0x20 && byte < 0x7f ? `'${String.fromCharCode(byte)}'` : `byte 0x${byte.toString(16).padStart(2, '0')}`;
}

/**
 * Receives parsed numbers in batches. values[k] is the k-th number of the batch in file order;
 * ends[k] is the absolute byte offset just after it (for error messages only).
 */
export interface NumberSink {
  accept(values: Float64Array, ends: Float64Array, count: number): void;
  /** Called once, at the closing bracket (offset = its absolute byte offset). */
  finish(offset: number): void;
}

const EXPECT_FIRST = 0; // just after '[': a number or ']'
const EXPECT_NUMBER = 1; // just after ',': a number
const IN_NUMBER = 2; // digits seen, number may continue (also across a chunk boundary)
const AFTER_NUMBER = 3; // whitespace after digits: ',' or ']'

/**
 * Parses `[n, n, …]` of unsigned decimal integers (the opening '[' already consumed). Numbers are
 * accumulated in a reusable Float64Array batch and handed to the sink when the batch is full and
 * at the closing bracket, so the per-byte loop stays monomorphic and allocation-free.
 */
export class NumberArrayScanner {
  private readonly values: Float64Array;
  private readonly ends: Float64Array;
  private count = 0;
  private value = 0;
  private state = EXPECT_FIRST;

  constructor(
    private readonly sink: NumberSink,
    private readonly source: string,
    private readonly section: string,
    batchSize = 1 << 16,
  ) {
    this.values = new Float64Array(batchSize);
    this.ends = new Float64Array(batchSize);
  }

  /**
   * Scans buf from `start`; `base` is the absolute offset of buf[0]. Returns the index just after
   * the closing ']' or -1 when the buffer ended first (state is kept for the next chunk).
   */
  scan(buf: Buffer, start: number, base: number): number {
    // Invariant: `value` holds the digits of the number in progress (0 when none), `state` says
    // what may come next, values[0..n) are parsed numbers not yet handed to the sink.
    const values = this.values;
    const ends = this.ends;
    const capacity = values.length;
    const length = buf.length;
    let value = this.value;
    let state = this.state;
    let n = this.count;
    let i = start;
    while (i < length) {
      let c = buf[i]!;
      if (c <= BYTE_NINE && c >= BYTE_ZERO) {
        if (state === AFTER_NUMBER) throw this.error(base + i, 'a comma is missing between two numbers');
        value = value * 10 + (c - BYTE_ZERO);
        // Digit run: the tightest loop of the parser.
        while (++i < length && (c = buf[i]!) <= BYTE_NINE && c >= BYTE_ZERO) value = value * 10 + (c - BYTE_ZERO);
        state = IN_NUMBER;
        continue;
      }
      if (c === BYTE_COMMA) {
        if (state < IN_NUMBER) throw this.error(base + i, 'expected a number before the comma');
        values[n] = value;
        ends[n] = base + i;
        value = 0;
        state = EXPECT_NUMBER;
        if (++n === capacity) {
          this.sink.accept(values, ends, n);
          n = 0;
        }
      } else if (c === BYTE_RBRACKET) {
        if (state >= IN_NUMBER) {
          values[n] = value;
          ends[n] = base + i;
          n++;
        } else if (state === EXPECT_NUMBER) {
          throw this.error(base + i, 'expected a number after the last comma');
        }
        this.sink.accept(values, ends, n);
        this.count = 0;
        this.value = 0;
        this.state = EXPECT_FIRST;
        this.sink.finish(base + i);
        return i + 1;
      } else if (c === BYTE_SPACE || c === BYTE_LF || c === BYTE_CR || c === BYTE_TAB) {
        if (state === IN_NUMBER) state = AFTER_NUMBER;
      } else if (c === BYTE_MINUS || c === 0x2e /* . */ || c === 0x65 /* e */ || c === 0x45 /* E */) {
        throw this.error(base + i, `found ${describeByte(c)}: only unsigned integers are allowed here`, ErrorCode.SNAPSHOT_INCONSISTENT);
      } else {
        throw this.error(base + i, `unexpected ${describeByte(c)}`);
      }
      i++;
    }
    this.value = value;
    this.state = state;
    this.count = n;
    return -1;
  }

  /** Syntax errors mean the bytes are not JSON (NOT_A_SNAPSHOT); valid JSON that V8 never writes is inconsistent. */
  private error(offset: number, problem: string, code: typeof ErrorCode.NOT_A_SNAPSHOT | typeof ErrorCode.SNAPSHOT_INCONSISTENT = ErrorCode.NOT_A_SNAPSHOT): LeakcheckError {
    return new LeakcheckError(code, `"${this.section}" array: ${problem}`, { file: this.source, offset });
  }
}

/**
 * Skips one JSON value of any kind without building it (trace_tree, samples, unknown keys),
 * optionally copying its bytes (for the small `snapshot` header, parsed afterwards with
 * JSON.parse). A scalar ends before the ',' or '}' that follows it, a string/object/array just
 * after its closing byte.
 */
export class ValueSkipper {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private started = false;
  private scalar = false;
  private readonly pieces: Buffer[] = [];
  private captured = 0;

  constructor(
    private readonly source: string,
    private readonly what: string,
    /** Copy the value's bytes, up to this many (0: do not copy). */
    private readonly captureLimit = 0,
  ) {}

  /** Returns the index just after the value, or -1 when the buffer ended first. */
  scan(buf: Buffer, start: number, base: number): number {
    const length = buf.length;
    let i = start;
    let from = start;
    // Invariant: depth counts open '{'/'[' outside strings; inString/escaped track a string body.
    while (i < length) {
      const c = buf[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BYTE_BACKSLASH) this.escaped = true;
        else if (c === BYTE_QUOTE) {
          this.inString = false;
          if (this.depth === 0) return this.done(buf, from, i + 1, base);
        }
      } else if (!this.started) {
        if (isJsonWhitespace(c)) {
          from = i + 1;
        } else {
          this.started = true;
          if (c === BYTE_LBRACE || c === BYTE_LBRACKET) this.depth = 1;
          else if (c === BYTE_QUOTE) this.inString = true;
          else if ((c >= BYTE_ZERO && c <= BYTE_NINE) || c === BYTE_MINUS || c === 0x74 || c === 0x66 || c === 0x6e) this.scalar = true;
          else throw new LeakcheckError(ErrorCode.NOT_A_SNAPSHOT, `${this.what}: unexpected ${describeByte(c)} where a JSON value should start`, { file: this.source, offset: base + i });
        }
      } else if (this.scalar) {
        if (c === BYTE_COMMA || c === BYTE_RBRACE || c === BYTE_RBRACKET || isJsonWhitespace(c)) return this.done(buf, from, i, base);
      } else if (c === BYTE_QUOTE) {
        this.inString = true;
      } else if (c === BYTE_LBRACE || c === BYTE_LBRACKET) {
        this.depth++;
      } else if (c === BYTE_RBRACE || c === BYTE_RBRACKET) {
        if (--this.depth === 0) return this.done(buf, from, i + 1, base);
      }
      i++;
    }
    this.keep(buf, from, length, base);
    return -1;
  }

  /** The copied bytes (only when constructed with a captureLimit). */
  bytes(): Buffer {
    return Buffer.concat(this.pieces);
  }

  private done(buf: Buffer, from: number, end: number, base: number): number {
    this.keep(buf, from, end, base);
    return end;
  }

  private keep(buf: Buffer, from: number, end: number, base: number): void {
    if (this.captureLimit === 0 || end <= from) return;
    this.captured += end - from;
    if (this.captured > this.captureLimit) {
      throw new LeakcheckError(ErrorCode.NOT_A_SNAPSHOT, `${this.what} is larger than ${this.captureLimit} bytes`, { file: this.source, offset: base + end });
    }
    // Copy: the chunk is large and would otherwise stay alive as long as the header does.
    this.pieces.push(Buffer.from(buf.subarray(from, end)));
  }
}
