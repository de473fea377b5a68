import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, isLeakcheckError } from '../../src/errors.js';
import { buildLoadPlan, parsePhases, readPhasesFile } from '../../src/runner/index.js';
import { tmpDir } from '../helpers/tmp-dir.js';

test('the default plan is warm-up then two load phases', () => {
  const plan = buildLoadPlan({ url: 'http://127.0.0.1:1/x' });
  assert.deepEqual(plan.map((p) => [p.name, p.kind, p.requests]), [['warmup', 'warmup', 500], ['load1', 'load', 2000], ['load2', 'load', 2000]]);
  assert.ok(plan.every((p) => p.url === 'http://127.0.0.1:1/x' && p.concurrency === 8));
});

test('duration, extra load phases, no warm-up and an idle phase are honoured', () => {
  const plan = buildLoadPlan({ durationMs: 3000, loadPhases: 3, warmupRequests: 0, idleMs: 1000 });
  assert.deepEqual(plan.map((p) => [p.name, p.kind, p.durationMs]), [['load1', 'load', 3000], ['load2', 'load', 3000], ['load3', 'load', 3000], ['idle', 'idle', 1000]]);
});

test('contradictory or impossible options are usage errors', () => {
  const usage = (f: () => unknown, pattern: RegExp) => assert.throws(f, (e) => isLeakcheckError(e) && e.code === ErrorCode.USAGE && pattern.test(e.message));
  usage(() => buildLoadPlan({ requests: 10, durationMs: 10 }), /give one of them/);
  usage(() => buildLoadPlan({ loadPhases: 1 }), /at least 2/);
  usage(() => buildLoadPlan({ concurrency: 0 }), /--concurrency must be a positive integer/);
  usage(() => buildLoadPlan({ requests: 2.5 }), /--requests must be a positive integer, got 2.5/);
});

test('phases.json errors name the file and the exact field', async (t) => {
  const invalid = (json: unknown, pattern: RegExp) => assert.throws(() => parsePhases(json, 'p.json', {}),
    (e) => isLeakcheckError(e) && e.code === ErrorCode.CONFIG_INVALID && e.file === 'p.json' && pattern.test(e.message));
  invalid([], /expected an object with a "phases" array/);
  invalid({ phases: [], extra: 1 }, /unknown key "extra"/);
  invalid({ phases: [{ name: 'a', requests: 1 }, { name: 'a', requests: 1 }] }, /phases\[1\]\.name "a" is used twice/);
  invalid({ phases: [{ name: 'a', requests: 1, durationMs: 5 }, { name: 'b', requests: 1 }] }, /phases\[0\]: give "requests" or "durationMs", not both/);
  invalid({ phases: [{ name: 'a', requests: 1 }] }, /at least two phases of kind "load"/);
  invalid({ phases: [{ name: 'a', kind: 'sprint', requests: 1 }] }, /phases\[0\]\.kind must be/);
  invalid({ phases: [{ name: 'a' }, { name: 'b', requests: 1 }] }, /phases\[0\]: a load phase needs "requests", "durationMs" or "loadCommand"/);
  invalid({ url: 'https://x/', phases: [{ name: 'a', requests: 1 }, { name: 'b', requests: 1 }] }, /only http:\/\//);
  invalid({ phases: [{ name: 'a', requests: 1 }, { name: 'w', kind: 'warmup', requests: 1 }, { name: 'b', requests: 1 }] }, /warm-up phases must come before/);
  invalid({ phases: [{ name: 'a', requests: 1, headers: { x: 1 } }, { name: 'b', requests: 1 }] }, /phases\[0\]\.headers must be an object of strings/);

  const dir = tmpDir(t);
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{ "phases": [ }');
  await assert.rejects(readPhasesFile(broken, {}), (e) => isLeakcheckError(e) && e.file === broken && /not valid JSON/.test(e.message));
  await assert.rejects(readPhasesFile(join(dir, 'missing.json'), {}), (e) => isLeakcheckError(e) && e.code === ErrorCode.FILE_UNREADABLE);
});

test('a valid phases.json inherits the url, concurrency and load command given on the command line', () => {
  const phases = parsePhases({ phases: [
    { name: 'w', kind: 'warmup', requests: 5 },
    { name: 'a', requests: 10, method: 'post', headers: { 'x-test': '1' }, body: '{}' },
    { name: 'b', durationMs: 100, concurrency: 2 },
    { name: 'rest', kind: 'idle', durationMs: 50 },
  ] }, 'p.json', { url: 'http://127.0.0.1:9/', concurrency: 3 });
  assert.deepEqual(phases.map((p) => [p.name, p.kind, p.concurrency, p.url]), [
    ['w', 'warmup', 3, 'http://127.0.0.1:9/'], ['a', 'load', 3, 'http://127.0.0.1:9/'], ['b', 'load', 2, 'http://127.0.0.1:9/'], ['rest', 'idle', 3, undefined],
  ]);
  assert.equal(phases[1]!.method, 'POST');
  assert.deepEqual(phases[1]!.headers, { 'x-test': '1' });
});
