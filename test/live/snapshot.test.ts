import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { loadSnapshot, summarizeClasses } from '../../src/index.js';
import { SNAPSHOT_MEMORY_FACTOR } from '../../src/live/index.js';
import { cliPath } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';
import { tmpDir } from '../helpers/tmp-dir.js';
import { MARKER_SOURCE, freePorts, portOpen, startLiveTarget, type LiveTarget } from './live-target.js';

// Fixed inspector ports from this helper's range (45000-45999), one per test, so parallel test
// files never meet on Node's default 9229.
const PORT = await freePorts(['esm', 'cjs', 'open', 'address', 'refuse', 'busy', 'dies', 'perm', 'interrupt', 'unwritable'] as const);

async function markerCount(path: string): Promise<number> {
  const snapshot = await loadSnapshot(path);
  return summarizeClasses(snapshot).find((row) => row.name === 'LiveMarker')?.count ?? 0;
}

describe('leakcheck snapshot <pid>', () => {
  for (const type of ['esm', 'cjs'] as const) {
    test(`snapshots a running ${type} process by pid into a 0600 gzip file and closes the inspector it opened`, async (t) => {
      const port = PORT[type];
      const target = await startLiveTarget(t, MARKER_SOURCE, { nodeArgs: [`--inspect-port=${port}`], type });
      const out = join(tmpDir(t), 'live.heapsnapshot.gz');
      const result = await runCli(['snapshot', String(target.pid), '-o', out]);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stderr, new RegExp(`inspector opened on 127\\.0\\.0\\.1:${port} \\(SIGUSR1\\)`));
      assert.match(result.stderr, /building snapshot 100%/);
      assert.match(result.stdout, /wrote .*live\.heapsnapshot\.gz \([\d.]+ [KM]iB, [\d.]+× smaller than .*\).*; inspector closed again/);
      assert.equal(statSync(out).mode & 0o777, 0o600);
      assert.equal(await markerCount(out), 321);
      assert.equal(await portOpen(port), false, 'the inspector port is closed again');
      assert.equal(target.child.exitCode, null, 'the target keeps running');
      assert.deepEqual(readdirSync(join(out, '..')), ['live.heapsnapshot.gz'], 'no partial file left');
    });
  }

  test('a process started with no flag at all is reached on the default port 9229', async (t) => {
    if (await portOpen(9229)) return t.skip('port 9229 is in use on this machine');
    const target = await startLiveTarget(t, MARKER_SOURCE);
    const out = join(tmpDir(t), 'default.heapsnapshot');
    const result = await runCli(['snapshot', String(target.pid), '-o', out]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /inspector opened on 127\.0\.0\.1:9229/);
    assert.equal(await markerCount(out), 321, 'a name without .gz is written uncompressed');
    assert.equal(await portOpen(9229), false);
  });

  test('an inspector that was already open is used and left open, and the output says so', async (t) => {
    const target = await startLiveTarget(t, MARKER_SOURCE, { nodeArgs: [`--inspect=127.0.0.1:${PORT.open}`] });
    const out = join(tmpDir(t), 'open.heapsnapshot.gz');
    const result = await runCli(['snapshot', String(target.pid), '-o', out, '--json']);
    assert.equal(result.status, 0, result.stderr);
    const json = JSON.parse(result.stdout) as { inspector: { openedByLeakcheck: boolean }; pid: number; rawBytes: number; fileBytes: number };
    assert.equal(json.inspector.openedByLeakcheck, false);
    assert.equal(json.pid, target.pid);
    assert.ok(json.rawBytes > json.fileBytes && json.fileBytes > 0);
    assert.equal(await portOpen(PORT.open), true, 'left open as it was found');
    const text = await runCli(['snapshot', String(target.pid), '-o', `${out}.2.gz`]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stderr, /inspector was already open on 127\.0\.0\.1:\d+; it is left open/);
    assert.match(text.stdout, /inspector left open, as it was found/);
  });

  test('--inspector host:port reaches an inspector without a pid', async (t) => {
    const target = await startLiveTarget(t, MARKER_SOURCE, { nodeArgs: [`--inspect=127.0.0.1:${PORT.address}`] });
    const out = join(tmpDir(t), 'address.heapsnapshot.gz');
    const result = await runCli(['snapshot', '--inspector', `127.0.0.1:${PORT.address}`, '-o', out, '--json']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { pid: number }).pid, target.pid);
    assert.equal(await markerCount(out), 321);
    const nothing = await runCli(['snapshot', '--inspector', '127.0.0.1:45199', '-o', `${out}.x.gz`]);
    assert.equal(nothing.status, 2);
    assert.match(nothing.stderr, /^leakcheck: inspector 127\.0\.0\.1:45199: no inspector at 127\.0\.0\.1:45199: nothing listens there\n$/);
  });

  test('the memory check refuses with figures when the snapshot does not fit, and --force overrides it', async (t) => {
    const target = await startLiveTarget(t, MARKER_SOURCE, { nodeArgs: [`--inspect-port=${PORT.refuse}`] });
    const dir = tmpDir(t);
    const out = join(dir, 'refused.heapsnapshot.gz');
    const refused = await runCli(['snapshot', String(target.pid), '-o', out, '--available-memory', '1MiB']);
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, new RegExp(`^leakcheck: pid ${target.pid}: refusing to snapshot: it needs about \\d+ MiB more \\(used heap \\d+ MiB × ${SNAPSHOT_MEMORY_FACTOR}\\) but only 1 MiB is available \\(the figure given\\); --force takes it anyway$`, 'm'));
    assert.match(refused.stderr, /snapshot needs ~[\d.]+ MiB, 1\.00 MiB available \(as given\): does not fit/);
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(await portOpen(PORT.refuse), false, 'the inspector is closed after a refusal too');

    const forced = await runCli(['snapshot', String(target.pid), '-o', out, '--available-memory', '1MiB', '--force']);
    assert.equal(forced.status, 0, forced.stderr);
    assert.match(forced.stderr, /does NOT fit, taken anyway \(--force\)/);
    assert.ok(existsSync(out));

    // The env override is what a container-less test or an operator uses without changing the command line.
    const viaEnv = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [cliPath, 'snapshot', String(target.pid), '-o', `${out}.env.gz`], {
        env: { ...process.env, LEAKCHECK_AVAILABLE_MEMORY: '1KiB' }, stdio: 'ignore',
      });
      child.on('close', resolve);
    });
    assert.equal(viaEnv, 2);
    assert.equal(existsSync(`${out}.env.gz`), false);
  });

  test('no such pid and a pid that is not Node are one-line errors (exit 2), and nothing is signalled', async (t) => {
    const missing = await runCli(['snapshot', '999999999']);
    assert.equal(missing.status, 2);
    assert.equal(missing.stderr, 'leakcheck: pid 999999999: no such process\n');

    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    t.after(() => sleeper.kill('SIGKILL'));
    const notNode = await runCli(['snapshot', String(sleeper.pid)]);
    assert.equal(notNode.status, 2);
    assert.match(notNode.stderr, new RegExp(`^leakcheck: pid ${sleeper.pid}: sleep is not a Node process that opens its inspector on SIGUSR1 \\(it does not catch SIGUSR1, so the signal would kill it\\)\\n$`));
    assert.equal(sleeper.exitCode, null, 'sleep was not killed');

  });

  test('an inspector port held by another program is a one-line error naming the port', async (t) => {
    const server = createServer((socket) => socket.end('not http\r\n'));
    await new Promise<void>((resolve) => server.listen(PORT.busy, '127.0.0.1', resolve));
    t.after(() => server.close());
    const target = await startLiveTarget(t, '', { nodeArgs: [`--inspect-port=${PORT.busy}`] });
    const result = await runCli(['snapshot', String(target.pid)]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, new RegExp(`^leakcheck: pid ${target.pid}: inspector port 127\\.0\\.0\\.1:${PORT.busy} is busy: another program listens there \\(.*\\); free it, or pass --inspect-port with the port the target was started with\\n$`));
    assert.equal(target.stderr().includes('Debugger listening'), false, 'no signal was sent');
  });

  /** Runs `snapshot` on a target with a big heap and does `interrupt` once V8 reports progress. */
  async function snapshotInterrupted(t: TestContext, port: number, interrupt: (cli: ChildProcess, target: LiveTarget) => void) {
    // Enough objects that building the snapshot takes a while after the first progress line.
    const target = await startLiveTarget(t, 'globalThis.big = Array.from({ length: 800_000 }, (_, i) => ({ i, s: `v${i}` }));', { nodeArgs: [`--inspect-port=${port}`] });
    const dir = tmpDir(t);
    const cli = spawn(process.execPath, [cliPath, 'snapshot', String(target.pid), '-o', join(dir, 'cut.heapsnapshot.gz')], { env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    let done = false;
    cli.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
      if (!done && /building snapshot/.test(stderr)) {
        done = true;
        interrupt(cli, target);
      }
    });
    const status = await new Promise<number | null>((resolve) => cli.on('close', resolve));
    return { status, stderr, files: readdirSync(dir), target };
  }

  test('a process that dies mid-snapshot is a one-line error and the partial file is removed', async (t) => {
    const { status, stderr, files, target } = await snapshotInterrupted(t, PORT.dies, (_, victim) => victim.child.kill('SIGKILL'));
    assert.equal(status, 2, stderr);
    assert.match(stderr, new RegExp(`\\nleakcheck: pid ${target.pid}: the process exited during the snapshot; the partial file was removed\\n$`));
    assert.deepEqual(files, []);
  });

  test('Ctrl-C during a snapshot removes the partial file, exits 2, and leaves the target running', async (t) => {
    const { status, stderr, files, target } = await snapshotInterrupted(t, PORT.interrupt, (cli) => cli.kill('SIGINT'));
    assert.equal(status, 2, stderr);
    assert.match(stderr, /\nleakcheck: .*cut\.heapsnapshot\.gz: interrupted during the snapshot; the partial file was removed\n$/);
    assert.deepEqual(files, []);
    assert.equal(target.child.exitCode, null);
  });

  test('a process of another user is "permission denied" (exit 2)', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to run the CLI as another user');
    const target = await startLiveTarget(t, '', { nodeArgs: [`--inspect-port=${PORT.perm}`] });
    const result = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [cliPath, 'snapshot', String(target.pid)], { uid: 65534, gid: 65534, cwd: '/tmp', env: { ...process.env, NO_COLOR: '1' } });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (text: string) => { stderr += text; });
      child.on('close', (status) => resolve({ status, stderr }));
    });
    assert.equal(result.status, 2, result.stderr);
    assert.equal(result.stderr, `leakcheck: pid ${target.pid}: permission denied: the process belongs to another user (run leakcheck as that user)\n`);
  });

  test('an output that cannot be written is a one-line error, and the inspector is closed again', async (t) => {
    const target = await startLiveTarget(t, '', { nodeArgs: [`--inspect-port=${PORT.unwritable}`] });
    const out = join(tmpDir(t), 'missing-dir', 'x.heapsnapshot.gz');
    const result = await runCli(['snapshot', String(target.pid), '-o', out]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /\nleakcheck: .*missing-dir\/x\.heapsnapshot\.gz: cannot write the snapshot: ENOENT[^\n]*\n$/);
    assert.equal(await portOpen(PORT.unwritable), false);
  });

  test('usage errors: neither a pid nor --inspector, or both', async () => {
    const none = await runCli(['snapshot']);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /name the process: a pid, or --inspector host:port/);
    const both = await runCli(['snapshot', '1', '--inspector', '127.0.0.1:9229']);
    assert.equal(both.status, 2);
    assert.match(both.stderr, /give a pid or --inspector, not both/);
  });
});
