import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cliPath, fixturesDir } from '../helpers/paths.js';
import { runProcess } from '../helpers/run-cli.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const cleanApp = join(fixturesDir, 'apps', 'http-clean.mjs');
const hasScript = spawnSync('script', ['--version']).status === 0;
/** "1.03 s" / "509 ms" → ms. */
const toMs = (amount: string, unit: string) => Number(amount.replace(/,/g, '')) * (unit === 's' ? 1000 : 1);
const liveLine = /^leakcheck: phase (\w+) ([\d.,]+) (ms|s) \(checkpoint pauses [^)]*\), ([\d,]+) requests, ([\d,]+) req\/s, ([\d,]+) errors, heap [\d.]+ [KMG]iB$/;

// Both cases at once: each waits mostly on its target's timers.
describe('the live progress line of leakcheck run', { concurrency: true }, () => {
  test('on a terminal, one live line per phase (phase, elapsed, requests, req/s, errors, heap) redrawn at least twice a second', { skip: !hasScript && 'no script(1) for a pty' }, async (t) => {
    const dir = tmpDir(t);
    const command = [process.execPath, cliPath, 'run', '--duration', '2', '--warmup-requests', '0', '--no-snapshots', '--out', join(dir, 'r'), '--', process.execPath, cleanApp]
      .map((word) => `'${word}'`).join(' ');
    // script(1) runs the command on a pseudo-terminal, so stderr.isTTY is true as in a shell.
    const result = await runProcess('script', ['-qec', command, '/dev/null'], { env: { NO_COLOR: '1' }, timeoutMs: 60_000 });
    assert.equal(result.status, 0, result.stdout);
    // Each redraw starts with CR + erase-line, so the terminal shows one line that changes.
    const redraws = result.stdout.split('\r\x1b[K').slice(1).map((chunk) => chunk.split(/\r?\n|\r/)[0]!);
    const live = redraws.map((line) => liveLine.exec(line)).filter((match) => match !== null);
    for (const phase of ['load1', 'load2']) {
      const ticks = live.filter((m) => m[1] === phase).map((m) => ({ elapsedMs: toMs(m[2]!, m[3]!), requests: Number(m[4]!.replace(/,/g, '')) }));
      // A 2 s phase at two redraws a second: 4, less one the phase's end may cut off.
      assert.ok(ticks.length >= 3, `${phase}: ${ticks.length} live lines in ${JSON.stringify(redraws)}`);
      assert.ok(ticks[0]!.elapsedMs <= 750, `${phase}: the first line comes within half a second (+ scheduling), at ${ticks[0]!.elapsedMs} ms`);
      const gaps = ticks.slice(1).map((tick, at) => tick.elapsedMs - ticks[at]!.elapsedMs);
      assert.ok(gaps.every((gap) => gap > 0 && gap <= 750), `${phase}: redraw gaps ${gaps.join(', ')} ms`);
      assert.ok(ticks.at(-1)!.requests > 0, `${phase}: requests counted`);
    }
    assert.match(result.stdout, /\r\x1b\[Kleakcheck: phase load1 done in [\d.]+ s \(load [\d.]+ s, checkpoint pauses [^)]+\), [\d,]+ requests, [\d,]+ req\/s/,
      'the phase line replaces the live line');
  });

  test('without a terminal, a progress line at least every 10 s and no redraws', async (t) => {
    const dir = tmpDir(t);
    // An idle phase of 10.6 s: the ticker runs in every phase, and this one has nothing else to say.
    const result = await runProcess(process.execPath, [cliPath, 'run', '--duration', '0.3', '--warmup-requests', '0', '--no-snapshots', '--idle', '10.6',
      '--out', join(dir, 'r'), '--', process.execPath, cleanApp], { timeoutMs: 60_000 });
    assert.equal(result.status, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /\r/, 'no carriage returns in a log');
    const idle = [...result.stderr.matchAll(/^leakcheck: phase idle ([\d.,]+) (ms|s) \(checkpoint pauses [^)]*\), heap [\d.]+ [KMG]iB$/gm)];
    assert.equal(idle.length, 1, result.stderr);
    const elapsed = toMs(idle[0]![1]!, idle[0]![2]!);
    assert.ok(elapsed >= 9_500 && elapsed <= 10_600, `the line came at ${elapsed} ms of the phase`);
  });
});
