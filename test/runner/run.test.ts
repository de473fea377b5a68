import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ErrorCode, isLeakcheckError } from '../../src/errors.js';
import { createStyle, describeIncomplete, describeReason, renderRunText, type RunReport } from '../../src/report/index.js';
import { buildLoadPlan, runTarget } from '../../src/runner/index.js';
import { fixturesDir } from '../helpers/paths.js';
import { runOptions } from '../helpers/run-options.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const app = (name: string) => join(fixturesDir, 'apps', `${name}.mjs`);

/** The verdict reasons of a report as its summary words them. */
const reasonWords = (report: RunReport, kind: string, leak = true): string[] => report.verdict.reasons
  .filter((r) => r.kind === kind && r.leak === leak).map((r) => describeReason(r, report.analysis?.findings ?? []));

const options = runOptions;

test('a per-request listener leak is a leak: the heap keeps growing after every forced GC', async (t) => {
  const report = await runTarget(options(t, [process.execPath, app('http-listener-leak')], { heapDiff: true }));
  assert.equal(report.verdict.outcome, 'leak');
  // --keep-snapshots on-leak (the default) keeps the evidence of a leak.
  assert.equal(report.files.snapshotsDeleted, undefined);
  assert.ok(report.files.snapshots.length === 3 && report.files.snapshots.every((f) => existsSync(f)));
  const heap = report.trends.find((tr) => tr.series === 'heapUsed')!;
  assert.equal(heap.increasing, true);
  assert.ok(heap.growthByPhaseBytes.every((p) => p.growthBytes > 0));
  // The agent's memwatch HeapDiff shows the per-request objects the closures keep alive.
  const diff = report.phases.find((p) => p.name === 'load1')!.heapDiff!;
  const responses = diff.details.find((d) => d.className === 'ServerResponse');
  assert.ok(responses && responses.addedCount - responses.removedCount >= 400, JSON.stringify(diff.details.slice(0, 8)));
  // The snapshot diff names the culprit: the event, the listener function and where it was written.
  const culprit = report.analysis!.findings.find((f) => f.severity === 'leak' && f.kind === 'duplicate-listeners')!;
  assert.ok(culprit.kind === 'duplicate-listeners');
  assert.equal(culprit.subject.event, 'error');
  assert.equal(culprit.location?.functionName, 'onQueueError');
  assert.match(culprit.location!.script, /http-listener-leak\.mjs$/);
  assert.ok(reasonWords(report, 'snapshot').some((m) => /onQueueError/.test(m)));
});

test('a clean server is clean, and the run leaves report.json, report.html, stats.jsonl and (--keep-snapshots always) 0600 snapshots', async (t) => {
  const opts = options(t, [process.execPath, app('http-clean')], { keepSnapshots: 'always' });
  const report = await runTarget(opts);
  assert.equal(report.verdict.outcome, 'clean', JSON.stringify(report.verdict.reasons));
  assert.equal(report.verdict.leak, false);
  assert.equal(report.analysis?.method, 'three-snapshot');
  assert.equal(report.analysis?.findings.filter((f) => f.severity === 'leak').length, 0);
  const dir = opts.outDir!;
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  for (const f of ['report.json', 'report.html', 'stats.jsonl', 'target.log']) assert.ok(existsSync(join(dir, f)), f);
  assert.equal(report.files.snapshots.length, 3);
  for (const s of report.files.snapshots) assert.equal(statSync(s).mode & 0o777, 0o600, s);
  const saved = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
  assert.equal(saved.schemaVersion, 3);
  assert.equal(saved.verdict.outcome, 'clean');
  const lines = readFileSync(join(dir, 'stats.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(lines.some((l) => l.type === 'checkpoint') && lines.some((l) => l.type === 'sample') && lines.some((l) => l.type === 'phase'));
  assert.deepEqual(report.phases.map((p) => [p.name, p.http?.requests]), [['warmup', 300], ['load1', 400], ['load2', 400]]);
  assert.equal(report.phases[1]!.http!.statusCounts['200'], 400);
});

test('a bounded cache that fills during warm-up is not a leak, and by default a clean run deletes its snapshots', async (t) => {
  const report = await runTarget(options(t, [process.execPath, app('http-bounded-cache')]));
  assert.equal(report.verdict.outcome, 'clean', JSON.stringify(report.verdict.reasons));
  assert.equal(report.options.keepSnapshots, 'on-leak');
  assert.equal(report.files.snapshotsDeleted, true);
  assert.equal(report.files.snapshots.length, 3, 'the report still lists what was written');
  assert.ok(report.files.snapshots.every((f) => !existsSync(f)));
  assert.equal(JSON.parse(readFileSync(report.files.reportJson, 'utf8')).files.snapshotsDeleted, true);
});

test('a map that only grows is a leak, and the report names the map', async (t) => {
  const report = await runTarget(options(t, [process.execPath, app('http-growing-map')]));
  assert.equal(report.verdict.outcome, 'leak');
  assert.ok(report.verdict.reasons.some((r) => r.kind === 'heap-trend' && r.leak));
  assert.ok(reasonWords(report, 'snapshot').some((m) => /sessions: Map/.test(m)), JSON.stringify(report.verdict.reasons));
});

test('Buffers kept off the heap are an off-heap leak, told apart from the JS heap, and the holder is named', async (t) => {
  const report = await runTarget(options(t, [process.execPath, app('http-external-leak')]));
  assert.equal(report.verdict.outcome, 'leak');
  const leaking = report.verdict.reasons.filter((r) => r.leak).map((r) => r.kind);
  assert.ok(leaking.includes('off-heap-trend') && !leaking.includes('heap-trend'), JSON.stringify(report.verdict.reasons));
  assert.match(reasonWords(report, 'off-heap-trend')[0]!, /ArrayBuffers/);
  assert.ok(reasonWords(report, 'snapshot').some((m) => /retainedChunks/.test(m)), JSON.stringify(report.verdict.reasons));
});

test('a target that crashes mid-run still gets a report that says so, with its exit code and stderr', async (t) => {
  const report = await runTarget(options(t, [process.execPath, app('http-crash')], { env: { ...process.env, CRASH_AFTER: '450' }, snapshots: false }));
  assert.equal(report.verdict.outcome, 'crashed');
  assert.equal(report.target.crashed, true);
  assert.equal(report.target.exit?.code, 1);
  assert.equal(report.target.exit?.phase, 'load1');
  assert.match(report.target.stderrTail, /fixture crash after 450 requests/);
  assert.deepEqual(report.phases.find((p) => p.name === 'load1')!.incomplete, { kind: 'target-exited', exit: { code: 1, signal: null } });
  assert.match(renderRunText(report, createStyle({ color: false })), /^  load1 .*the target exited with code 1$/m, 'worded at the edge');
  assert.equal(report.phases.some((p) => p.name === 'load2'), false);
  assert.ok(existsSync(report.files.reportJson));
});

test('a target that never listens fails with ERR_TARGET_NOT_LISTENING', async (t) => {
  await assert.rejects(
    runTarget(options(t, [process.execPath, app('http-never-listens')], { startTimeoutMs: 1500 })),
    (error) => isLeakcheckError(error) && error.code === ErrorCode.TARGET_NOT_LISTENING && /did not open a listening socket within 2 s/.test(error.message),
  );
});

test('with --url, a target that never listens fails naming the address', async (t) => {
  await assert.rejects(
    runTarget(options(t, [process.execPath, app('http-never-listens')], { startTimeoutMs: 1500, url: 'http://127.0.0.1:1/' })),
    (error) => isLeakcheckError(error) && error.code === ErrorCode.TARGET_NOT_LISTENING && /127\.0\.0\.1:1/.test(error.message),
  );
});

test('a target that exits at start-up fails with ERR_TARGET_FAILED_TO_START and its last error line', async (t) => {
  const dir = tmpDir(t);
  const script = join(dir, 'boom.mjs');
  writeFileSync(script, 'throw new Error("config file missing: /etc/app.json");');
  await assert.rejects(
    runTarget(options(t, [process.execPath, script])),
    (error) => isLeakcheckError(error) && error.code === ErrorCode.TARGET_FAILED_TO_START
      && /exited with code 1 before it was ready: Error: config file missing/.test(error.message),
  );
});

test('a command that does not exist fails with ERR_TARGET_FAILED_TO_START and a report that says it never started', async (t) => {
  const opts = options(t, ['no-such-command-leakcheck']);
  const events: string[] = [];
  await assert.rejects(
    runTarget({ ...opts, onProgress: (e) => events.push(e.kind) }),
    (error) => isLeakcheckError(error) && error.code === ErrorCode.TARGET_FAILED_TO_START
      && error.message === 'the target could not start (command not found: no-such-command-leakcheck)',
  );
  // Not an empty folder: the report says what happened (test/runner/unmeasured-report.test.ts has the rest).
  const report = JSON.parse(readFileSync(join(opts.outDir!, 'report.json'), 'utf8')) as RunReport;
  assert.equal(report.verdict.outcome, 'not-measured');
  assert.deepEqual(events, [], 'no "started target" for a command that never started');
});

test('through `npm start` the runner picks the real server, not npm\'s own node process', async (t) => {
  const dir = tmpDir(t);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'wrapped', private: true, scripts: { start: `node ${JSON.stringify(app('http-listener-leak'))}` } }));
  const report = await runTarget(options(t, ['npm', 'start', '--silent'], { cwd: dir, snapshots: false }));
  const chosen = report.target.agents.filter((a) => a.chosen);
  assert.equal(chosen.length, 1);
  assert.match(chosen[0]!.argv.join(' '), /http-listener-leak/);
  assert.ok(report.target.agents.some((a) => !a.chosen && a.note === 'package-manager wrapper'), JSON.stringify(report.target.agents));
  assert.equal(report.verdict.outcome, 'leak');
});

test('a wrapper that clears NODE_OPTIONS leaves no agent: ERR_AGENT_UNAVAILABLE says why', async (t) => {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  await assert.rejects(
    runTarget(options(t, ['env', 'NODE_OPTIONS=', process.execPath, app('http-clean'), String(port)], { url: `http://127.0.0.1:${port}/`, startTimeoutMs: 1500 })),
    (error) => isLeakcheckError(error) && error.code === ErrorCode.AGENT_UNAVAILABLE && /does a wrapper reset NODE_OPTIONS/.test(error.message),
  );
});

test('a target that runs out of memory is a leak, and the load stops with it', async (t) => {
  const report = await runTarget(options(t, [process.execPath, '--max-old-space-size=20', app('http-growing-map')], {
    phases: buildLoadPlan({ requests: 50_000, warmupRequests: 200, concurrency: 4 }),
    snapshots: false,
  }));
  assert.equal(report.verdict.outcome, 'leak');
  assert.equal(report.target.outOfMemory, true);
  assert.ok(report.verdict.reasons.some((r) => r.kind === 'out-of-memory' && r.leak));
  assert.match(report.target.stderrTail, /heap out of memory/);
  // Requests counted after the crash would be the driver spinning on a dead port.
  const sent = report.phases.reduce((n, p) => n + (p.http?.requests ?? 0), 0);
  assert.ok(sent < 50_000, `sent ${sent}`);
});

test('a target whose event loop hangs ends the run at the checkpoint timeout with a report, instead of hanging it', async (t) => {
  const dir = tmpDir(t);
  const script = join(dir, 'hang.mjs');
  // Answers one request, then blocks its event loop for good (without spinning a core): the agent inside can never reply again.
  writeFileSync(script, `import { createServer } from 'node:http';
createServer((req, res) => res.end('ok', () => setImmediate(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)))).listen(0, '127.0.0.1');`);
  const report = await runTarget(options(t, [process.execPath, script], { phases: buildLoadPlan({ requests: 1, warmupRequests: 1, concurrency: 1 }), checkpointTimeoutMs: 1000 }));
  assert.equal(report.verdict.outcome, 'inconclusive');
  assert.match(reasonWords(report, 'unresponsive', false)[0]!, /did not answer a checkpoint within 1\.\d+ s during warmup \(is its event loop blocked\?\)/);
  assert.ok(existsSync(report.files.reportJson));
});

test('with --load-cmd the user\'s own load tool drives the phases and a leak is still found', async (t) => {
  const dir = tmpDir(t);
  const load = join(dir, 'load.mjs');
  writeFileSync(load, `const url = process.env.LEAKCHECK_TARGET_URL;
for (let i = 0; i < 400; i++) await (await fetch(url)).text();`);
  const report = await runTarget(options(t, [process.execPath, app('http-growing-map')], {
    phases: buildLoadPlan({ loadCommand: `"${process.execPath}" "${load}"` }),
    snapshots: false,
    heapDiff: true,
  }));
  assert.deepEqual(report.phases.map((p) => [p.name, p.command?.exitCode]), [['warmup', 0], ['load1', 0], ['load2', 0]]);
  assert.equal(report.verdict.outcome, 'leak', JSON.stringify(report.verdict.reasons));
  // HeapDiffs do not depend on snapshots being written.
  assert.ok(report.phases.find((p) => p.name === 'load1')!.heapDiff && report.phases.find((p) => p.name === 'load2')!.heapDiff);
  assert.equal(report.files.snapshots.length, 0);
});

test('without memwatch the agent takes GC stats from Node\'s built-ins and forced GCs, and the report says so', async (t) => {
  const report = await runTarget(options(t, [process.execPath, app('http-listener-leak')], { memwatch: false, snapshots: false }));
  assert.deepEqual(report.target.memwatch, { available: false, error: 'disabled by LEAKCHECK_MEMWATCH=0' });
  assert.equal(report.target.gcSource, 'gc-profiler');
  assert.ok(report.gcs.length > 0, 'GC stats without the addon (issue 9)');
  assert.ok(report.checkpoints.length >= 9, 'forced GCs still give the post-GC series');
  assert.equal(report.verdict.outcome, 'leak');
});

test('a report directory that already holds a run is refused before the target starts', async (t) => {
  const opts = options(t, [process.execPath, app('http-clean')]);
  mkdirSync(opts.outDir!, { recursive: true });
  writeFileSync(join(opts.outDir!, '00-warmup.heapsnapshot'), '{}');
  await assert.rejects(runTarget(opts), (error) => isLeakcheckError(error) && error.code === ErrorCode.USAGE
    && error.message.includes(`${opts.outDir} already holds a run (00-warmup.heapsnapshot)`));
});

test('a load phase is bounded by the phase timeout even when its request budget is huge, and says so', async (t) => {
  const report = await runTarget(options(t, [process.execPath, app('http-clean')], {
    phases: buildLoadPlan({ requests: 10_000_000, warmupRequests: 50, concurrency: 2 }),
    phaseTimeoutMs: 800,
    snapshots: false,
  }));
  const load1 = report.phases.find((p) => p.name === 'load1')!;
  assert.ok(load1.http!.requests < 10_000_000);
  assert.deepEqual(load1.incomplete, { kind: 'phase-timeout', requests: load1.http!.requests, plannedRequests: 10_000_000, timeoutMs: 800 });
  assert.equal(describeIncomplete(load1.incomplete!), `stopped by --phase-timeout (800 ms) after ${load1.http!.requests.toLocaleString('en-US')} of 10,000,000 requests`);
});
