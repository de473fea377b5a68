import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { analyzeSnapshots, findingTitle, holderText, type AnalysisResult } from '../../src/index.js';
import { REQUESTS_PER_PHASE, runFixture } from './fixture-snapshots.js';

describe('class-growth on a chain of RequestTrace objects (no collection, listener or timer)', () => {
  let result: AnalysisResult;
  before(async () => {
    result = await analyzeSnapshots((await runFixture('linked-traces')).all);
  });

  test('reports the class, clustered by what holds its objects', () => {
    const finding = result.findings.find((f) => f.kind === 'class-growth' && f.subject.className === 'RequestTrace');
    assert.ok(finding, JSON.stringify(result.findings.map((f) => findingTitle(f))));
    assert.equal(finding.severity, 'leak');
    assert.ok(finding.kind === 'class-growth' && finding.subject.holder);
    assert.deepEqual(finding.subject.holder, { root: { kind: 'object', name: 'RequestTrace' }, steps: [{ kind: 'property', name: 'previous' }] });
    assert.equal(holderText(finding.subject.holder), 'RequestTrace.previous');
    assert.equal(finding.evidence.survivingCount, REQUESTS_PER_PHASE);
    const [base, target, final] = finding.evidence.counts as [number, number, number];
    assert.equal(target - base, REQUESTS_PER_PHASE);
    assert.equal(final - target, REQUESTS_PER_PHASE);
    assert.equal(result.verdict.leak, true);
  });

  test('the objects the traces own (headers) are part of the finding, not findings of their own', () => {
    const leakKinds = result.findings.filter((f) => f.severity === 'leak').map((f) => findingTitle(f));
    assert.equal(leakKinds.length, 1, JSON.stringify(leakKinds));
  });
});
