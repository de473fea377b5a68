import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { importEnv, projectDir, readLog, runJsonLines, runUntil, watchCleanApp, watchLeakApp } from './watch-app.js';

test('--import leakcheck/watch on the clean app: stats lines, no leak, no snapshot', (t) => {
  const dir = projectDir(t);
  const log = join(dir, 'watch.jsonl');
  const snapshots = join(dir, 'evidence');
  const { result } = runJsonLines(['--expose-gc', watchCleanApp], dir, importEnv({ LEAKCHECK_WATCH_LOG: log, LEAKCHECK_WATCH_SNAPSHOTS: snapshots, FIXTURE_SECONDS: '3' }));
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stderr, '');
  const lines = readLog(log);
  assert.ok(lines.filter((l) => l['type'] === 'stats').length >= 16);
  assert.deepEqual(lines.filter((l) => l['type'] !== 'stats' && l['type'] !== 'start'), []);
  assert.deepEqual(readdirSync(snapshots), []);
});

test('a snapshot that would not fit in memory is skipped with the figures, and bad values are one line on stderr', async (t) => {
  const dir = projectDir(t);
  const log = join(dir, 'watch.jsonl');
  const snapshots = join(dir, 'evidence');
  const { stderr } = await runUntil(['--expose-gc', watchLeakApp], dir,
    importEnv({ LEAKCHECK_WATCH_LOG: log, LEAKCHECK_WATCH_SNAPSHOTS: snapshots, LEAKCHECK_AVAILABLE_MEMORY: '1MiB', LEAKCHECK_WATCH_MAX_SNAPSHOTS: 'lots', LEAKCHECK_MEMWATCH: '0' }),
    () => readLog(log).some((l) => l['type'] === 'snapshot-skipped'));
  assert.match(stderr, /^leakcheck\/watch \(pid \d+\): LEAKCHECK_WATCH_MAX_SNAPSHOTS: not a whole number: "lots"; using 3\n$/);
  const skipped = readLog(log).find((l) => l['type'] === 'snapshot-skipped')!;
  assert.equal(skipped['reason'], 'memory');
  assert.deepEqual({ fits: skipped['memory'].fits, available: skipped['memory'].availableBytes, source: skipped['memory'].source }, { fits: false, available: 1024 * 1024, source: 'override' });
  assert.ok(skipped['memory'].neededBytes > 1024 * 1024);
  assert.deepEqual(readdirSync(snapshots), []);
});

test('a log file that cannot be opened: one line on stderr, and the program runs to its normal end', (t) => {
  const dir = projectDir(t);
  const { result } = runJsonLines(['--expose-gc', watchCleanApp], dir, importEnv({ LEAKCHECK_WATCH_LOG: join(dir, 'no', 'such', 'dir', 'log'), FIXTURE_SECONDS: '1' }));
  assert.equal(result.status, 0);
  assert.match(result.stderr, /^leakcheck\/watch \(pid \d+\): not started: ENOENT: no such file or directory, open '.*no\/such\/dir\/log'\n$/);
  assert.equal(result.stdout, 'ready\n');
});
