import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { analyzeSnapshots, findingTitle, retainerPathTokens, type AnalysisResult, type Finding } from '../../src/index.js';
import { fixtureLine, fixturePath, REQUESTS_PER_PHASE, runFixture } from './fixture-snapshots.js';

describe('duplicate-listeners on the listener-per-request fixture (emitter.on inside an HTTP handler)', () => {
  let result: AnalysisResult;
  before(async () => {
    const snapshots = await runFixture('listener-per-request');
    result = await analyzeSnapshots(snapshots.all);
  });

  test('finds the JobQueue error listeners and fails the gate', () => {
    const finding = result.findings.find((f) => f.kind === 'duplicate-listeners');
    assert.ok(finding, JSON.stringify(result.findings.map((f) => findingTitle(f))));
    assert.equal(finding.severity, 'leak');
    assert.equal(finding.kind, 'duplicate-listeners');
    assert.deepEqual([finding.subject.emitter, finding.subject.event], ['JobQueue', 'error']);
    assert.match(findingTitle(finding), /^JobQueue 'error': /);
    assert.equal(result.verdict.leak, true);
    assert.equal(result.verdict.leakCount, result.findings.filter((f) => f.severity === 'leak').length);
  });

  test('counts the listeners per snapshot: one more per request in each phase', () => {
    const finding = result.findings.find((f) => f.kind === 'duplicate-listeners')!;
    const [base, target, final] = finding.evidence.counts as [number, number, number];
    assert.equal(target - base, REQUESTS_PER_PHASE);
    assert.equal(final - target, REQUESTS_PER_PHASE);
    assert.equal(finding.growth.count, 2 * REQUESTS_PER_PHASE);
    assert.equal(finding.evidence.survivingCount, REQUESTS_PER_PHASE);
    assert.ok(finding.retainedSize > 0 && finding.growth.bytes > 0);
  });

  test('names the listener function and where it is defined', () => {
    const finding = result.findings.find((f) => f.kind === 'duplicate-listeners')!;
    assert.equal(finding.location?.script, fixturePath('listener-per-request'));
    assert.equal(finding.location?.line, fixtureLine('listener-per-request', 'function onQueueError'));
    assert.equal(finding.location?.functionName, 'onQueueError');
    assert.match(findingTitle(finding), /all onQueueError at listener-per-request\.mjs:\d+:\d+/);
    assert.equal(finding.evidence.groups?.length, 1);
  });

  test('keeps the retainer path as steps down to the newest listener of the emitter', () => {
    const finding = result.findings.find((f) => f.kind === 'duplicate-listeners')!;
    const steps = finding.retainerPath!.steps;
    const tail = steps.slice(-3).map((step) => [step.edge, step.edgeType]);
    assert.deepEqual(tail.slice(0, 2), [['_events', 'property'], ['error', 'property']]);
    assert.equal(tail[2]![1], 'element');
    assert.equal(steps[steps.length - 1]!.className, 'onQueueError');
    assert.equal(steps[steps.length - 1]!.nodeType, 'closure');
    const tokens = retainerPathTokens(finding.retainerPath);
    assert.match(tokens[tokens.length - 2]!, /^JobQueue\._events\.error\[\d+\]$/);
    assert.equal(tokens[tokens.length - 1], 'onQueueError()');
    assert.ok(tokens.some((token) => token.startsWith('Server._events.request')), tokens.join(' → '));
  });

  test('does not report the same memory again as closures or classes', () => {
    const others = result.findings.filter((f) => f.kind !== 'duplicate-listeners' && f.severity === 'leak');
    assert.deepEqual(others.map((f: Finding) => findingTitle(f)), []);
  });
});

describe('duplicate-listeners on an AbortSignal (EventTarget) that collects abort listeners', () => {
  let result: AnalysisResult;
  before(async () => {
    result = await analyzeSnapshots((await runFixture('abort-signal-listeners')).all);
  });

  test('finds the abort listeners, by event and function', () => {
    const finding = result.findings.find((f) => f.kind === 'duplicate-listeners');
    assert.ok(finding, JSON.stringify(result.findings.map((f) => findingTitle(f))));
    assert.equal(finding.kind, 'duplicate-listeners');
    assert.deepEqual([finding.subject.emitter, finding.subject.event], ['AbortSignal', 'abort']);
    assert.equal(finding.growth.count, 2 * REQUESTS_PER_PHASE);
    assert.equal(finding.location?.functionName, 'cancelFetch');
    assert.equal(finding.location?.line, fixtureLine('abort-signal-listeners', 'function cancelFetch'));
    assert.equal(result.verdict.leak, true);
  });
});
