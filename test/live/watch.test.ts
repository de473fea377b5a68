import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { exitCodeForWatch, parseDuration } from '../../cli/commands/watch.js';
import type { WatchResult } from '../../src/live/index.js';
import { pickForDiff } from '../../src/live/index.js';
import { cliPath } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';
import { tmpDir } from '../helpers/tmp-dir.js';
import { freePorts, portOpen, startLiveTarget } from './live-target.js';

const PORT = await freePorts(['leaky', 'clean', 'interrupt', 'worker', 'exits'] as const);

// ~3,000 instances (~0.7 MiB) more per 1 s interval, all kept: a leak by count and by bytes.
const LEAKY_SOURCE = `class LeakedSession { constructor(i) { this.i = i; this.payload = 'x'.repeat(200) + i; } }
globalThis.sessions = [];
setInterval(() => { for (let k = 0; k < 300; k++) globalThis.sessions.push(new LeakedSession(globalThis.sessions.length)); }, 100);`;

// The same allocation rate, but each batch replaces the last: nothing from one interval survives the next.
const CLEAN_SOURCE = `class TempSession { constructor(i) { this.i = i; this.payload = 'x'.repeat(200) + i; } }
globalThis.sessions = [];
setInterval(() => { globalThis.sessions = Array.from({ length: 300 }, (_, i) => new TempSession(i)); }, 100);`;

describe('leakcheck watch <pid>', () => {
  test('finds the leak in a leaking process: post-GC heap figures, the diff as `leakcheck diff` prints it, exit 1', async (t) => {
    const target = await startLiveTarget(t, LEAKY_SOURCE, { nodeArgs: [`--inspect-port=${PORT.leaky}`] });
    const dir = join(tmpDir(t), 'watch');
    const result = await runCli(['watch', String(target.pid), '--interval', '1s', '--count', '3', '--dir', dir]);
    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`^leakcheck watch pid ${target.pid}: 3 of 3 snapshots$`, 'm'));
    assert.match(result.stdout, /^ {2}3 {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +[\d.]+ [KM]iB +\+[\d.]+ [KM]iB/m, 'heap grew between snapshots');
    assert.match(result.stdout, /^leakcheck diff \(baseline\/target\/final\)$/m);
    assert.match(result.stdout, /^LEAK +global \/ \.sessions: Array of [\d,]+ elements \(\+[\d,]+\) keeps growing/m);
    assert.match(result.stdout, /^ {2}LeakedSession +[\d,]+ → [\d,]+ → [\d,]+ +\+[\d,]+/m);
    assert.match(result.stdout, /^LEAK: \d+ findings? crossed the thresholds/m);
    assert.deepEqual(readdirSync(dir).sort(), ['1.heapsnapshot.gz', '2.heapsnapshot.gz', '3.heapsnapshot.gz']);
    assert.equal(await portOpen(PORT.leaky), false, 'no inspector port stays open');
  });

  test('stays quiet on a process that allocates as fast but keeps nothing: exit 0, --json has every snapshot', async (t) => {
    const target = await startLiveTarget(t, CLEAN_SOURCE, { nodeArgs: [`--inspect-port=${PORT.clean}`] });
    const result = await runCli(['watch', String(target.pid), '--interval', '1s', '--count', '3', '--dir', join(tmpDir(t), 'w'), '--json']);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    const json = JSON.parse(result.stdout) as WatchResult;
    assert.equal(json.snapshots.length, 3);
    assert.equal(json.analysis?.verdict.leak, false);
    assert.equal(json.analysis?.method, 'three-snapshot');
    for (const snapshot of json.snapshots) assert.ok(snapshot.memory.usedHeapBytes > 0 && snapshot.fileBytes > 0);
    assert.equal(result.stderr, '', '--json keeps stderr quiet');
  });

  test('Ctrl-C keeps what was taken: with 2 snapshots it analyses them, with 1 it says there is nothing to compare (exit 2)', async (t) => {
    const target = await startLiveTarget(t, LEAKY_SOURCE, { nodeArgs: [`--inspect-port=${PORT.interrupt}`] });
    const interruptAfter = async (taken: number) => {
      const dir = join(tmpDir(t), `after-${taken}`);
      const cli = spawn(process.execPath, [cliPath, 'watch', String(target.pid), '--interval', taken === 1 ? '1h' : '1s', '--count', '3', '--dir', dir], { env: { ...process.env, NO_COLOR: '1' } });
      let stdout = '';
      let stderr = '';
      let sent = false;
      cli.stdout.setEncoding('utf8').on('data', (text: string) => { stdout += text; });
      cli.stderr.setEncoding('utf8').on('data', (text: string) => {
        stderr += text;
        if (!sent && stderr.includes(`snapshot ${taken}/3 taken; next in`)) {
          sent = true;
          cli.kill('SIGINT');
        }
      });
      const status = await new Promise<number | null>((resolve) => cli.on('close', resolve));
      return { status, stdout, stderr, files: readdirSync(dir).sort() };
    };
    const two = await interruptAfter(2);
    assert.equal(two.status, 1, two.stdout + two.stderr);
    assert.match(two.stdout, /: 2 of 3 snapshots \(interrupted\)/);
    assert.match(two.stdout, /^leakcheck diff \(two snapshots\)$/m);
    assert.deepEqual(two.files, ['1.heapsnapshot.gz', '2.heapsnapshot.gz']);

    const one = await interruptAfter(1);
    assert.equal(one.status, 2, one.stdout + one.stderr);
    assert.match(one.stdout, /not analysed: 1 snapshot\(s\) taken, 2 are needed; no verdict/);
    assert.match(one.stderr, /leakcheck: watch stopped after 1 snapshot\(s\); 2 are needed for a verdict \(kept in .*after-1\)\n$/);
    assert.deepEqual(one.files, ['1.heapsnapshot.gz']);
  });

  test('a process that exits mid-watch still gets its verdict from the snapshots taken before', async (t) => {
    const target = await startLiveTarget(t, LEAKY_SOURCE, { nodeArgs: [`--inspect-port=${PORT.exits}`] });
    const cli = spawn(process.execPath, [cliPath, 'watch', String(target.pid), '--interval', '1s', '--count', '3', '--dir', join(tmpDir(t), 'w')], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    cli.stdout.setEncoding('utf8').on('data', (text: string) => { stdout += text; });
    cli.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
      if (stderr.includes('snapshot 2/3 taken; next in') && target.child.exitCode === null) target.child.kill('SIGKILL');
    });
    const status = await new Promise<number | null>((resolve) => cli.on('close', resolve));
    assert.equal(status, 1, stdout + stderr);
    assert.match(stdout, /: 2 of 3 snapshots \(the process exited\)/);
    assert.match(stdout, /^leakcheck diff \(two snapshots\)$/m);
  });

  test('--worker finds a leak inside a worker thread while the main thread is clean', async (t) => {
    const workerSource = JSON.stringify(LEAKY_SOURCE);
    const target = await startLiveTarget(t, `import { Worker } from 'node:worker_threads';
globalThis.worker = new Worker(${workerSource}, { eval: true });
await new Promise((resolve) => globalThis.worker.once('online', resolve));`, { nodeArgs: [`--inspect-port=${PORT.worker}`] });
    const dir = join(tmpDir(t), 'w');
    const result = await runCli(['watch', String(target.pid), '--worker', '1', '--interval', '1s', '--count', '3', '--dir', dir]);
    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`^leakcheck watch pid ${target.pid} worker 1: 3 of 3 snapshots$`, 'm'));
    assert.match(result.stdout, /LeakedSession/);
    assert.match(result.stderr, new RegExp(`pid ${target.pid} worker 1: heap [\\d.]+ [KM]iB used`));

    const main = await runCli(['snapshot', String(target.pid), '-o', join(dir, 'main.heapsnapshot.gz'), '--json']);
    assert.equal(main.status, 0, `${main.stderr}\ntarget: ${String(target.child.exitCode)} ${String(target.child.signalCode)} ${target.stderr()}`);
    assert.equal((JSON.parse(main.stdout) as { threadId: number }).threadId, 0);
    const missing = await runCli(['snapshot', String(target.pid), '--worker', '9']);
    assert.equal(missing.status, 2);
    assert.equal(missing.stderr, `leakcheck: pid ${target.pid}: no worker thread with threadId 9 (running workers: 1)\n`, target.stderr());
    assert.equal(await portOpen(PORT.worker), false);
  });
});

describe('watch decisions', () => {
  test('durations take ms, s, m, min, h and bare seconds; anything else is a usage error', () => {
    assert.equal(parseDuration('--interval', '10m'), 600_000);
    assert.equal(parseDuration('--interval', '1.5h'), 5_400_000);
    assert.equal(parseDuration('--interval', '500ms'), 500);
    assert.equal(parseDuration('--interval', '90'), 90_000);
    assert.throws(() => parseDuration('--interval', '10 parsecs'), /--interval: not a duration: "10 parsecs"/);
    assert.throws(() => parseDuration('--interval', '0s'), /not a duration/);
  });

  test('exit codes: leak 1, clean 0, nothing to compare 2', () => {
    assert.equal(exitCodeForWatch({ analysis: { verdict: { leak: true } } as WatchResult['analysis'] }), 1);
    assert.equal(exitCodeForWatch({ analysis: { verdict: { leak: false } } as WatchResult['analysis'] }), 0);
    assert.equal(exitCodeForWatch({}), 2);
  });

  test('more than 3 snapshots: the diff takes the first and the last two', () => {
    assert.deepEqual(pickForDiff(['a', 'b']), ['a', 'b']);
    assert.deepEqual(pickForDiff(['a', 'b', 'c', 'd', 'e']), ['a', 'd', 'e']);
  });
});
