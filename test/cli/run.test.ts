import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliPath, fixturesDir, serverPath } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const app = (name: string) => join(fixturesDir, 'apps', `${name}.mjs`);
const small = ['--requests', '300', '--warmup-requests', '300', '--concurrency', '4'];

/** Runs the built CLI asynchronously (tests run in parallel; spawnSync would block the other file). */
function runCli(args: string[], cwd?: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('a leaking server exits 1 and the summary names the growing heap', async (t) => {
  const out = join(tmpDir(t), 'r');
  const result = await runCli(['run', ...small, '--out', out, '--', process.execPath, app('http-listener-leak')]);
  assert.equal(result.status, 1, result.stderr);
  assert.match(result.stdout, /^LEAK/);
  assert.match(result.stdout, /live JS heap after GC: keeps growing/);
  assert.match(result.stdout, /snapshot diff: EventEmitter 'error': .*onQueueError at http-listener-leak\.mjs:12/);
  assert.match(result.stdout, new RegExp(`report: ${out}/report.html`));
  assert.match(result.stderr, /phase load2 done in [\d.]+ m?s \(load [\d.]+ m?s, checkpoint pauses [\d.]+ m?s\), 300 requests, [\d,]+ req\/s/);
  for (const f of ['report.json', 'report.html', 'stats.jsonl']) assert.ok(existsSync(join(out, f)), f);
  for (const s of ['00-warmup', '01-load1', '02-load2']) assert.equal(statSync(join(out, `${s}.heapsnapshot`)).mode & 0o777, 0o600);
});

test('a clean server exits 0; --json prints only report.json on stdout', async (t) => {
  const out = join(tmpDir(t), 'r');
  const result = await runCli(['run', ...small, '--no-snapshots', '--json', '--out', out, '--', process.execPath, app('http-clean')]);
  assert.equal(result.status, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.equal(report.schemaVersion, 3);
  assert.equal(report.verdict.outcome, 'clean');
  assert.deepEqual(report, JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')));
  assert.equal(result.stderr, '', 'no progress chatter with --json');
});

test('a crashing target exits 2 and still writes a report that says it crashed', async (t) => {
  const out = join(tmpDir(t), 'r');
  const result = await runCli(['run', ...small, '--no-snapshots', '--out', out, '--', process.execPath, app('http-crash')]);
  assert.equal(result.status, 2);
  assert.match(result.stdout, /TARGET CRASHED/);
  assert.match(result.stdout, /exited with code 1 during warmup/);
  assert.match(result.stdout, /fixture crash after 150 requests/);
  assert.equal(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).target.crashed, true);
});

test('a target that never listens exits 2 with one clear line', async (t) => {
  // 3 s, not 1: on a loaded machine node can take over a second from the agent's hello to the program's first line.
  const result = await runCli(['run', '--start-timeout', '3', '--show-output', '--out', join(tmpDir(t), 'r'), '--', process.execPath, app('http-never-listens')]);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /never-listens started/, '--show-output copies the target\'s output');
  assert.match(result.stderr, /leakcheck: the target did not open a listening socket within 3 s; pass --url/);
  assert.doesNotMatch(result.stderr, /at .*\.js:\d+/);
});

test('a target command given without -- is refused with the command line that works', async () => {
  const result = await runCli(['run', '--requests', '10', 'node', 'server.js']);
  assert.equal(result.status, 2);
  assert.equal(result.stderr, 'leakcheck: the target command goes after --: leakcheck run [options] -- node server.js\n');
});

test('run without a command after -- exits 2 with the usage line', async () => {
  const result = await runCli(['run', '--requests', '10']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /missing target command: leakcheck run \[options\] -- <command\.\.\.>/);
});

test('bad flags are usage errors: --requests with --duration, a non-http --url, a bad --min-growth', async () => {
  const both = await runCli(['run', '--requests', '10', '--duration', '2', '--', 'node', 'x.js']);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /--requests and --duration both bound a phase/);
  const https = await runCli(['run', '--url', 'https://127.0.0.1:1/', '--', 'node', 'x.js']);
  assert.equal(https.status, 2);
  assert.match(https.stderr, /--url: only http:\/\/ URLs are supported/);
  const size = await runCli(['run', '--min-growth', 'lots', '--', 'node', 'x.js']);
  assert.equal(size.status, 2);
  assert.match(size.stderr, /--min-growth: not a size: "lots"/);
});

test('an invalid phases.json exits 2 naming the file and the field', async (t) => {
  const file = join(tmpDir(t), 'phases.json');
  writeFileSync(file, JSON.stringify({ phases: [{ name: 'warm', kind: 'warmup', requests: 10 }, { name: 'a', requests: -1 }, { name: 'b', requests: 5 }] }));
  const result = await runCli(['run', '--phases', file, '--', 'node', 'x.js']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, new RegExp(`${file}: phases\\[1\\]\\.requests must be a positive integer, got -1`));
});

test('--phases drives named phases and --load-cmd runs the user\'s load tool per phase', async (t) => {
  const dir = tmpDir(t);
  const phases = join(dir, 'phases.json');
  writeFileSync(phases, JSON.stringify({ phases: [
    { name: 'prime', kind: 'warmup', requests: 50 },
    { name: 'first', requests: 100, method: 'POST', body: 'hello' },
    { name: 'second', loadCommand: `"${process.execPath}" ${JSON.stringify(join(dir, 'load.mjs'))}` },
    { name: 'rest', kind: 'idle', durationMs: 200 },
  ] }));
  // A user's load tool: reads the target URL from the environment, sends 100 requests.
  writeFileSync(join(dir, 'load.mjs'), `const url = process.env.LEAKCHECK_TARGET_URL;
for (let i = 0; i < 100; i++) await (await fetch(url)).text();
console.log('sent 100 to', url, 'in', process.env.LEAKCHECK_PHASE);`);
  const out = join(dir, 'r');
  const result = await runCli(['run', '--phases', phases, '--no-snapshots', '--json', '--out', out, '--', process.execPath, app('http-clean')]);
  assert.equal(result.status, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.deepEqual(report.phases.map((p: { name: string; kind: string }) => [p.name, p.kind]), [['prime', 'warmup'], ['first', 'load'], ['second', 'load'], ['rest', 'idle']]);
  assert.ok(report.checkpoints.some((c: { phase: string; boundary: boolean }) => c.phase === 'rest' && c.boundary), 'memory is measured after the idle phase too');
  assert.equal(report.phases[1].http.requests, 100);
  assert.equal(report.phases[2].command.exitCode, 0);
  assert.match(report.phases[2].command.outputTail, /sent 100 to http:\/\/127\.0\.0\.1:\d+\/ in second/);
});

test('the push server runs under leakcheck out of the box (GET / on the port it opens) and comes out clean', async (t) => {
  const out = join(tmpDir(t), 'r');
  const result = await runCli(['run', '--requests', '300', '--warmup-requests', '100', '--no-snapshots', '--out', out, '--', process.execPath, serverPath, '--port', '0']);
  assert.equal(result.status, 0, result.stderr + result.stdout);
  assert.match(result.stdout, /^CLEAN/);
  assert.doesNotMatch(result.stdout, /load responses were errors/);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  const load = report.phases.filter((p: { kind: string }) => p.kind === 'load');
  assert.ok(load.length >= 2);
  for (const phase of load) assert.deepEqual(phase.http.statusCounts, { 200: 300 }, `${phase.name}: every request answered 200`);
});

/** Starts a long `leakcheck run` on the clean server and resolves once load1 is under way. */
async function runUntilLoad(dir: string) {
  const child = spawn(process.execPath, [cliPath, 'run', '--duration', '60', '--warmup-requests', '0', '--no-snapshots', '--out', join(dir, 'r'), '--', process.execPath, app('http-clean')],
    { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  let stderr = '';
  await new Promise<void>((resolve) => {
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (/phase load1…/.test(stderr)) resolve();
    });
  });
  const targetPid = Number(/started target \(pid (\d+)\)/.exec(stderr)![1]);
  const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
  return { child, targetPid, closed, stdout: () => stdout };
}

/** Polls until the process is gone (or a zombie), for at most `ms`. */
async function goneWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  for (;;) {
    try {
      process.kill(pid, 0);
      if (/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return true;
    } catch {
      return true;
    }
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  test(`${signal} stops the load and the whole target process group, and still reports what was measured, naming the signal (exit 2)`, async (t) => {
    const dir = tmpDir(t);
    const run = await runUntilLoad(dir);
    run.child.kill(signal);
    assert.equal(await run.closed, 2);
    assert.match(run.stdout(), /^INTERRUPTED/);
    assert.match(run.stdout(), new RegExp(`the run was stopped by ${signal} during load1`));
    assert.match(run.stdout(), /partial: the run ended before its last phase/);
    const report = JSON.parse(readFileSync(join(dir, 'r', 'report.json'), 'utf8'));
    assert.equal(report.verdict.outcome, 'interrupted');
    assert.equal(report.verdict.partial, true);
    assert.deepEqual(report.phases.find((p: { name: string }) => p.name === 'load1').incomplete, { kind: 'interrupted', signal });
    assert.match(run.stdout(), new RegExp(`^  load1 .*stopped by ${signal}$`, 'm'));
    assert.ok(await goneWithin(run.targetPid, 1000), 'the target is gone');
  });
}

test('SIGKILL to leakcheck: the target notices its runner is gone and stops itself', async (t) => {
  const dir = tmpDir(t);
  const run = await runUntilLoad(dir);
  run.child.kill('SIGKILL');
  await run.closed;
  assert.ok(await goneWithin(run.targetPid, 8000), `target ${run.targetPid} still runs after its runner was killed`);
});

test('--out on a pseudo file system or a file is one clear line, exit 2, before anything starts', async () => {
  const proc = await runCli(['run', '--out', '/proc/leakcheck-x', '--', process.execPath, app('http-clean')]);
  assert.equal(proc.status, 2);
  assert.equal(proc.stderr, 'leakcheck: /proc/leakcheck-x: cannot be the report directory: /proc is on the proc pseudo file system\n');
  const file = await runCli(['run', '--out', '/etc/hostname', '--', process.execPath, app('http-clean')]);
  assert.equal(file.status, 2);
  assert.equal(file.stderr, 'leakcheck: /etc/hostname: cannot be the report directory: /etc/hostname is not a directory\n');
});

test('the snapshot diff in run honours --fail-on like leakcheck diff; a bad gate is a usage error', async (t) => {
  const out = join(tmpDir(t), 'r');
  const result = await runCli(['run', ...small, '--fail-on', 'bytes=1GiB,count=1000000', '--json', '--out', out, '--', process.execPath, app('http-listener-leak')]);
  assert.equal(result.status, 1, 'the heap trend still finds the leak');
  const report = JSON.parse(result.stdout);
  assert.equal(report.analysis.thresholds.minGrowthCount, 1_000_000);
  assert.equal(report.verdict.reasons.some((r: { kind: string }) => r.kind === 'snapshot'), false, 'no finding crosses a 1 GiB gate');
  const bad = await runCli(['run', '--fail-on', 'bytes=lots', '--', 'node', 'x.js']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--fail-on "bytes=lots"/);
});
