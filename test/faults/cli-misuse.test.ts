import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { tmpDir } from '../helpers/tmp-dir.js';
import { cliCases, makeCliFixtures, runAll } from './cli-cases.js';

// Issue 14 items 13-23: every misuse ends in its expected exit status, one line on stderr, no
// stack trace, and no hang (FIFOs without a writer included: their message names the 300 ms
// wait, and a case that outlives 60 s counts as a hang).
test('CLI misuse and hostile inputs: clean one-line errors, no crash, no hang', async (t) => {
  const dir = tmpDir(t);
  const cases = cliCases(makeCliFixtures(dir, 'small'), (path) => execFileSync('mkfifo', [path])).filter((c) => !c.benchOnly);
  const results = await runAll(cases, 3, 60_000);
  const bad = [...results].filter(([, r]) => r.outcome !== 'clean')
    .map(([c, r]) => `${c.name}: ${r.outcome}, exit ${r.status} after ${r.ms} ms\n  stderr: ${r.stderr.trim()}\n  stdout: ${r.stdout.slice(0, 300)}`);
  assert.deepEqual(bad, []);
});
