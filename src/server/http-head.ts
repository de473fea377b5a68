/**
 * A small HTTP/1.1 request-head parser over bytes. The push server holds tens of thousands of
 * connections and node's `http` module costs a parser, an IncomingMessage and a ServerResponse per
 * connection; parsing the few heads we need by hand lets a subscribed connection shrink to a socket
 * plus a tiny record (see docs/server.md for the measured difference).
 *
 * Only what the push server needs is extracted; everything else is validated for shape and skipped.
 * Limits are the caller's: `findHeadEnd` is given the bytes seen so far and the caller rejects
 * heads larger than its bound before asking again.
 */

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const HTAB = 0x09;

export interface RequestHead {
  method: string;
  /** The request target as sent (path and query), at most the head size. */
  target: string;
  /** HTTP/1.1 (true) or HTTP/1.0 (false). */
  http11: boolean;
  /** Content-Length, or -1 when absent. */
  contentLength: number;
  /** A Transfer-Encoding header was present (we accept only Content-Length bodies). */
  transferEncoding: boolean;
  /** Whether the connection stays open after the response (HTTP/1.1 default, or keep-alive asked). */
  keepAlive: boolean;
  lastEventId: string | null;
  authorization: string | null;
  /** Bytes taken by the head, including the blank line. */
  headBytes: number;
}

export type HeadResult = RequestHead | { error: string };

/**
 * Offset just past the blank line that ends the head, or -1 if it has not arrived yet. Bare LF line
 * ends are accepted (RFC 9112 §2.2 allows a recipient to), CRLF is what real clients send. `from`:
 * where to start looking (a caller that already searched bytes[0, n) passes n - 3, so a head
 * trickled in byte by byte is scanned once, not once per byte).
 */
export function findHeadEnd(bytes: Buffer, length: number, from = 0): number {
  let offset = bytes.indexOf(LF, from);
  while (offset !== -1 && offset < length) {
    const next = offset + 1;
    if (next < length && bytes[next] === LF) return next + 1;
    if (next + 1 < length && bytes[next] === CR && bytes[next + 1] === LF) return next + 2;
    offset = bytes.indexOf(LF, next);
  }
  return -1;
}

/** tchar of RFC 9110 §5.6.2: the bytes a method or header name may contain. */
function isTokenByte(byte: number): boolean {
  return (
    (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x30 && byte <= 0x39) ||
    byte === 0x21 || (byte >= 0x23 && byte <= 0x27) || byte === 0x2a || byte === 0x2b || byte === 0x2d ||
    byte === 0x2e || byte === 0x5e || byte === 0x5f || byte === 0x60 || byte === 0x7c || byte === 0x7e
  );
}

/** Parses bytes[0, headEnd) as a request head. Never throws: malformed input yields `{ error }`. */
export function parseHead(bytes: Buffer, headEnd: number): HeadResult {
  let lineEnd = bytes.indexOf(LF, 0);
  const firstLine = trimCr(bytes, 0, lineEnd);
  const sp1 = bytes.indexOf(SPACE, 0);
  if (sp1 <= 0 || sp1 >= firstLine) return { error: 'malformed request line' };
  const sp2 = bytes.indexOf(SPACE, sp1 + 1);
  if (sp2 === -1 || sp2 >= firstLine || sp2 === sp1 + 1) return { error: 'malformed request line' };
  for (let offset = 0; offset < sp1; offset++) if (!isTokenByte(bytes[offset])) return { error: 'malformed method' };
  for (let offset = sp1 + 1; offset < sp2; offset++) {
    const byte = bytes[offset];
    if (byte <= SPACE || byte === 0x7f) return { error: 'malformed request target' };
  }
  const version = bytes.toString('latin1', sp2 + 1, firstLine);
  if (version !== 'HTTP/1.1' && version !== 'HTTP/1.0') return { error: 'unsupported HTTP version' };
  const head: RequestHead = {
    method: bytes.toString('latin1', 0, sp1),
    target: bytes.toString('latin1', sp1 + 1, sp2),
    http11: version === 'HTTP/1.1',
    contentLength: -1,
    transferEncoding: false,
    keepAlive: version === 'HTTP/1.1',
    lastEventId: null,
    authorization: null,
    headBytes: headEnd,
  };
  let lineStart = lineEnd + 1;
  while (lineStart < headEnd) {
    lineEnd = bytes.indexOf(LF, lineStart);
    const end = trimCr(bytes, lineStart, lineEnd);
    if (end === lineStart) break; // the blank line
    const first = bytes[lineStart];
    if (first === SPACE || first === HTAB) return { error: 'obsolete header line folding' };
    const colon = bytes.indexOf(COLON, lineStart);
    if (colon === -1 || colon >= end || colon === lineStart) return { error: 'malformed header line' };
    for (let offset = lineStart; offset < colon; offset++) if (!isTokenByte(bytes[offset])) return { error: 'malformed header name' };
    // RFC 9110 §5.5: a field value holds no CR, LF or NUL; other controls but HTAB are invalid too.
    // A bare CR or a NUL is how header smuggling between parsers that disagree begins.
    for (let offset = colon + 1; offset < end; offset++) {
      const byte = bytes[offset];
      if ((byte < SPACE && byte !== HTAB) || byte === 0x7f) return { error: byte === 0 ? 'NUL in a header value' : byte === CR ? 'bare CR in a header value' : 'control character in a header value' };
    }
    const error = takeHeader(head, bytes.toString('latin1', lineStart, colon).toLowerCase(), headerValue(bytes, colon + 1, end));
    if (error !== null) return { error };
    lineStart = lineEnd + 1;
  }
  return head;
}

function takeHeader(head: RequestHead, name: string, value: string): string | null {
  switch (name) {
    case 'content-length': {
      if (!/^\d{1,15}$/.test(value)) return 'malformed Content-Length';
      const length = Number(value);
      if (head.contentLength !== -1 && head.contentLength !== length) return 'conflicting Content-Length headers';
      head.contentLength = length;
      return null;
    }
    case 'transfer-encoding':
      head.transferEncoding = true;
      return null;
    case 'connection': {
      const tokens = value.toLowerCase();
      if (/(^|,)\s*close\s*(,|$)/.test(tokens)) head.keepAlive = false;
      else if (/(^|,)\s*keep-alive\s*(,|$)/.test(tokens)) head.keepAlive = true;
      return null;
    }
    case 'last-event-id':
      head.lastEventId = value;
      return null;
    case 'authorization':
      head.authorization = value;
      return null;
    default:
      return null;
  }
}

/** The value between `from` and `end`, without surrounding spaces and tabs. */
function headerValue(bytes: Buffer, from: number, end: number): string {
  while (from < end && (bytes[from] === SPACE || bytes[from] === HTAB)) from++;
  while (end > from && (bytes[end - 1] === SPACE || bytes[end - 1] === HTAB)) end--;
  return bytes.toString('latin1', from, end);
}

function trimCr(bytes: Buffer, start: number, lineEnd: number): number {
  return lineEnd > start && bytes[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd;
}
