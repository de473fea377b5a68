// The gate must not pass what it did not test (issue 9): load only to sockets the target itself listens on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { ErrorCode, isLeakcheckError } from '../../src/errors.js';
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
