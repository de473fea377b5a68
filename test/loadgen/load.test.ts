import * as net from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { LatencyHistogram } from '../../src/loadgen/latency.js';
import { makePlan } from '../../src/loadgen/plan.js';
import { pulseSteps, splitRange } from '../../src/loadgen/pulses.js';
import { cliPath } from '../helpers/paths.js';
import { startServer, statsUntil } from '../server/server-process.js';

function runLoadCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cliPath, 'load', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return once(child, 'exit').then(([code]) => ({ code: code as number | null, stdout, stderr }));
}

test('leakcheck load holds 200 connections in 2 processes, floods them, and counts sanely', async (t) => {
  const server = await startServer(t);
  const result = await runLoadCli([
    '--target', `http://127.0.0.1:${server.port}`, '--connections', '200', '--processes', '2',
    '--source-addresses', '127.0.0.2,127.0.0.3', '--linger-ms', '1500', '--rate', '400', '--small-pulses', '2',
    '--small-size', '30', '--small-linger-ms', '300', '--duration', '30', '--report-ms', '250', '--json',
  ]);
  assert.equal(result.code, 0, result.stderr);
  const summary = JSON.parse(result.stdout.trim().split('\n').at(-1)!);
  assert.equal(summary.cappedByDuration, false);
  assert.equal(summary.totals.connected, 200 + 2 * 30);
  assert.equal(summary.totals.failed, 0);
  assert.equal(summary.totals.dropped, 0);
  assert.equal(summary.totals.closed, 260, 'every connection was closed by the load generator');
  assert.equal(summary.totals.open, 0);
  assert.equal(summary.peakOpen, 200);
  assert.ok(summary.totals.published > 0);
  assert.ok(summary.totals.received > 0);
  assert.ok(summary.totals.received <= summary.totals.published, 'one subscriber per id: never more deliveries than publishes');
  assert.equal(summary.latencySamples, summary.totals.received);
  assert.ok(summary.p50Ms > 0 && summary.p50Ms <= summary.p99Ms);
  const stats = await statsUntil(server, (s) => s.streams === 0, 'every stream closed on the server');
  // A frame written just as the load generator closes that connection is delivered but never read.
  assert.ok(stats.messages.delivered >= summary.totals.received, 'nothing received that the server did not deliver');
  assert.ok(stats.messages.delivered <= stats.messages.published, 'one subscriber per id');
  assert.equal(stats.messages.published, summary.totals.acked);
  // The answers' `delivered` counts add up to what the server wrote (less any answer not read at the stop).
  assert.ok(summary.totals.deliveries > 0 && summary.totals.deliveries <= stats.messages.delivered, `${summary.totals.deliveries} vs ${stats.messages.delivered}`);
  assert.equal(summary.totals.gaps, 0, 'no gap events on a healthy run');
  assert.deepEqual(stats.router, { ids: 0, connections: 0 });
});

test('leakcheck load prints a progress line per interval and a summary', async (t) => {
  const server = await startServer(t);
  const result = await runLoadCli(['--target', `http://127.0.0.1:${server.port}`, '--connections', '20', '--linger-ms', '700', '--report-ms', '100', '--rate', '50', '--flood-mode', 'broadcast']);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.trim().split('\n');
  assert.ok(lines.length >= 3, result.stdout);
  assert.match(lines[0], /open \d+ connected \d+ closed \d+ dropped \d+ failed \d+ \| published \d+ .* p50 /);
  assert.match(lines.at(-1)!, /^done in .*connected 20 .*received \d+; latency p50 [\d.]+ ms p99 [\d.]+ ms/);
});

test('leakcheck load mints tokens and authorises publishes for a server with --auth-secret', async (t) => {
  const server = await startServer(t, ['--auth-secret', 'load-secret']);
  const ok = await runLoadCli(['--target', `http://127.0.0.1:${server.port}`, '--connections', '30', '--linger-ms', '600', '--rate', '100', '--auth-secret', 'load-secret', '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  const summary = JSON.parse(ok.stdout.trim().split('\n').at(-1)!);
  assert.equal(summary.totals.connected, 30);
  assert.equal(summary.totals.rejected, 0);
  assert.ok(summary.totals.acked > 0);
  const refused = await runLoadCli(['--target', `http://127.0.0.1:${server.port}`, '--connections', '5', '--linger-ms', '100', '--json']);
  assert.equal(refused.code, 2, 'a load of which nothing got through is an error');
  assert.match(refused.stderr, /no connection got through to 127\.0\.0\.1:\d+ \(5 failed: HTTP 401 ×5\)/);
  const without = JSON.parse(refused.stdout.trim().split('\n').at(-1)!);
  assert.equal(without.totals.connected, 0);
  assert.equal(without.totals.failed, 5);
  assert.equal(without.errors['HTTP 401'], 5, 'failures are reported by cause');
});

test('leakcheck load against a port nobody listens on exits 2 and says nothing got through', async () => {
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as net.AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const result = await runLoadCli(['--target', `http://127.0.0.1:${port}`, '--connections', '4', '--linger-ms', '100', '--json']);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, new RegExp(`no connection got through to 127\\.0\\.0\\.1:${port} \\(4 failed: ECONNREFUSED ×4\\)`));
});

test('leakcheck load refuses bad plans with exit 2 and one line', () => {
  for (const [args, message] of [
    [['--connections', 'lots'], /--connections must be a whole number/],
    [['--connections', '60000', '--processes', '2'], /need at least 4 processes/],
    [['--target', 'http://192.168.1.1:80'], /only sent to 127\.0\.0\.x/],
    [['--flood-mode', 'storm'], /--flood-mode/],
    [['--source-addresses', '10.0.0.1'], /not a 127/],
  ] as [string[], RegExp][]) {
    const result = spawnSync(process.execPath, [cliPath, 'load', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    assert.equal(result.status, 2, args.join(' '));
    assert.match(result.stderr, message);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  }
});

test('plans spread connections over processes and source addresses, and pulses are ordered', () => {
  const plan = makePlan({ connections: 45_000, 'small-pulses': 2, 'small-size': 10 });
  assert.equal(plan.processes, 3);
  assert.deepEqual(plan.sourceAddresses, ['127.0.0.2', '127.0.0.3']);
  assert.deepEqual(splitRange(10, 3), [{ from: 0, to: 4 }, { from: 4, to: 7 }, { from: 7, to: 10 }]);
  assert.deepEqual(pulseSteps(plan).map((s) => s.kind), ['open', 'hold', 'close', 'open', 'hold', 'close', 'open', 'hold', 'close']);
});

test('the latency histogram gives percentiles within 2 % and merges by addition', () => {
  const a = new LatencyHistogram();
  const b = new LatencyHistogram();
  for (let k = 1; k <= 1000; k++) (k % 2 === 0 ? a : b).record(k / 10); // 0.1 … 100 ms
  a.addSparse(b.toSparse());
  assert.equal(a.total, 1000);
  assert.ok(Math.abs(a.quantileMs(0.5) - 50) / 50 < 0.02, String(a.quantileMs(0.5)));
  assert.ok(Math.abs(a.quantileMs(0.99) - 99) / 99 < 0.02, String(a.quantileMs(0.99)));
  assert.ok(Number.isNaN(new LatencyHistogram().quantileMs(0.5)));
});
