// The gate must not pass what it did not test (issue 9): load only to sockets the target itself listens on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { ErrorCode, isLeakcheckError } from '../../src/errors.js';
import { describeReason } from '../../src/report/index.js';
import { buildLoadPlan, parsePhases, runTarget, type RunOptions, type RunProgressEvent } from '../../src/runner/index.js';
import { fixturesDir } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const app = (name: string) => join(fixturesDir, 'apps', `${name}.mjs`);

/** A plain TCP listener that is not the target (it stands for "another process on that port"). */
async function squatter(t: { after: (fn: () => void) => void }): Promise<number> {
  const server: Server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  return (server.address() as { port: number }).port;
}

function runOptions(dir: string, command: string[], extra: Partial<RunOptions> = {}): RunOptions {
  return {
    command,
    phases: buildLoadPlan({ requests: 20, warmupRequests: 10, concurrency: 1 }),
    outDir: join(dir, 'report'),
    snapshots: false,
    ...extra,
  };
}

test('--url at a port another process holds is not "ready": the run fails naming where the target listens, and says so early', async (t) => {
  const dir = tmpDir(t);
  const port = await squatter(t);
  const events: RunProgressEvent[] = [];
  await assert.rejects(
    runTarget(runOptions(dir, [process.execPath, app('http-clean')], { url: `http://127.0.0.1:${port}/`, startTimeoutMs: 3500, onProgress: (e) => events.push(e) })),
    (error) => isLeakcheckError(error) && error.code === ErrorCode.TARGET_NOT_LISTENING
      && new RegExp(`^the target does not listen on 127\\.0\\.0\\.1:${port} \\(--url\\): it listens on 127\\.0\\.0\\.1:\\d+ \\(pid \\d+\\)$`).test(error.message),
  );
  const hint = events.find((e) => e.kind === 'wrong-port');
  assert.ok(hint && hint.kind === 'wrong-port' && /^http:\/\/127\.0\.0\.1:\d+\/$/.test(hint.listening[0]!.url), JSON.stringify(events));
});

test('a port held by another process while the target listens nowhere is named as held by another process', async (t) => {
  const dir = tmpDir(t);
  const port = await squatter(t);
  await assert.rejects(
    runTarget(runOptions(dir, [process.execPath, app('http-never-listens')], { url: `http://127.0.0.1:${port}/`, startTimeoutMs: 1500 })),
    (error) => isLeakcheckError(error) && error.code === ErrorCode.TARGET_NOT_LISTENING
      && error.message.startsWith(`127.0.0.1:${port} accepts connections, but not from the target: another process holds that port`),
  );
});

test('a phase aimed at an address that is not this machine is refused: run loads only the target it started', async (t) => {
  const dir = tmpDir(t);
  const port = 41_000 + (process.pid % 900);
  const phases = parsePhases({ phases: [
    { name: 'a', requests: 5 },
    { name: 'b', requests: 5, url: `http://192.0.2.7:${port}/` },
  ] }, 'p.json', { url: `http://127.0.0.1:${port}/` });
  await assert.rejects(
    runTarget(runOptions(dir, [process.execPath, app('http-clean'), String(port)], { url: `http://127.0.0.1:${port}/`, phases, startTimeoutMs: 15_000 })),
    (error) => isLeakcheckError(error) && error.code === ErrorCode.USAGE
      && error.message === `load URL 192.0.2.7:${port} is not an address of this machine where the target listens (it listens on 127.0.0.1:${port} (pid ${/pid (\d+)/.exec(error.message)?.[1]})); leakcheck run loads only the target it started`,
  );
});

test('a run whose load mostly fails measured nothing: inconclusive with the status counts, unless the status is accepted', async (t) => {
  const dir = tmpDir(t);
  const script = join(dir, 'not-found.mjs');
  writeFileSync(script, `import { createServer } from 'node:http';
createServer((req, res) => { res.statusCode = 404; res.end('no such route'); }).listen(0, '127.0.0.1');`);
  const failing = await runTarget(runOptions(dir, [process.execPath, script], { outDir: join(dir, 'a') }));
  assert.equal(failing.verdict.outcome, 'inconclusive');
  assert.deepEqual(failing.verdict.reasons.find((r) => r.kind === 'load-failed'), {
    kind: 'load-failed', leak: false, requests: 40, failed: 40, statusCounts: { 404: 40 }, acceptedStatuses: [], maxErrorRate: 0.5, firstError: null,
  });
  assert.match(describeReason(failing.verdict.reasons.find((r) => r.kind === 'load-failed')!, []),
    /^100% of 40 load requests failed \(404×40\), more than --max-error-rate 0\.5: the run measured the error path/);
  const accepted = await runTarget(runOptions(dir, [process.execPath, script], { outDir: join(dir, 'b'), acceptedStatuses: [404] }));
  assert.equal(accepted.verdict.outcome, 'clean', JSON.stringify(accepted.verdict.reasons));
  assert.deepEqual(accepted.options.acceptedStatuses, [404]);
});

test('while a phase runs, progress comes at the asked interval with requests, heap, and checkpoint pauses apart from load time', async (t) => {
  const dir = tmpDir(t);
  const events: RunProgressEvent[] = [];
  const report = await runTarget(runOptions(dir, [process.execPath, app('http-clean')], {
    phases: buildLoadPlan({ durationMs: 1500, warmupRequests: 0, concurrency: 1 }), checkpointsPerPhase: 3, progressIntervalMs: 150,
    onProgress: (e) => events.push(e),
  }));
  const ticks = events.filter((e): e is Extract<RunProgressEvent, { kind: 'phase-progress' }> => e.kind === 'phase-progress' && e.phase === 'load1');
  assert.ok(ticks.length >= 4, `${ticks.length} progress events in a 1.5 s phase at 150 ms`);
  assert.ok(ticks.at(-1)!.requests > ticks[0]!.requests, 'requests grow');
  // The first tick may come before the agent's first memory sample.
  assert.ok(ticks.slice(1).every((e) => e.heapUsedBytes !== undefined && e.heapUsedBytes > 0), JSON.stringify(ticks));
  assert.equal(ticks.at(-1)!.errors, report.phases.find((p) => p.name === 'load1')!.http!.errors);
  const load1 = report.phases.find((p) => p.name === 'load1')!;
  assert.ok(load1.pauseMs! > 0, 'two mid-phase checkpoints and the end one paused the load');
  assert.ok(Math.abs(load1.endMs - load1.startMs - load1.pauseMs! - load1.http!.durationMs) < 500,
    `phase ${load1.endMs - load1.startMs} ms = load ${load1.http!.durationMs} + pauses ${load1.pauseMs} (+ scheduling)`);
});
