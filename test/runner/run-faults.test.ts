// Run endings that used to hang, lose the report or leave processes behind (issue 14, items 7-12):
// each test replays the fault with a real target process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, isLeakcheckError } from '../../src/errors.js';
import { buildLoadPlan, parsePhases, runTarget, type RunOptions } from '../../src/runner/index.js';
import { tmpDir } from '../helpers/tmp-dir.js';

/** A tiny HTTP target; `setup` runs at start (may spawn helpers and write their pids to process.env.PIDFILE). */
function target(dir: string, name: string, setup: string, onRequest = ''): string {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, `import { createServer } from 'node:http';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
${setup}
let served = 0;
createServer((req, res) => { served++; ${onRequest} res.end('ok'); }).listen(0, '127.0.0.1');`);
  return file;
}

function runOptions(dir: string, command: string[], extra: Partial<RunOptions> = {}): RunOptions {
  return {
    command,
    phases: buildLoadPlan({ requests: 60, warmupRequests: 30, concurrency: 2 }),
    outDir: join(dir, 'report'),
    startTimeoutMs: 15_000,
    snapshots: false,
    heapDiff: false,
    ...extra,
  };
}

/** Dead: no such process, or a zombie (dead, waiting for whoever adopted it to reap it). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    return /^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

const pidsIn = (file: string): number[] => readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);

test('a detached grandchild holding the target\'s stdout neither hangs the run nor survives it', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const pidFile = join(dir, 'pids');
  // `sleep` is not node: no agent, outside the process group, re-parented away; only the inherited pipe leads to it.
  const app = target(dir, 'detached', `const c = spawn('sleep', ['600'], { detached: true, stdio: ['ignore', 'inherit', 'inherit'] }); c.unref();
writeFileSync(process.env.PIDFILE, String(c.pid));`);
  const report = await runTarget(runOptions(dir, [process.execPath, app], { env: { ...process.env, PIDFILE: pidFile } }));
  assert.equal(report.verdict.outcome, 'clean', JSON.stringify(report.verdict.reasons));
  assert.ok(existsSync(report.files.reportJson));
  const [sleeper] = pidsIn(pidFile);
  assert.ok(gone(sleeper!), `the detached sleep ${sleeper} was stopped`);
});

test('a child that ignores SIGTERM does not survive a clean run (SIGKILL after the grace period)', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const pidFile = join(dir, 'pids');
  const app = target(dir, 'stubborn', `const c = spawn('sh', ['-c', 'trap "" TERM; while :; do sleep 1; done'], { stdio: 'ignore' });
writeFileSync(process.env.PIDFILE, String(c.pid));
process.on('SIGTERM', () => process.exit(0));`);
  const report = await runTarget(runOptions(dir, [process.execPath, app], { env: { ...process.env, PIDFILE: pidFile } }));
  assert.equal(report.verdict.outcome, 'clean');
  const [child] = pidsIn(pidFile);
  assert.ok(gone(child!), `the SIGTERM-ignoring child ${child} was killed`);
});

test('a child of a target that crashes mid-run is stopped with it', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const pidFile = join(dir, 'pids');
  const app = target(dir, 'orphaning', `const c = spawn('sleep', ['600'], { stdio: 'ignore' });
writeFileSync(process.env.PIDFILE, String(c.pid));`, `if (served === 50) process.exit(4);`);
  const report = await runTarget(runOptions(dir, [process.execPath, app], { env: { ...process.env, PIDFILE: pidFile } }));
  assert.equal(report.verdict.outcome, 'crashed');
  assert.equal(report.target.exit?.code, 4);
  const [child] = pidsIn(pidFile);
  assert.ok(gone(child!), `the crashed target's child ${child} was stopped`);
});

test('a target that dies while a checkpoint is pending still gets its report', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  // Exits on the first GC leakcheck forces (flagged "forced" without memwatch), while the agent is still writing the snapshot.
  const app = target(dir, 'dies-at-checkpoint', `import { PerformanceObserver, constants } from 'node:perf_hooks';
new PerformanceObserver((list) => { if (list.getEntries().some((e) => e.detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED)) process.exit(3); }).observe({ entryTypes: ['gc'] });`);
  const report = await runTarget(runOptions(dir, [process.execPath, app], { memwatch: false, snapshots: true }));
  assert.equal(report.verdict.outcome, 'crashed', JSON.stringify(report.verdict.reasons));
  assert.deepEqual(report.target.exit, { code: 3, signal: null, phase: 'warmup' });
  assert.deepEqual(report.phases[0]!.incomplete, { kind: 'target-exited', exit: { code: 3, signal: null } });
  assert.ok(existsSync(report.files.reportJson) && existsSync(report.files.reportHtml));
});

test('--phase-timeout bounds a checkpoint on a blocked event loop (to no less than 15 s), and the run still reports', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  // Blocks its event loop for good without spinning a core (Atomics.wait on a value nobody changes).
  const app = target(dir, 'blocks', '', `if (served === 20) setImmediate(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));`);
  const started = performance.now();
  const report = await runTarget(runOptions(dir, [process.execPath, app], { phaseTimeoutMs: 1500 }));
  assert.ok(performance.now() - started < 45_000);
  assert.equal(report.verdict.outcome, 'inconclusive');
  assert.equal(report.verdict.partial, true);
  const reason = report.verdict.reasons.find((r) => r.kind === 'unresponsive');
  assert.ok(reason && reason.kind === 'unresponsive' && reason.cause === 'checkpoint-timeout' && reason.phase === 'warmup', JSON.stringify(report.verdict.reasons));
  assert.ok(reason.waitedMs >= 14_900 && reason.waitedMs < 25_000, `waited ${reason.waitedMs} ms`);
  assert.ok(existsSync(report.files.reportJson));
});

test('an --out that cannot hold a run is refused up front, naming the path and the problem', async (t) => {
  const dir = tmpDir(t);
  const refused = (outDir: string, pattern: RegExp) => assert.rejects(runTarget(runOptions(dir, ['node', 'never-started.js'], { outDir })),
    (error) => isLeakcheckError(error) && error.code === ErrorCode.USAGE && error.file === outDir && pattern.test(error.message));
  await refused('/proc/leakcheck-x', /cannot be the report directory: \/proc is on the proc pseudo file system/);
  await refused('/etc/hostname', /cannot be the report directory: \/etc\/hostname is not a directory/);
  await refused('/etc/hostname/sub', /\/etc\/hostname is not a directory/);
  if (process.getuid?.() !== 0) await refused('/etc/leakcheck-x', /\/etc is not writable \(EACCES\)/);
  assert.equal(existsSync(join(dir, 'report')), false);
});

test('phases.json methods must be HTTP tokens and URLs plain http with a host', () => {
  const invalid = (phase: Record<string, unknown>, pattern: RegExp) => assert.throws(
    () => parsePhases({ phases: [{ name: 'a', requests: 1, ...phase }, { name: 'b', requests: 1 }] }, 'p.json', {}),
    (e) => isLeakcheckError(e) && e.code === ErrorCode.CONFIG_INVALID && pattern.test(e.message));
  invalid({ method: 'GE T' }, /phases\[0\]\.method must be an HTTP method name .*got "GE T"/);
  invalid({ method: 'GET\r\nX: y' }, /phases\[0\]\.method must be an HTTP method name/);
  invalid({ url: 'http://user:pw@127.0.0.1:1/' }, /phases\[0\]\.url: credentials in the URL are not supported/);
  invalid({ url: 'ftp://127.0.0.1/' }, /only http:\/\/ URLs/);
  assert.equal(parsePhases({ phases: [{ name: 'a', requests: 1, method: 'purge' }, { name: 'b', requests: 1 }] }, 'p.json', {})[0]!.method, 'PURGE');
});
