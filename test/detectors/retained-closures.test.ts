import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { analyzeSnapshots, findingTitle, retainerPathText, retainerPathTokens, type AnalysisResult } from '../../src/index.js';
import { fixtureLine, fixturePath, REQUESTS_PER_PHASE, runFixture } from './fixture-snapshots.js';

describe('retained-closures on the closure-sharing-context fixture (theThing / unused)', () => {
  let result: AnalysisResult;
  before(async () => {
    result = await analyzeSnapshots((await runFixture('closure-sharing-context')).all);
  });

  test('finds the someMethod closures at their definition and fails the gate', () => {
    const finding = result.findings.find((f) => f.kind === 'retained-closures');
    assert.ok(finding, JSON.stringify(result.findings.map((f) => findingTitle(f))));
    assert.equal(finding.severity, 'leak');
    assert.equal(finding.location?.functionName, 'someMethod');
    assert.equal(finding.location?.script, fixturePath('closure-sharing-context'));
    assert.equal(finding.location?.line, fixtureLine('closure-sharing-context', 'someMethod: function someMethod'));
    assert.equal(result.verdict.leak, true);
  });

  test('grows by one closure per call in each phase', () => {
    const finding = result.findings.find((f) => f.kind === 'retained-closures')!;
    const [base, target, final] = finding.evidence.counts as [number, number, number];
    assert.equal(target - base, REQUESTS_PER_PHASE);
    assert.equal(final - target, REQUESTS_PER_PHASE);
    assert.equal(finding.evidence.survivingCount, REQUESTS_PER_PHASE);
  });

  test('shows that the shared scope variable originalThing holds the chain', () => {
    const finding = result.findings.find((f) => f.kind === 'retained-closures')!;
    const captured = finding.evidence.captured ?? [];
    const originalThing = captured.find((c) => c.name === 'originalThing');
    assert.ok(originalThing, JSON.stringify(captured));
    // The chain of previous things is most of what the cluster retains.
    assert.ok(originalThing.retainedSize > finding.retainedSize / 2, `${originalThing.retainedSize} vs ${finding.retainedSize}`);
    assert.match(findingTitle(finding), /originalThing/);
  });

  test('a retainer path through the chain is collapsed, not 600 steps long', () => {
    const finding = result.findings.find((f) => f.kind === 'retained-closures')!;
    assert.ok(retainerPathTokens(finding.retainerPath).length <= 8, retainerPathText(finding.retainerPath));
    assert.match(retainerPathText(finding.retainerPath), /originalThing/);
  });
});
