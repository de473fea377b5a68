import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiDriver as driver, cleanEnv, projectDir, runJsonLines, watchCleanApp, watchLeakApp, writeScript } from './watch-app.js';


for (const memwatch of [true, false]) {
  const source = memwatch ? 'memwatch' : 'gc-profiler';

  test(`watchMemory (${source}): post-GC stats and a leak event on the leaking app`, (t) => {
    const dir = projectDir(t);
    const script = writeScript(dir, 'driver.mjs', driver);
    const { lines, result } = runJsonLines(['--expose-gc', script], dir, cleanEnv({ APP: watchLeakApp, MW: memwatch ? '1' : '0', LEAK: 'stop', RUN_MS: '20000' }));
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(lines[0], { type: 'hello', source, memwatch: memwatch ? { available: true } : { available: false, error: 'disabled by the memwatch: false option' } });
    const stats = lines.filter((l) => l['type'] === 'stats').map((l) => l['stats']);
    assert.ok(stats.length >= 8, `${stats.length} stats events before the leak`);
    for (const s of stats) {
      assert.equal(s.source, source);
      assert.equal(s.gcKind, 'mark-sweep-compact');
      assert.ok(s.usedHeapBytes > 0 && s.heapLimitBytes > s.usedHeapBytes && s.externalBytes > 0 && s.gcPauseNs > 0, JSON.stringify(s));
    }
    assert.ok(stats.at(-1).usedHeapBytes > stats[0].usedHeapBytes + 1024 * 1024, 'the heap grew by more than the rule\'s minimum');
    const leak = lines.find((l) => l['type'] === 'leak')?.['leak'];
    assert.ok(leak, 'a leak event');
    assert.equal(leak.rule, 'trend');
    assert.ok(leak.points >= 8 && leak.pValue < 0.01 && leak.growthBytes > 1024 * 1024 && leak.endBytes > leak.startBytes, JSON.stringify(leak));
    assert.ok(stats.at(-1).trend.increasing, 'the last stats event carries the rising trend');
  });

  test(`watchMemory (${source}): stats and no leak event on the clean app`, (t) => {
    const dir = projectDir(t);
    const script = writeScript(dir, 'driver.mjs', driver);
    const { lines, result } = runJsonLines(['--expose-gc', script], dir, cleanEnv({ APP: watchCleanApp, MW: memwatch ? '1' : '0', RUN_MS: '3000' }));
    assert.equal(result.status, 0, result.stderr);
    const stats = lines.filter((l) => l['type'] === 'stats');
    assert.ok(stats.length >= 16, `${stats.length} stats events: enough for the rule to have fired twice`);
    assert.deepEqual(lines.filter((l) => l['type'] === 'leak'), []);
  });

  test(`watchMemory (${source}) keeps no process alive`, (t) => {
    const dir = projectDir(t);
    const script = writeScript(dir, 'idle.mjs', `import { watchMemory } from 'leakcheck/watch';\nwatchMemory({ memwatch: ${memwatch} }).heapDiff();\nglobalThis.gc();\n`);
    const started = Date.now();
    const { result } = runJsonLines(['--expose-gc', script], dir, cleanEnv(), 15_000);
    assert.equal(result.signal, null, `still running after ${Date.now() - started} ms`);
    assert.equal(result.status, 0, result.stderr);
  });
}

test('leakcheck/watch also loads through require()', (t) => {
  const dir = projectDir(t);
  const { result } = runJsonLines(['-e', `const { watchMemory } = require('leakcheck/watch'); const w = watchMemory({ memwatch: false }); console.log(JSON.stringify({ source: w.source, diff: typeof w.heapDiff })); w.stop();`], dir, cleanEnv());
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), { source: 'gc-profiler', diff: 'function' });
});
