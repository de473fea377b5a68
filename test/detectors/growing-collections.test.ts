import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { analyzeSnapshots, findingTitle, holderText, loadSnapshot, retainerPathText, type AnalysisResult, type Finding } from '../../src/index.js';
import { REQUESTS_PER_PHASE, runFixture, type FixtureSnapshots } from './fixture-snapshots.js';

function collection(result: AnalysisResult, holder: string): Finding {
  const finding = result.findings.find((f) => f.kind === 'growing-collections' && f.subject.holder !== null && holderText(f.subject.holder) === holder);
  assert.ok(finding, `no finding for ${holder} in ${JSON.stringify(result.findings.map((f) => findingTitle(f)))}`);
  return finding;
}

function assertGrowsPerRequest(finding: Finding): void {
  const [base, target, final] = finding.evidence.counts as [number, number, number];
  assert.equal(target - base, REQUESTS_PER_PHASE);
  assert.equal(final - target, REQUESTS_PER_PHASE);
  assert.equal(finding.severity, 'leak');
}

describe('growing-collections on a module-level Map cache without eviction', () => {
  let result: AnalysisResult;
  let snapshots: FixtureSnapshots;
  before(async () => {
    snapshots = await runFixture('growing-map');
    result = await analyzeSnapshots(snapshots.all);
  });

  test('already-loaded snapshots (no loader thread, nothing slimmed) give the same findings as paths', async () => {
    const loaded = [];
    for (const path of snapshots.all) loaded.push(await loadSnapshot(path));
    const fromLoaded = await analyzeSnapshots(loaded);
    assert.deepEqual(fromLoaded.findings, result.findings);
    assert.deepEqual(fromLoaded.classGrowth, result.classGrowth);
    assert.deepEqual(fromLoaded.verdict, result.verdict);
  });

  test('names the variable holding the Map and counts its entries exactly', () => {
    const finding = collection(result, 'sessionCache');
    assert.equal(finding.evidence.unit, 'entries');
    assertGrowsPerRequest(finding);
    assert.ok(finding.kind === 'growing-collections');
    assert.deepEqual(finding.subject.holder, { root: { kind: 'variable', name: 'sessionCache' }, steps: [] });
    assert.equal(finding.subject.collection, 'Map');
    assert.match(findingTitle(finding), /^sessionCache: Map of [\d,]+ entries/);
    // One entry per request of the base → target round is still there in final.
    assert.equal(finding.evidence.survivingCount, REQUESTS_PER_PHASE);
    assert.equal(result.verdict.leak, true);
  });

  test('locates the Map at the module that declares it', () => {
    const finding = collection(result, 'sessionCache');
    assert.match(finding.location?.script ?? '', /growing-map\.mjs$/);
    assert.match(retainerPathText(finding.retainerPath), /::sessionCache → Map$/);
  });
});

describe('growing-collections on a dictionary object and an Array held by properties', () => {
  let result: AnalysisResult;
  before(async () => {
    result = await analyzeSnapshots((await runFixture('growing-dictionary')).all);
  });

  test('finds the plain object used as a dictionary, named by its property path', () => {
    const finding = collection(result, 'registry.pendingById');
    assert.equal(finding.evidence.unit, 'properties');
    assertGrowsPerRequest(finding);
  });

  test('finds the Array that is pushed to on every request', () => {
    const finding = collection(result, 'registry.auditLog');
    assert.equal(finding.evidence.unit, 'elements');
    assertGrowsPerRequest(finding);
  });

  test('does not report the dictionary keys again as a growing class', () => {
    assert.deepEqual(result.findings.filter((f) => f.kind === 'class-growth' && f.severity === 'leak').map((f) => findingTitle(f)), []);
  });
});
