import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { analyzeSnapshots, diffSuite, githubAnnotations, renderDiffHtml, renderFindingsText, renderJunit, renderMarkdown, type AnalysisResult } from '../../src/index.js';
import { plainStyle } from '../../src/report/index.js';
import { writeLiveSnapshots } from '../helpers/live-snapshot.js';
import { REQUESTS_PER_PHASE, runFixture } from './fixture-snapshots.js';

// Issue 11, items 4 and 6: one bug, one cause; bytes that add up.
describe('a per-request logger on one shared transport is one cause', () => {
  let result: AnalysisResult;
  before(async () => {
    result = await analyzeSnapshots((await runFixture('per-request-logger')).all);
  });

  test('its several findings form one cause, held by the shared transport, ranked first', () => {
    assert.ok(result.findings.length >= 3, JSON.stringify(result.findings.map((f) => f.kind)));
    assert.equal(result.causes?.length, 1, JSON.stringify(result.causes));
    const [cause] = result.causes!;
    assert.equal(cause!.holder?.className, 'ConsoleTransport');
    const head = result.findings[cause!.findingIndex]!;
    assert.equal(head.kind, 'duplicate-listeners');
    assert.equal(head.kind === 'duplicate-listeners' && head.subject.emitter, 'ConsoleTransport');
    assert.deepEqual([cause!.findingIndex, ...cause!.related].sort(), result.findings.map((_, index) => index));
    assert.equal(result.verdict.leakCauseCount, 1);
    assert.equal(result.verdict.leakCount, result.findings.length);
  });

  test("the cause's bytes account for most of the heap's growth, which the findings alone do not", () => {
    const account = result.heapGrowth!;
    assert.ok(account.bytes > 0);
    assert.ok(account.explainedBytes >= 0.8 * account.bytes, JSON.stringify(account));
    assert.ok(account.explainedBytes <= account.bytes * 1.05, JSON.stringify(account));
    // Three listeners per request share one logger, so no single listener retains it: the
    // findings' own bytes miss most of what the transport keeps.
    const findingBytes = result.findings.reduce((sum, f) => sum + f.growth.bytes, 0);
    assert.ok(findingBytes < 0.5 * account.bytes, `${findingBytes} of ${account.bytes}`);
    // Each request keeps a logger, its metadata and a 512-character body at least.
    assert.ok(result.causes![0]!.growthBytes > 2 * REQUESTS_PER_PHASE * 512);
  });

  test('text, HTML and CI outputs lead with the cause and count causes', () => {
    const text = renderFindingsText(result, plainStyle);
    assert.match(text, /one cause: 3 findings under ConsoleTransport @\d+, which keeps [\d.]+ KiB of objects allocated since the base/);
    assert.match(text, /LEAK: 1 cause \(3 findings\) crossed the thresholds/);
    assert.match(text, /the findings account for [\d.]+ KiB of the heap's [\d.]+ KiB growth \(\d+ %\)\n/);
    assert.doesNotMatch(text, /warning: the findings account/);
    const firstLeak = text.indexOf('LEAK    ');
    assert.equal(text.indexOf('LEAK    ', firstLeak + 1), -1, 'the related findings are nested, not listed as leaks of their own');

    const html = renderDiffHtml(result, { toolVersion: 'test' });
    assert.match(html, /1 cause \(3 findings\) crossed the thresholds/);
    assert.equal((html.match(/<article class="card/g) ?? []).length, 1);
    assert.equal((html.match(/<ul class="related"><li/g) ?? []).length, 1);

    const suite = diffSuite(result, { cwd: process.cwd(), workspace: process.cwd() });
    assert.match(suite.headline, /^LEAK: 1 cause \(3 findings\)/);
    const failed = suite.checks.filter((check) => check.status === 'failed');
    assert.equal(failed.length, 3);
    assert.equal(failed.filter((check) => check.details.some((line) => line.startsWith('one cause: 3 findings under ConsoleTransport'))).length, 1);
    assert.equal(failed.filter((check) => check.details.some((line) => line.startsWith('part of one cause with: ConsoleTransport'))).length, 2);
    assert.match(renderMarkdown(suite), /1 cause \(3 findings\)/);
    assert.match(renderJunit([suite]), /part of one cause with/);
    assert.ok(githubAnnotations(suite).some((line) => line.includes('one cause: 3 findings')));
  });
});

describe('causes and heap growth on other graphs', () => {
  test('on other leaking fixtures the causes account for most of the heap growth, and one emitter\'s events are one cause', async () => {
    for (const name of ['wrapped-listeners', 'growing-map']) {
      const result = await analyzeSnapshots((await runFixture(name)).all);
      const account = result.heapGrowth!;
      assert.ok(account.explainedBytes >= 0.8 * account.bytes, `${name}: ${JSON.stringify(account)}`);
      if (name !== 'wrapped-listeners') continue;
      // Four events on one bus, plus the retry callbacks kept in one Array: six findings, two bugs.
      assert.equal(result.verdict.leakCount, 6, JSON.stringify(result.findings.map((f) => f.kind)));
      assert.equal(result.verdict.leakCauseCount, 2, JSON.stringify(result.causes));
      const bus = result.causes!.find((cause) => cause.related.length === 3)!;
      assert.ok(bus && [bus.findingIndex, ...bus.related].every((index) => result.findings[index]!.kind === 'duplicate-listeners'), JSON.stringify(result.causes));
    }
  });

  test('two unrelated leaks stay two causes', async (t) => {
    const snapshots = await writeLiveSnapshots(t, `
      import { EventEmitter } from 'node:events';
      const jobs = new EventEmitter(); jobs.setMaxListeners(0);
      const sessions = new Map();
      const work = (round) => { for (let i = 0; i < 400; i++) {
        const request = { id: round * 1000 + i, body: 'r'.repeat(200) };
        jobs.on('done', () => request.id);
        sessions.set('s' + round + '-' + i, { user: 'u' + i, data: 's'.repeat(300) });
      } };
      work(0); gc(); snapshot(); work(1); gc(); snapshot(); work(2); gc(); snapshot();
      globalThis.keep = [jobs, sessions];`);
    const result = await analyzeSnapshots(snapshots);
    const leaks = result.causes!.filter((cause) => cause.severity === 'leak');
    assert.deepEqual(leaks.map((cause) => cause.holder?.className).sort(), ['EventEmitter', 'Map'], JSON.stringify(result.causes));
    assert.equal(result.verdict.leakCauseCount, 2);
  });

  test('growth no finding names is said to be unexplained', async (t) => {
    // One long flat string (join, not repeat: repeat builds a tree of small cons strings) that keeps
    // getting longer: no count grows, so no detector can name it, while a small listener leak
    // beside it is found.
    const snapshots = await writeLiveSnapshots(t, `
      import { EventEmitter } from 'node:events';
      const bus = new EventEmitter(); bus.setMaxListeners(0);
      const work = (round) => {
        for (let i = 0; i < 300; i++) { const id = round * 1000 + i; bus.on('tick', () => id); }
        globalThis.journal = new Array(1_000_000 * (round + 1)).fill('j').join('');
      };
      work(0); gc(); snapshot(); work(1); gc(); snapshot(); work(2); gc(); snapshot();
      globalThis.bus = bus;`, { timeoutMs: 60_000 });
    const result = await analyzeSnapshots(snapshots);
    assert.ok(result.verdict.leak, JSON.stringify(result.findings.map((f) => f.kind)));
    const account = result.heapGrowth!;
    assert.ok(account.explainedBytes < 0.5 * account.bytes, JSON.stringify(account));
    assert.match(renderFindingsText(result, plainStyle), /warning: the findings account for .* growth \(\d+ %\): the rest is in objects no finding names/);
    assert.ok(diffSuite(result, { cwd: process.cwd(), workspace: process.cwd() }).notes.some((note) => /no finding names/.test(note)));
  });
});
