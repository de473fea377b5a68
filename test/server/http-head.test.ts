import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findHeadEnd, parseHead, type RequestHead } from '../../src/server/http-head.js';

function parse(text: string) {
  const bytes = Buffer.from(text, 'latin1');
  const end = findHeadEnd(bytes, bytes.length);
  assert.notEqual(end, -1, 'head complete');
  return parseHead(bytes, end);
}

test('a request head yields method, target, version, and the headers the server uses', () => {
  const text = 'POST /pub/a?x=1 HTTP/1.1\r\nHost: h\r\ncontent-length:  12 \r\nLast-Event-ID: ab.3\r\nAuthorization: Bearer t\r\n\r\nbody';
  const head = parse(text) as RequestHead;
  assert.equal(head.method, 'POST');
  assert.equal(head.target, '/pub/a?x=1');
  assert.equal(head.http11, true);
  assert.equal(head.contentLength, 12);
  assert.equal(head.lastEventId, 'ab.3');
  assert.equal(head.authorization, 'Bearer t');
  assert.equal(head.keepAlive, true);
  assert.equal(head.headBytes, text.indexOf('\r\n\r\n') + 4);
});

test('keep-alive follows the version and the Connection header', () => {
  assert.equal((parse('GET / HTTP/1.0\r\n\r\n') as RequestHead).keepAlive, false);
  assert.equal((parse('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n') as RequestHead).keepAlive, true);
  assert.equal((parse('GET / HTTP/1.1\r\nConnection: Upgrade, close\r\n\r\n') as RequestHead).keepAlive, false);
});

test('bare LF line ends are accepted; an incomplete head is not found yet', () => {
  assert.equal((parse('GET /stats HTTP/1.1\nHost: x\n\n') as RequestHead).target, '/stats');
  const partial = Buffer.from('GET /stats HTTP/1.1\r\nHost: x\r\n');
  assert.equal(findHeadEnd(partial, partial.length), -1);
});

test('malformed heads give an error, never a throw', () => {
  for (const text of [
    'GET\r\n\r\n', ' / HTTP/1.1\r\n\r\n', 'GET  / HTTP/1.1\r\n\r\n', 'G(T / HTTP/1.1\r\n\r\n', 'GET / HTTP/1.2\r\n\r\n',
    'GET / HTTP/1.1\r\n: novalue\r\n\r\n', 'GET / HTTP/1.1\r\nBad Name: v\r\n\r\n', 'GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n',
    'GET /\x01 HTTP/1.1\r\n\r\n',
  ]) {
    const result = parse(text);
    assert.ok('error' in result, JSON.stringify(text));
  }
});
