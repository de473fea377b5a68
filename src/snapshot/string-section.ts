import { ErrorCode, LeakcheckError } from '../errors.js';
import { BYTE_COMMA, BYTE_QUOTE, BYTE_RBRACKET, describeByte, isJsonWhitespace } from './byte-scanner.js';

/**
 * Reads one JSON string body (the opening quote already consumed) from a stream of Buffers.
 * Bytes are decoded only once the closing quote is found, so a UTF-8 sequence or an escape
 * (`\"`, `\uD83D\uDE00`) split across chunks is decoded whole. A string inside one chunk is
 * decoded straight from it; one that straddles chunks keeps copies of its pieces. Strings with
 * escapes go through JSON.parse one string at a time (surrogate pairs, lone surrogates and all).
 */
export class JsonStringReader {
  private pieces: Buffer[] = [];
  private escapes = false;
  /** 1 when the previous chunk ended in the middle of an escape: skip the next byte. */
  private skip = 0;
  private startOffset = 0;

  constructor(private readonly source: string) {}

  /** Starts a string whose opening quote is at absolute offset `quoteOffset`. */
  begin(quoteOffset: number): void {
    this.pieces.length = 0;
    this.escapes = false;
    this.skip = 0;
    this.startOffset = quoteOffset;
  }

  /**
   * Scans buf from `start`. Returns the decoded string and sets
   * `this.end` to the index after the closing quote, or returns undefined when the chunk ended.
   */
  end = -1;
  scan(buf: Buffer, start: number): string | undefined {
    const QUOTE = 0x22, BACKSLASH = 0x5c; // locals: module constants are slow in hot loops
    const length = buf.length;
    let i = start + this.skip;
    this.skip = 0;
    // Invariant: buf[start..i) belongs to the string body and contains no unescaped quote.
    while (i < length) {
      const c = buf[i]!;
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        this.escapes = true;
        i += 2;
        continue;
      }
      i++;
    }
    if (i >= length) {
      // The body goes on in the next chunk; i may be length + 1 after a trailing backslash.
      this.skip = i - length;
      if (length > start) this.pieces.push(Buffer.from(buf.subarray(start, length)));
      return undefined;
    }
    this.end = i + 1;
    if (this.pieces.length === 0) {
      // The opening quote may have been the last byte of the previous chunk: add quotes back.
      const text = buf.toString('utf8', start, i);
      return this.escapes ? this.unescape(`"${text}"`, this.startOffset) : text;
    }
    this.pieces.push(buf.subarray(start, i));
    const whole = Buffer.concat(this.pieces);
    this.pieces.length = 0;
    const text = whole.toString('utf8');
    return this.escapes ? this.unescape(`"${text}"`, this.startOffset) : text;
  }

  private unescape(quoted: string, offset: number): string {
    try {
      return JSON.parse(quoted) as string;
    } catch {
      throw new LeakcheckError(ErrorCode.NOT_A_SNAPSHOT, 'a string has an invalid escape or control character', { file: this.source, offset });
    }
  }
}

const EXPECT_FIRST = 0; // after '[': '"' or ']'
const EXPECT_STRING = 1; // after ',': '"'
const IN_STRING = 2;
const AFTER_STRING = 3; // ',' or ']'

/** Streams the `strings` array (opening '[' consumed) into a JS array, one string at a time. */
export class StringArrayScanner {
  readonly strings: string[] = [];
  private state = EXPECT_FIRST;
  private readonly reader: JsonStringReader;

  constructor(private readonly source: string) {
    this.reader = new JsonStringReader(source);
  }

  /** Returns the index after the closing ']' or -1 when the chunk ended first. */
  scan(buf: Buffer, start: number, base: number): number {
    const length = buf.length;
    const strings = this.strings;
    const reader = this.reader;
    let i = start;
    while (i < length) {
      if (this.state === IN_STRING) {
        const text = reader.scan(buf, i);
        if (text === undefined) return -1;
        strings.push(text);
        i = reader.end;
        this.state = AFTER_STRING;
        continue;
      }
      const c = buf[i]!;
      if (c === BYTE_QUOTE && this.state !== AFTER_STRING) {
        reader.begin(base + i);
        this.state = IN_STRING;
      } else if (c === BYTE_COMMA && this.state === AFTER_STRING) {
        this.state = EXPECT_STRING;
      } else if (c === BYTE_RBRACKET && this.state !== EXPECT_STRING) {
        return i + 1;
      } else if (!isJsonWhitespace(c)) {
        const wanted = this.state === AFTER_STRING ? "',' or ']'" : 'a string';
        throw new LeakcheckError(ErrorCode.NOT_A_SNAPSHOT, `"strings" array: expected ${wanted}, found ${describeByte(c)}`, { file: this.source, offset: base + i });
      }
      i++;
    }
    return -1;
  }
}
