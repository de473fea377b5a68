import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { analyzeSnapshots, findingTitle, retainerPathText, type AnalysisResult, type Finding } from '../../src/index.js';
import { fixtureLine, REQUESTS_PER_PHASE, runFixture } from './fixture-snapshots.js';

// Issue 11, item 5: titles name the owner as the user wrote it.
describe('findings on the owner-names fixture name what the user wrote', () => {
  let result: AnalysisResult;
  before(async () => {
    result = await analyzeSnapshots((await runFixture('owner-names')).all);
  });
  const titles = () => JSON.stringify(result.findings.map((f) => findingTitle(f)));
  function find<K extends Finding['kind']>(kind: K, test: (f: Extract<Finding, { kind: K }>) => boolean): Extract<Finding, { kind: K }> {
    const finding = result.findings.find((f): f is Extract<Finding, { kind: K }> => f.kind === kind && test(f as Extract<Finding, { kind: K }>));
    assert.ok(finding, titles());
    return finding;
  }

  test('a Set stored in a Map is named by the Map\'s holder and its key', () => {
    const finding = find('growing-collections', (f) => f.subject.collection === 'Set');
    assert.deepEqual(finding.subject.holder, {
      root: { kind: 'object', name: 'Adapter' }, steps: [{ kind: 'property', name: 'sids' }, { kind: 'entry', key: 'lobby' }],
    });
    assert.match(findingTitle(finding), /^Adapter\.sids\.get\("lobby"\): Set of/);
    assert.equal(finding.severity, 'leak');
  });

  test('an emitter whose class mixed in EventEmitter (as ioredis does) is named by its own class', () => {
    const finding = find('duplicate-listeners', (f) => f.subject.event === 'message');
    assert.equal(finding.subject.emitter, 'Subscriber');
    assert.match(findingTitle(finding), /^Subscriber 'message': /);
    assert.match(retainerPathText(finding.retainerPath), /Subscriber\._events\.message/);
  });

  test('live sockets name the user object that holds them', () => {
    const finding = find('live-handles', (f) => f.subject.handleKind === 'sockets');
    assert.deepEqual(finding.subject.owners?.[0], { className: 'PeerClient', property: 'socket', count: REQUESTS_PER_PHASE });
    assert.match(findingTitle(finding), /held by PeerClient\.socket/);
  });

  test('pending promises name the async function whose calls never settle, and the chain collapses', () => {
    const finding = find('live-handles', (f) => f.subject.handleKind === 'promises');
    const top = finding.evidence.groups?.[0];
    assert.equal(top?.location?.functionName, 'waitForTurn');
    assert.equal(top?.location?.line, fixtureLine('owner-names', 'async function waitForTurn'));
    assert.ok(top!.count >= REQUESTS_PER_PHASE, String(top!.count));
    assert.match(findingTitle(finding), /never settled, each the call of async waitForTurn at owner-names\.mjs:\d+/);
    assert.match(retainerPathText(finding.retainerPath), /\(Promise\.reactions_or_result\[\d+\] → .*\) ×\d+/);
  });
});
