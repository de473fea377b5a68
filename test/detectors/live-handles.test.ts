import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { analyzeSnapshots, findingTitle, type AnalysisResult } from '../../src/index.js';
import { fixtureLine, REQUESTS_PER_PHASE, runFixture } from './fixture-snapshots.js';

describe('live-handles on the timers fixture (an interval and a never-settled promise per request)', () => {
  let result: AnalysisResult;
  before(async () => {
    result = await analyzeSnapshots((await runFixture('timers')).all);
  });

  test('finds the growing Timeouts and names the callback they run', () => {
    const finding = result.findings.find((f) => f.kind === 'live-handles' && f.subject.className === 'Timeout');
    assert.ok(finding, JSON.stringify(result.findings.map((f) => findingTitle(f))));
    assert.equal(finding.severity, 'leak');
    assert.equal(finding.growth.count, 2 * REQUESTS_PER_PHASE);
    assert.equal(finding.location?.functionName, 'heartbeat');
    assert.equal(finding.location?.line, fixtureLine('timers', 'function heartbeat'));
    assert.ok(finding.kind === 'live-handles');
    assert.equal(finding.subject.handleKind, 'timers');
    assert.match(findingTitle(finding), /running heartbeat at timers\.mjs/);
  });

  test('finds the pending promises', () => {
    const finding = result.findings.find((f) => f.kind === 'live-handles' && f.subject.className === 'Promise');
    assert.ok(finding, JSON.stringify(result.findings.map((f) => findingTitle(f))));
    assert.equal(finding.growth.count, 2 * REQUESTS_PER_PHASE);
    assert.equal(finding.evidence.survivingCount, REQUESTS_PER_PHASE);
  });

  test('reports the heartbeat closures as part of their timers, not as a separate closure leak', () => {
    assert.equal(result.findings.some((f) => f.kind === 'retained-closures' && f.location?.functionName === 'heartbeat'), false);
  });
});
