// Replays of the push-server faults of issue 14: each test sends what broke the server before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { once } from 'node:events';
import { PendingRequest } from '../../src/server/connection.js';
import { freePort, rawExchange, request, startServer, statsUntil } from './server-process.js';
import { spawn } from 'node:child_process';
import { serverPath } from '../helpers/paths.js';

const MB = 1024 * 1024;

test('a client that pipelines requests and never reads the answers is dropped at the bound, and the memory comes back (issue 14.1)', async (t) => {
  const server = await startServer(t, ['--max-queue-bytes', String(256 * 1024)]);
  const before = await server.stats();
  const socket = connect({ host: '127.0.0.1', port: server.port });
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  socket.pause(); // never reads an answer
  socket.on('error', () => {});
  // 40 MB of tiny publishes is ~100 MB of answers: before the bound the server held them all.
  const one = Buffer.from('POST /pub/nobody HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx');
  const batch = Buffer.concat(Array.from({ length: 2000 }, () => one));
  let closed = false;
  socket.on('close', () => (closed = true));
  let written = 0;
  while (written < 40 * MB && !closed) {
    if (!socket.write(batch)) await new Promise<void>((resolve) => { socket.once('drain', resolve); socket.once('close', resolve); });
    written += batch.length;
  }
  const after = await statsUntil(server, (s) => s.messages.responseBoundDrops === 1 && s.connections === 1, 'the non-reader dropped');
  assert.ok(written < 40 * MB, `the server closed the connection after ${(written / MB).toFixed(1)} MB of requests`);
  assert.equal(after.messages.queueBoundDrops, 0, 'counted as an answer-queue drop, not a stream drop');
  t.diagnostic(`requests written ${(written / MB).toFixed(1)} MB; RSS ${(before.memory.rss / MB).toFixed(1)} -> ${(after.memory.rss / MB).toFixed(1)} MB; heap ${(before.memory.heapUsed / MB).toFixed(1)} -> ${(after.memory.heapUsed / MB).toFixed(1)} MB`);
  // With --expose-gc and ?gc=1 the heap is collected; RSS keeps at most a few MB of freed pages.
  assert.ok(after.memory.heapUsed - before.memory.heapUsed < 8 * MB, `heap grew ${(after.memory.heapUsed - before.memory.heapUsed) / MB} MB`);
  assert.ok(after.memory.rss - before.memory.rss < 40 * MB, `RSS grew ${(after.memory.rss - before.memory.rss) / MB} MB`);
});

test('a trickled body is gathered without re-copying it per chunk (issue 14.3)', () => {
  const bodyBytes = 256 * 1024;
  const byte = Buffer.from('x');
  const started = process.hrtime.bigint();
  const pending = new PendingRequest(byte);
  for (let k = 1; k < bodyBytes; k++) pending.append(byte);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.equal(pending.length, bodyBytes);
  assert.equal(pending.view().toString('latin1'), 'x'.repeat(bodyBytes));
  // Linear: ~256k small copies take a few ms. A concat per chunk copies 32 GB here (minutes).
  assert.ok(ms < 1_000, `256 KiB in 1-byte appends took ${ms.toFixed(0)} ms`);
  assert.ok(pending.bytes.length < 2 * bodyBytes + 1024, 'capacity grows by doubling, not per append');
});

test('a body that keeps trickling in is cut off by the request time limit with 408 (issue 14.3)', async (t) => {
  const server = await startServer(t, ['--request-timeout-ms', '300']);
  const socket = connect({ host: '127.0.0.1', port: server.port });
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  let answer = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => (answer += chunk));
  socket.on('error', () => {});
  socket.write('POST /pub/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n');
  // A byte every 20 ms: the connection is never idle, but the request is never done (bounded: 100 bytes).
  for (let k = 0; k < 100 && !socket.destroyed && answer === ''; k++) {
    socket.write('y');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.match(answer, /^HTTP\/1\.1 408 /);
  const stats = await statsUntil(server, (s) => s.connections === 1, 'only the stats connection');
  assert.equal(stats.messages.requestTimeouts, 1);
});

test('a NUL or a bare CR in a header value is 400; blank lines before the request line are ignored (issue 14.4)', async (t) => {
  const server = await startServer(t);
  for (const raw of ['GET /stats HTTP/1.1\r\nX-A: a\0b\r\n\r\n', 'GET /stats HTTP/1.1\r\nX-A: a\rb\r\n\r\n', 'GET /stats HTTP/1.1\r\nX-A: a\x01b\r\n\r\n']) {
    assert.match(await rawExchange(server.port, raw), /^HTTP\/1\.1 400 [^]*"error":"(NUL|bare CR|control character) in a header value"/, JSON.stringify(raw));
  }
  assert.match(await rawExchange(server.port, 'GET /stats HTTP/1.1\r\nX-A: tab\there\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 200 /, 'HTAB is allowed');
  assert.match(await rawExchange(server.port, '\r\n\r\nGET / HTTP/1.1\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 200 /);
  // A keep-alive publisher that ends each body with a stray CRLF keeps working.
  const body = 'hi';
  const post = (close: boolean) => `POST /pub/a HTTP/1.1\r\nContent-Length: ${body.length}\r\n${close ? 'Connection: close\r\n' : ''}\r\n${body}\r\n`;
  const both = await rawExchange(server.port, post(false) + post(true));
  assert.equal((both.match(/HTTP\/1\.1 200 /g) ?? []).length, 2, both);
  await statsUntil(server, (s) => s.connections === 1, 'no connection left behind');
});

test('under --auth-secret /stats needs the secret; / stays open (issue 14.5)', async (t) => {
  const secret = 's3cret';
  const server = await startServer(t, ['--auth-secret', secret]);
  assert.equal((await request(server.port, 'GET', '/stats')).status, 401);
  assert.equal((await request(server.port, 'GET', '/stats', undefined, { authorization: 'Bearer wrong' })).status, 403);
  const ok = await request(server.port, 'GET', '/stats', undefined, { authorization: `Bearer ${secret}` });
  assert.equal(ok.status, 200);
  assert.equal(typeof JSON.parse(ok.body).connections, 'number');
  assert.equal((await request(server.port, 'GET', '/')).status, 200, 'the endpoint list reveals nothing the docs do not');
});

test('an unreachable Redis at start is reported once on stderr, its recovery once, with retries meanwhile (issue 14.6)', async (t) => {
  const port = await freePort();
  const child = spawn(process.execPath, [serverPath, '--port', '0', '--workers', '1', '--redis', `redis://127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const until = async (pattern: RegExp, what: string) => {
    for (let k = 0; k < 200 && !pattern.test(stderr); k++) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.match(stderr, pattern, what);
  };
  await until(/redis bus down \(.*ECONNREFUSED.*retrying with back-off/, 'the outage is reported');
  // Several reconnect attempts pass (50, 100, 200, 400 ms …): still one line.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  assert.equal((stderr.match(/redis bus down/g) ?? []).length, 1, stderr);
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  t.after(() => {
    if (redis.exitCode === null) redis.kill('SIGKILL');
  });
  await until(/redis bus up/, 'the recovery is reported');
  assert.equal((stderr.match(/redis bus down/g) ?? []).length, 1, stderr);
  assert.equal((stderr.match(/redis bus up/g) ?? []).length, 1, stderr);
});
