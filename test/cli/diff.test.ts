import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { exitCodeForAnalysis } from '../../cli/commands/diff.js';
import { parseAnalysisConfig, parseFailOn } from '../../cli/config-file.js';
import { ANALYSIS_SCHEMA_VERSION, type AnalysisResult } from '../../src/index.js';
import { REQUESTS_PER_PHASE, runFixture, type FixtureSnapshots } from '../detectors/fixture-snapshots.js';
import { runCli } from '../helpers/run-cli.js';

describe('leakcheck diff', () => {
  let leaky: FixtureSnapshots;
  let clean: FixtureSnapshots;
  let workDir: string;
  before(async () => {
    [leaky, clean] = await Promise.all([runFixture('listener-per-request'), runFixture('clean')]);
    workDir = mkdtempSync(join(tmpdir(), 'leakcheck-cli-diff-'));
    process.once('exit', () => rmSync(workDir, { recursive: true, force: true }));
  });

  test('exits 1 on a leak and prints the finding with its location and path', async () => {
    const result = await runCli(['diff', ...leaky.all]);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stdout, /LEAK +JobQueue 'error': [\d,]+ listeners \(\+[\d,]+\), all onQueueError at listener-per-request\.mjs:\d+:\d+/);
    assert.match(result.stdout, /JobQueue\._events\.error\[\d+\]/);
    assert.match(result.stdout, /^LEAK: 1 finding crossed the thresholds/m);
  });

  test('--html writes the findings and the class chart as one page, and the exit code stays the verdict', async () => {
    const file = join(workDir, 'diff.html');
    const result = await runCli(['diff', ...leaky.all, '--html', file]);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stdout, /^LEAK: 1 finding crossed the thresholds/m, 'the text still goes to stdout');
    const html = readFileSync(file, 'utf8');
    assert.match(html, /<article class="card" data-finding="0">\n<h3>JobQueue &#39;error&#39;: [\d,]+ listeners/);
    const charts = JSON.parse(/<script type="application\/json" id="data">([\s\S]*?)<\/script>/.exec(html)![1]!).charts;
    assert.equal(charts[0].id, 'chart-classes');
    assert.deepEqual(charts[0].x.names, ['base', 'target', 'final']);
    assert.equal((statSync(file).mode & 0o777).toString(8), '600');
    const unwritable = await runCli(['diff', ...leaky.all, '--html', join(workDir, 'no-such-dir', 'x.html')]);
    assert.equal(unwritable.status, 2);
    assert.match(unwritable.stderr, /no-such-dir\/x\.html.*cannot write the output/);
  });

  test('exits 0 on the clean fixture', async () => {
    const result = await runCli(['diff', ...clean.all]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^clean: nothing crossed the thresholds/m);
  });

  test('--json prints one versioned object with the documented fields', async () => {
    const result = await runCli(['diff', ...leaky.all, '--json']);
    assert.equal(result.status, 1, result.stderr);
    const json = JSON.parse(result.stdout) as AnalysisResult;
    assert.equal(json.schemaVersion, ANALYSIS_SCHEMA_VERSION);
    assert.equal(json.method, 'three-snapshot');
    assert.deepEqual(json.snapshots.map((s) => s.path), leaky.all);
    assert.equal(json.verdict.leak, true);
    const finding = json.findings[0]!;
    assert.deepEqual(Object.keys(finding), ['kind', 'severity', 'subject', 'retainedSize', 'growth', 'location', 'retainerPath', 'evidence']);
    assert.equal(finding.kind, 'duplicate-listeners');
    assert.deepEqual(Object.keys(finding.subject), ['emitter', 'emitterId', 'event']);
    for (const step of finding.retainerPath!.steps) {
      assert.deepEqual(Object.keys(step).sort(), ['className', 'edge', 'edgeType', 'nodeId', 'nodeType', 'passThrough']);
      assert.equal(typeof step.nodeId, 'number');
    }
    assert.deepEqual(json.verdict, {
      leak: true, leakCount: json.findings.filter((f) => f.severity === 'leak').length, suspectCount: json.findings.filter((f) => f.severity === 'suspect').length,
      leakCauseCount: json.causes!.filter((c) => c.severity === 'leak').length,
    });
    assert.deepEqual(Object.keys(json.causes![0]!), ['findingIndex', 'related', 'severity', 'holder', 'growthBytes']);
    assert.deepEqual(Object.keys(json.heapGrowth!), ['bytes', 'explainedBytes']);
    assert.equal(finding.evidence.counts.length, 3);
    assert.ok(Array.isArray(json.classGrowth) && json.classGrowth.length > 0);
  });

  test('--fail-on above the growth lets the same leak pass (exit 0) but still reports it', async () => {
    // Just above the listener growth (one per request in each of two phases).
    const result = await runCli(['diff', ...leaky.all, '--fail-on', `bytes=1GiB,count=${2 * REQUESTS_PER_PHASE + 1}`, '--json']);
    assert.equal(result.status, 0, result.stderr);
    const json = JSON.parse(result.stdout) as AnalysisResult;
    assert.equal(json.thresholds.minGrowthBytes, 1024 ** 3);
    assert.ok(json.findings.some((f) => f.kind === 'duplicate-listeners' && f.severity === 'suspect'));
  });

  test('--detector runs only the named detectors', async () => {
    const result = await runCli(['diff', ...leaky.all, '--detector', 'class-growth', '--json']);
    const json = JSON.parse(result.stdout) as AnalysisResult;
    assert.deepEqual(json.detectors, ['class-growth']);
    assert.equal(json.findings.some((f) => f.kind === 'duplicate-listeners'), false);
  });

  test('reads thresholds from ./leakcheck.config.json in the working directory', async () => {
    writeFileSync(join(workDir, 'leakcheck.config.json'), JSON.stringify({
      thresholds: { minGrowthCount: 1_000_000, minGrowthBytes: 1e12 },
      detectorThresholds: { 'class-growth': { minGrowthCount: 2_000_000 } },
    }));
    const result = await runCli(['diff', ...leaky.all, '--json'], workDir);
    assert.equal(result.status, 0, result.stderr);
    const json = JSON.parse(result.stdout) as AnalysisResult;
    assert.equal(json.thresholds.minGrowthCount, 1_000_000);
    assert.equal(json.detectorThresholds['class-growth']?.minGrowthCount, 2_000_000);
    // The global threshold set by the user replaces the built-in listener default too.
    assert.equal(json.detectorThresholds['duplicate-listeners'], undefined);
  });

  test('--fail-on wins over the config file', async () => {
    const result = await runCli(['diff', ...leaky.all, '--fail-on', 'count=100', '--json'], workDir);
    assert.equal(result.status, 1, result.stderr);
    assert.equal((JSON.parse(result.stdout) as AnalysisResult).thresholds.minGrowthCount, 100);
  });

  test('an invalid config file exits 2 naming the file and the field', async () => {
    const config = join(workDir, 'bad.json');
    writeFileSync(config, JSON.stringify({ thresholds: { minGrowthBytes: 'lots' } }));
    const result = await runCli(['diff', ...leaky.all, '--config', config]);
    assert.equal(result.status, 2);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: thresholds\\.minGrowthBytes: must be a number`));
  });

  test('a misspelt top-level key in the config file exits 2 naming the file and the key', async () => {
    const typoDir = mkdtempSync(join(workDir, 'typo-'));
    writeFileSync(join(typoDir, 'leakcheck.config.json'), JSON.stringify({ thresholdz: { minGrowthCount: 1 } }));
    const result = await runCli(['diff', ...leaky.all], typoDir);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /^leakcheck: .*leakcheck\.config\.json: thresholdz: unknown key \(known: thresholds, detectors, detectorThresholds\)\n$/);
  });

  test('a missing snapshot exits 2 with one line naming it', async () => {
    const missing = join(workDir, 'nope.heapsnapshot');
    const result = await runCli(['diff', leaky.base, missing]);
    assert.equal(result.status, 2);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.ok(result.stderr.includes(missing));
  });

  test('a missing earlier snapshot (loaded in the worker thread) exits 2 with one line naming it', async () => {
    const missing = join(workDir, 'gone.heapsnapshot');
    const result = await runCli(['diff', missing, leaky.target, leaky.final]);
    assert.equal(result.status, 2);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.ok(result.stderr.includes(missing), result.stderr);
    assert.match(result.stderr, /cannot read/);
  });

  test('with several missing snapshots the error names the first one given', async () => {
    const first = join(workDir, 'first-missing.heapsnapshot');
    const last = join(workDir, 'last-missing.heapsnapshot');
    const result = await runCli(['diff', first, leaky.target, last]);
    assert.equal(result.status, 2);
    assert.ok(result.stderr.includes(first), result.stderr);
    assert.ok(!result.stderr.includes(last), result.stderr);
  });

  test('snapshots in the wrong order exit 2 and say to reorder them', async () => {
    const result = await runCli(['diff', leaky.final, leaky.base]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /oldest first/);
  });

  test('snapshots of two different processes exit 2', async () => {
    const result = await runCli(['diff', clean.base, leaky.target]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /not from the process|only comparable/);
  });
});

describe('diff command decisions (pure functions)', () => {
  test('exit code follows the verdict', () => {
    assert.equal(exitCodeForAnalysis({ verdict: { leak: true, leakCount: 1, suspectCount: 0 } }), 1);
    assert.equal(exitCodeForAnalysis({ verdict: { leak: false, leakCount: 0, suspectCount: 2 } }), 0);
  });

  test('--fail-on reads byte units in powers of 1000 and 1024 and whole counts', () => {
    assert.deepEqual(parseFailOn('bytes=1MB,count=1000'), { minGrowthBytes: 1_000_000, minGrowthCount: 1000 });
    assert.deepEqual(parseFailOn('bytes=1.5MiB'), { minGrowthBytes: 1.5 * 1024 * 1024 });
    assert.deepEqual(parseFailOn('count=5'), { minGrowthCount: 5 });
    assert.throws(() => parseFailOn('count=1.5'), /whole number/);
    assert.throws(() => parseFailOn('bytes=3parsecs'), /unknown byte unit/);
    assert.throws(() => parseFailOn('size=3'), /cannot read/);
    assert.throws(() => parseFailOn(''), /names no threshold/);
  });

  test('config validation names the field at fault', () => {
    const ids = ['duplicate-listeners', 'class-growth'];
    assert.deepEqual(parseAnalysisConfig({ thresholds: { minGrowthCount: 5 }, detectors: ['class-growth'] }, 'c.json', ids), {
      thresholds: { minGrowthCount: 5 }, detectors: ['class-growth'],
    });
    assert.deepEqual(parseAnalysisConfig({}, 'c.json', ids), {});
    assert.throws(() => parseAnalysisConfig({ thresholdz: { minGrowthCount: 5 } }, 'c.json', ids), /thresholdz: unknown key \(known: thresholds, detectors, detectorThresholds\)/);
    assert.throws(() => parseAnalysisConfig({ thresholds: {}, run: { anything: true } }, 'c.json', ids), /run: unknown key/);
    assert.throws(() => parseAnalysisConfig([], 'c.json', ids), /top level/);
    assert.throws(() => parseAnalysisConfig({ detectors: ['nope'] }, 'c.json', ids), /detectors: unknown detector 'nope'/);
    assert.throws(() => parseAnalysisConfig({ thresholds: { minGrowthBites: 1 } }, 'c.json', ids), /thresholds\.minGrowthBites: unknown field/);
    assert.throws(() => parseAnalysisConfig({ detectorThresholds: { 'class-growth': { minGrowthCount: -1 } } }, 'c.json', ids), /detectorThresholds\.class-growth\.minGrowthCount: must be a number >= 0/);
  });
});
