import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { analyzeSnapshots, findingTitle, type AnalysisResult, type Finding } from '../../src/index.js';
import { fixtureLine, fixturePath, REQUESTS_PER_PHASE, runFixture } from './fixture-snapshots.js';

// Issue 11, item 3: wrappers hide the user's function.
describe('wrapped listeners and callbacks are named by the function the user wrote', () => {
  let result: AnalysisResult;
  before(async () => {
    result = await analyzeSnapshots((await runFixture('wrapped-listeners')).all);
  });

  function listenerFinding(event: string): Extract<Finding, { kind: 'duplicate-listeners' }> {
    const finding = result.findings.find((f) => f.kind === 'duplicate-listeners' && f.subject.event === event);
    assert.ok(finding && finding.kind === 'duplicate-listeners', `no finding for '${event}': ${JSON.stringify(result.findings.map((f) => findingTitle(f)))}`);
    return finding;
  }

  const cases = [
    { event: 'config', functionName: 'onConfigChange', wrapper: 'bind', words: /wrapped by fn\.bind\(\)/ },
    { event: 'shutdown', functionName: 'onShutdown', wrapper: 'once', words: /wrapped by once\(\)/ },
    { event: 'tenant', functionName: 'onTenantEvent', wrapper: 'async-context', words: /wrapped by AsyncResource\.bind\(\)/ },
    { event: 'lookup', functionName: 'lookupUser', wrapper: 'promisify', words: /wrapped by util\.promisify\(\)/ },
  ] as const;
  for (const { event, functionName, wrapper, words } of cases) {
    test(`'${event}' listeners (${wrapper}) are grouped under ${functionName} at its line in the fixture`, () => {
      const finding = listenerFinding(event);
      assert.equal(finding.severity, 'leak');
      assert.equal(finding.growth.count, 2 * REQUESTS_PER_PHASE);
      const top = finding.evidence.groups![0]!;
      assert.equal(top.count, finding.evidence.counts[2]);
      assert.equal(top.wrapper, wrapper);
      assert.equal(top.location?.functionName, functionName);
      assert.equal(top.location?.script, fixturePath('wrapped-listeners'));
      assert.equal(top.location?.line, fixtureLine('wrapped-listeners', `function ${functionName}(`));
      assert.deepEqual(finding.location, top.location);
      const title = findingTitle(finding);
      assert.match(title, new RegExp(`all ${functionName} at wrapped-listeners\\.mjs:\\d+:\\d+`));
      assert.match(title, words);
      assert.doesNotMatch(title, /node:|native_bind|onceWrapper/);
    });
  }

  test('bound callbacks kept per request are one closures finding named by their target', () => {
    const finding = result.findings.find((f) => f.kind === 'retained-closures' && f.subject.functionName === 'retryRequest');
    assert.ok(finding && finding.kind === 'retained-closures', JSON.stringify(result.findings.map((f) => findingTitle(f))));
    assert.equal(finding.subject.wrapper, 'bind');
    assert.equal(finding.location?.line, fixtureLine('wrapped-listeners', 'function retryRequest('));
    assert.ok(finding.growth.count >= 2 * REQUESTS_PER_PHASE, String(finding.growth.count));
    assert.match(findingTitle(finding), /closures retryRequest\(\).*wrapped by fn\.bind\(\)/);
  });

  test('no finding is named by a wrapper of Node\'s', () => {
    const named = result.findings.filter((f) => f.location !== null).map((f) => f.location!.script);
    assert.deepEqual(named.filter((script) => script.startsWith('node:')), []);
  });
});
