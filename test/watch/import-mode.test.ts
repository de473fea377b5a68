import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cliPath } from '../helpers/paths.js';
import { importEnv, projectDir, readLog, runUntil, watchLeakApp } from './watch-app.js';

for (const memwatch of ['1', '0']) {
  const source = memwatch === '1' ? 'memwatch' : 'gc-profiler';
  test(`--import leakcheck/watch (${source}): the leaking app logs stats and a leak and writes a 0600 gzip snapshot that inspect opens`, async (t) => {
    const dir = projectDir(t);
    const log = join(dir, 'watch.jsonl');
    const snapshots = join(dir, 'evidence');
    const { stderr } = await runUntil(['--expose-gc', watchLeakApp], dir,
      importEnv({ LEAKCHECK_WATCH_LOG: log, LEAKCHECK_WATCH_SNAPSHOTS: snapshots, LEAKCHECK_WATCH_MAX_SNAPSHOTS: '1', LEAKCHECK_MEMWATCH: memwatch }),
      // Done when the snapshot is written or refused; a leak event during the write is skipped ('limit') and is no answer.
      () => readLog(log).some((l) => l['type'] === 'snapshot' || (l['type'] === 'snapshot-skipped' && l['reason'] !== 'limit')));
    assert.equal(stderr, '');
    const lines = readLog(log);
    assert.deepEqual({ ...lines[0], pid: 0, timeMs: 0 }, {
      type: 'start', pid: 0, timeMs: 0, source, nodeVersion: process.version, snapshotDir: snapshots, maxSnapshots: 1,
      memwatch: memwatch === '1' ? { available: true } : { available: false, error: 'disabled by the memwatch: false option' },
    });
    const stats = lines.filter((l) => l['type'] === 'stats');
    assert.ok(stats.length >= 8 && stats.every((s) => s['usedHeapBytes'] > 0 && s['source'] === source && s['pid'] === lines[0]!['pid']));
    const leak = lines.find((l) => l['type'] === 'leak');
    assert.ok(leak && leak['rule'] === 'trend' && leak['growthBytes'] > 1024 * 1024, JSON.stringify(leak));
    const snapshot = lines.find((l) => l['type'] === 'snapshot');
    assert.ok(snapshot, JSON.stringify(lines.filter((l) => l['type'] !== 'stats')));
    assert.ok(snapshot['memory'].fits && snapshot['freeDiskBytes'] > 0);
    assert.deepEqual(readdirSync(snapshots), [snapshot['path'].slice(snapshots.length + 1)]);
    const file = statSync(snapshot['path']);
    assert.equal(file.mode & 0o777, 0o600);
    assert.equal(file.size, snapshot['sizeBytes']);
    const inspect = spawnSync(process.execPath, [cliPath, 'inspect', snapshot['path'], '--json'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(inspect.status, 0, inspect.stderr);
    assert.ok(JSON.stringify(JSON.parse(inspect.stdout)).includes('LeakedSession'), 'the leaking class is in the snapshot');
  });
}

