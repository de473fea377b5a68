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

describe('class-growth beside a cache at its bound that overwrites a third of its entries each phase (fixtures/apps/fifo-cache.mjs)', () => {
  let wobble: AnalysisResult;
  let leak: AnalysisResult;
  before(async () => {
    wobble = await analyzeSnapshots((await runFixture('fifo-cache', { FIFO_GROWTH: '10' })).all);
    leak = await analyzeSnapshots((await runFixture('fifo-cache', { FIFO_GROWTH: '400' })).all);
  });
  const frames = (result: AnalysisResult) => result.findings.filter((f) => f.kind === 'class-growth' && f.subject.className === 'Frame');

  test('1,500 new entries survive (1.5 MiB of bodies) while the class grows by 10 a phase: churn, no finding', () => {
    assert.deepEqual(frames(wobble).map((f) => `${f.severity} ${findingTitle(f)}`), []);
    assert.equal(wobble.verdict.leak, false, JSON.stringify(wobble.findings.map((f) => findingTitle(f))));
  });

  test('with 400 a phase kept for good, the class is a leak, and the chain that keeps them is named', () => {
    const chain = frames(leak).find((f) => f.kind === 'class-growth' && f.subject.holder !== null && holderText(f.subject.holder) === 'Frame.previous');
    assert.ok(chain, JSON.stringify(leak.findings.map((f) => findingTitle(f))));
    assert.equal(chain.severity, 'leak');
    assert.equal(leak.verdict.leak, true);
  });
});
