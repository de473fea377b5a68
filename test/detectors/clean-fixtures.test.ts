import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { analyzeSnapshots, findingTitle, type AnalysisResult } from '../../src/index.js';
import { runFixture, type FixtureSnapshots } from './fixture-snapshots.js';

function leakTitles(result: AnalysisResult): string[] {
  return result.findings.filter((f) => f.severity === 'leak').map((f) => findingTitle(f));
}

describe('fixtures without a leak pass the gate', () => {
  const snapshots = new Map<string, FixtureSnapshots>();
  before(async () => {
    for (const name of ['clean', 'churn', 'bounded-cache']) snapshots.set(name, await runFixture(name));
  });

  test('an HTTP server that removes its listener when the response finishes is clean', async () => {
    const result = await analyzeSnapshots(snapshots.get('clean')!.all);
    assert.deepEqual(leakTitles(result), []);
    assert.equal(result.verdict.leak, false);
    assert.equal(result.method, 'three-snapshot');
  });

  test('allocation churn that is freed by the final snapshot is clean', async () => {
    const result = await analyzeSnapshots(snapshots.get('churn')!.all);
    assert.deepEqual(leakTitles(result), []);
    assert.equal(result.verdict.leak, false);
  });

  test('an LRU cache that fills up and then stops growing is clean, and is not even a suspect', async () => {
    const result = await analyzeSnapshots(snapshots.get('bounded-cache')!.all);
    assert.deepEqual(leakTitles(result), []);
    assert.equal(result.findings.some((f) => f.kind === 'growing-collections'), false, JSON.stringify(result.findings.map((f) => findingTitle(f))));
  });

  test('with only base and target, the cache filling up to its bound stays under the thresholds', async () => {
    const { base, target } = snapshots.get('bounded-cache')!;
    const result = await analyzeSnapshots([base, target]);
    assert.equal(result.method, 'two-snapshot');
    assert.equal(result.verdict.leak, false);
    assert.deepEqual(result.warnings, [{ kind: 'two-snapshots' }]);
  });
});
