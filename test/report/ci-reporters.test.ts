import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { analyzeSnapshots } from '../../src/index.js';
import {
  diffSuite, escapeData, escapeProperty, githubAnnotations, renderJunit, renderMarkdown, runSuite, workspaceFile,
  type AnalysisResult, type CiSuite, type RunReport, type SeriesTrend, type SnapshotFinding, type VerdictReason,
} from '../../src/report/index.js';
import { fixturesDir } from '../helpers/paths.js';
import { elementsNamed, parseXml, type XmlElement } from '../helpers/xml.js';

/** Every character a report must carry safely: XML's specials, workflow commands' separators, Markdown's, and ones XML 1.0 forbids. */
const evil = 'Em<it>&"t\'er,a:b%c\r\nd\u0001\u001f\uD800|`*_[x](y)';

const heapTrend: SeriesTrend = {
  series: 'heapUsed', points: 6, firstBytes: 5e6, lastBytes: 9e6, growthBytes: 4e6, growthPer1000RequestsBytes: 1e6, growthPerSecondBytes: 0,
  pValue: 0.01, noiseBytes: 1e4, growthByPhaseBytes: [{ phase: 'load1', growthBytes: 2e6 }, { phase: 'load2', growthBytes: 2e6 }], increasing: true,
};
const externalTrend: SeriesTrend = { ...heapTrend, series: 'external', growthBytes: 0, pValue: 0.6, increasing: false };

function finding(emitter: string, line: number, script = '/srv/app/lib/queue.js'): SnapshotFinding {
  return {
    kind: 'duplicate-listeners', severity: 'leak', subject: { emitter, emitterId: 77, event: 'error' },
    retainedSize: 3e6, growth: { count: 600, bytes: 2e6 },
    location: { script, line, column: 9, functionName: 'onQueueError' },
    retainerPath: {
      steps: [
        { edge: 'queue', edgeType: 'property', nodeId: 77, className: 'EventEmitter', nodeType: 'object', passThrough: false },
        { edge: '_events', edgeType: 'property', nodeId: 78, className: 'Object', nodeType: 'object', passThrough: true },
        { edge: 'error', edgeType: 'property', nodeId: 79, className: 'Array', nodeType: 'object', passThrough: true },
        { edge: '599', edgeType: 'element', nodeId: 80, className: 'onQueueError', nodeType: 'closure', passThrough: false },
      ],
      omittedSteps: 0,
    },
    evidence: { unit: 'listeners', counts: [100, 400, 700], bytes: [1e6, 2e6, 3e6], survivingCount: 300, groups: [{ location: { script, line, column: 9, functionName: 'onQueueError' }, count: 700 }] },
  };
}

function analysis(findings: SnapshotFinding[]): AnalysisResult {
  const leaks = findings.filter((f) => f.severity === 'leak').length;
  return {
    schemaVersion: 2,
    snapshots: [0, 1, 2].map((k) => ({ path: `/r/0${k}.heapsnapshot`, nodeCount: 1000, edgeCount: 4000, totalBytes: 5e6 })),
    method: 'three-snapshot', thresholds: { minGrowthBytes: 1, minGrowthCount: 1 }, detectorThresholds: {},
    detectors: ['duplicate-listeners', 'class-growth'], findings, classGrowth: [], newInTarget: { count: 300, freedSinceBase: 0 }, survivingCount: 300,
    warnings: [], verdict: { leak: leaks > 0, leakCount: leaks, suspectCount: findings.length - leaks },
  };
}

/** A report as the runner writes it, with the verdict and analysis given. */
function report(verdict: RunReport['verdict'], result: AnalysisResult | null, extra: Partial<RunReport> = {}): RunReport {
  return {
    schemaVersion: 3, tool: { name: 'leakcheck', version: '0.1.0' }, runId: 'r1', startedAt: '2026-11-23T14:00:00.000Z', durationMs: 4000,
    command: ['node', 'app.js'], cwd: '/srv/app',
    options: { minGrowthBytes: 1048576, checkpointsPerPhase: 2, snapshots: true },
    target: { pid: 42, argv: ['node', 'app.js'], nodeVersion: 'v20.20.2', memwatch: { available: true }, agents: [], exit: null, crashed: false, outOfMemory: false, stderrTail: '' },
    phases: [], samples: [], gcs: [], checkpoints: [], trends: [heapTrend, externalTrend], memwatchRule: [],
    analysis: result, verdict,
    files: { dir: '/r', reportJson: '/r/report.json', reportHtml: '/r/report.html', statsJsonl: '/r/stats.jsonl', targetLog: '/r/target.log', snapshots: [] },
    ...extra,
  };
}

const trendReasons: VerdictReason[] = [
  { kind: 'heap-trend', leak: true, judgement: 'keeps-growing', trend: heapTrend, minGrowthBytes: 1048576 },
  { kind: 'off-heap-trend', leak: false, judgement: 'no-sustained-growth', trend: externalTrend, minGrowthBytes: 1048576 },
];
const flatTrends: VerdictReason[] = [
  { kind: 'heap-trend', leak: false, judgement: 'no-sustained-growth', trend: { ...heapTrend, increasing: false }, minGrowthBytes: 1048576 },
  trendReasons[1]!,
];
const options = { cwd: '/srv/app', workspace: '/srv/app' };

/** testcase name → its result element (failure, error, skipped) or 'passed'. */
function results(xml: XmlElement): Map<string, string> {
  return new Map(elementsNamed(xml, 'testcase').map((tc) => [tc.attributes['name']!, tc.children.find((c) => c.name !== 'system-out')?.name ?? 'passed']));
}

/** `::level k=v,k=v::data` back into its parts, undoing the runner's escapes. */
function parseAnnotation(line: string): { level: string; properties: Record<string, string>; message: string } {
  const match = /^::(\w+) ([^:]*)::(.*)$/.exec(line);
  assert.ok(match, `not a workflow command: ${line}`);
  const unescape = (text: string) => text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');
  const properties = Object.fromEntries(match[2]!.split(',').map((pair) => {
    const at = pair.indexOf('=');
    return [pair.slice(0, at), unescape(pair.slice(at + 1))];
  }));
  return { level: match[1]!, properties, message: unescape(match[3]!) };
}

test('the XML parser the tests trust is strict: a control character, a bare & or a mismatched tag is an error', () => {
  assert.throws(() => parseXml('<a>\u0001</a>'));
  assert.throws(() => parseXml('<a>&</a>'));
  assert.throws(() => parseXml('<a><b></a>'));
  assert.equal(parseXml('<a x="1&#10;2">t&amp;</a>').attributes['x'], '1\n2');
});

test('a leaking run: a testsuite with the heap trend and the finding failing, its location and retainer path in the message', () => {
  const result = analysis([finding('JobQueue', 12)]);
  const verdict = { outcome: 'leak' as const, leak: true, partial: false, reasons: [...trendReasons, { kind: 'snapshot' as const, leak: true as const, findingIndex: 0, detector: 'duplicate-listeners', retainedBytes: 3e6, growthBytes: 2e6 }] };
  const xml = parseXml(renderJunit([runSuite(report(verdict, result), options)]));
  assert.equal(xml.name, 'testsuites');
  const [suite] = elementsNamed(xml, 'testsuite');
  assert.equal(suite!.attributes['name'], 'leakcheck run node app.js');
  assert.equal(suite!.attributes['timestamp'], '2026-11-23T14:00:00');
  assert.deepEqual([suite!.attributes['tests'], suite!.attributes['failures'], suite!.attributes['errors']], ['5', '2', '0']);
  assert.deepEqual([...results(xml)], [
    ['heap trend', 'failure'], ['off-heap trend', 'passed'], ["JobQueue 'error' listeners from onQueueError", 'failure'],
    ['class-growth: nothing growing', 'passed'], ['run', 'passed'],
  ]);
  const testcase = elementsNamed(xml, 'testcase').find((tc) => tc.attributes['classname'] === 'leakcheck.duplicate-listeners')!;
  assert.equal(testcase.attributes['file'], 'lib/queue.js');
  assert.equal(testcase.attributes['line'], '12');
  const failure = testcase.children[0]!;
  assert.match(failure.attributes['message']!, /^leak: JobQueue 'error': 700 listeners \(\+600\), all onQueueError at queue\.js:12:9/, 'the title names the file (the full location has its own line)');
  assert.match(failure.text, /at onQueueError lib\/queue\.js:12:9/);
  assert.match(failure.text, /retainer path: EventEmitter\._events\.error\[599\] → onQueueError\(\)/);
  assert.match(elementsNamed(xml, 'testcase')[0]!.children[0]!.attributes['message']!, /live JS heap after GC: keeps growing/);
});

test('a run that could not measure never passes: a crash, an interruption, too few points are <error> elements', () => {
  const tooFew: VerdictReason = { kind: 'too-few-points', leak: false, points: 1, neededPoints: 3 };
  const crashed = report(
    { outcome: 'crashed', leak: false, partial: true, reasons: [{ kind: 'crash', leak: false, phase: 'warmup', exit: { code: 1, signal: null } }, tooFew] },
    null, { analysisNote: 'a snapshot is missing', target: { ...report({ outcome: 'clean', leak: false, partial: false, reasons: [] }, null).target, crashed: true, stderrTail: 'Error: fixture crash\n    at x (/srv/app/app.js:3:9)\n' } },
  );
  const xml = parseXml(renderJunit([runSuite(crashed, options)]));
  assert.deepEqual([...results(xml)], [['heap trend', 'error'], ['off-heap trend', 'error'], ['snapshot diff', 'error'], ['run', 'error']]);
  const run = elementsNamed(xml, 'testcase').at(-1)!.children[0]!;
  assert.equal(run.attributes['message'], 'the target ended before the run did: exited with code 1 during warmup');
  assert.match(run.text, /\| Error: fixture crash/);
  assert.match(elementsNamed(xml, 'testcase')[0]!.children[0]!.attributes['message']!, /^not measured: too few post-GC measurements/);
  assert.equal(elementsNamed(xml, 'testsuite')[0]!.attributes['errors'], '4');

  const interrupted = report({ outcome: 'interrupted', leak: false, partial: true, reasons: [{ kind: 'interrupted', leak: false, phase: 'load1', signal: 'SIGTERM' }, ...flatTrends] }, analysis([]));
  const cut = results(parseXml(renderJunit([runSuite(interrupted, options)])));
  assert.equal(cut.get('run'), 'error');
  const annotations = githubAnnotations(runSuite(interrupted, options)).map(parseAnnotation);
  assert.deepEqual(annotations.map((a) => [a.level, a.properties['title']]), [['error', 'leakcheck: run']]);
  assert.match(annotations[0]!.message, /stopped by SIGTERM during load1/);
  assert.match(renderMarkdown(runSuite(interrupted, options)), /^### ⛔ leakcheck run node app\.js: INTERRUPTED/);
});

test('a cluster worker that stopped being measured is an <error> in its own testsuite and a ⛔ row, named by pid; the clean primary passes', () => {
  const primary = report({ outcome: 'clean', leak: false, partial: false, reasons: flatTrends }, analysis([]), { target: { ...report({ outcome: 'clean', leak: false, partial: false, reasons: [] }, null).target, pid: 40 } });
  const lost = {
    pid: 41, ppid: 40, argv: ['node', 'app.js'], clusterWorkerId: 3, checkpoints: [], trends: [heapTrend, externalTrend], analysis: null, analysisNote: 'a snapshot is missing',
    verdict: { outcome: 'clean' as const, leak: false, partial: true, reasons: flatTrends }, lost: { phase: 'load1', error: 'the agent disconnected' },
  };
  const run = { ...primary, processes: [lost], verdict: { ...primary.verdict, reasons: [...flatTrends, { kind: 'process' as const, leak: false, processIndex: 0, pid: 41, clusterWorkerId: 3, outcome: 'clean' as const }] } };
  const suite = runSuite(run, options);
  const xml = parseXml(renderJunit([suite]));
  const suites = elementsNamed(xml, 'testsuite');
  assert.deepEqual(suites.map((s) => s.attributes['name']), ['leakcheck run node app.js · primary', 'leakcheck run node app.js · worker 3', 'leakcheck run node app.js']);
  const worker = suites[1]!;
  assert.deepEqual([worker.attributes['errors'], worker.attributes['failures']], ['2', '0'], 'its snapshot diff and its measurement');
  const measured = elementsNamed(worker, 'testcase').find((tc) => tc.attributes['name'] === 'worker 3: measured')!;
  assert.equal(measured.children[0]!.name, 'error');
  assert.equal(measured.children[0]!.attributes['message'], 'cluster worker 3 (pid 41): measured until load1: the agent disconnected');
  assert.deepEqual([suites[0]!.attributes['errors'], suites[0]!.attributes['failures']], ['0', '0']);
  const errors = githubAnnotations(suite).map(parseAnnotation).filter((a) => a.level === 'error');
  assert.deepEqual(errors.map((a) => a.properties['title']), ['leakcheck: cluster worker 3 (pid 41): snapshot diff', 'leakcheck: cluster worker 3 (pid 41): measured']);
  const markdown = renderMarkdown(suite);
  assert.match(markdown, /^\| ✅ \| primary \(the target\) \| 40 \| — \| CLEAN \|/m);
  assert.match(markdown, /^\| ⛔ \| worker \| 41 \| 3 \| CLEAN, measured until load1 \|/m, 'a clean verdict that did not measure the whole run is not marked as passing');
});

test('snapshots turned off are a skipped check; a clean run with caveats passes with a warning', () => {
  const clean = report(
    { outcome: 'clean', leak: false, partial: false, reasons: [...flatTrends, { kind: 'rss-only', leak: false, growthBytes: 5e6 }] },
    null, { analysisNote: 'snapshots were turned off (--no-snapshots)', options: { minGrowthBytes: 1, checkpointsPerPhase: 2, snapshots: false } },
  );
  const xml = parseXml(renderJunit([runSuite(clean, options)]));
  assert.deepEqual([...results(xml)], [['heap trend', 'passed'], ['off-heap trend', 'passed'], ['snapshot diff', 'skipped'], ['run', 'passed']]);
  assert.deepEqual(['failures', 'errors', 'skipped'].map((k) => xml.attributes[k]), ['0', '0', '1']);
  const annotations = githubAnnotations(runSuite(clean, options)).map(parseAnnotation);
  assert.deepEqual(annotations.map((a) => a.level), ['warning']);
  assert.match(annotations[0]!.message, /^RSS grew by/);
});

test('hostile names from the heap survive every format: strict XML, one-line annotations, Markdown that stays a table', () => {
  const result = analysis([finding(evil, 3, '/srv/app/a,b:c%d.js')]);
  const suite = diffSuite(result, options);
  const xml = parseXml(renderJunit([suite]));
  const testcase = elementsNamed(xml, 'testcase')[0]!;
  // XML 1.0 cannot carry U+0001, U+001F or a lone surrogate: each becomes U+FFFD; everything else comes back as it was.
  const carried = evil.replace(/[\u0001\u001f\uD800]/g, '\uFFFD');
  assert.equal(testcase.attributes['name'], `${carried} 'error' listeners from onQueueError`);
  assert.equal(testcase.attributes['file'], 'a,b:c%d.js');

  const lines = githubAnnotations(suite);
  assert.equal(lines.length, 1);
  assert.doesNotMatch(lines[0]!, /[\r\n]/);
  const annotation = parseAnnotation(lines[0]!);
  assert.equal(annotation.level, 'error');
  assert.deepEqual(annotation.properties, { file: 'a,b:c%d.js', line: '3', col: '9', title: `leakcheck: ${evil} 'error' listeners from onQueueError` });
  assert.match(annotation.message, /\nretainer path: /);
  assert.equal(escapeProperty('%,:\r\n'), '%25%2C%3A%0D%0A');
  assert.equal(escapeData('a%,:\nb'), 'a%25,:%0Ab');

  const markdown = renderMarkdown(suite);
  const row = markdown.split('\n').find((line) => line.startsWith('| ❌'))!;
  assert.equal(row.split(/(?<!\\)\|/).length, 5, `one row of three cells: ${row}`);
  assert.doesNotMatch(markdown, /<it>/);
  assert.match(markdown, /Em&lt;it&gt;&amp;/);
});

test('past 10 failures GitHub would drop annotations silently: the tenth line says how many more there are', () => {
  const suite: CiSuite = diffSuite(analysis(Array.from({ length: 12 }, (_, k) => finding(`E${k}`, k + 1))), options);
  const lines = githubAnnotations(suite).map(parseAnnotation);
  assert.equal(lines.length, 10);
  assert.deepEqual(lines.slice(0, 9).map((a) => a.properties['line']), ['1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.equal(lines[9]!.properties['title'], 'leakcheck: 3 more');
  assert.match(lines[9]!.message, /^3 more checks failed/);
});

test('file paths are relative to the workspace; node internals and files elsewhere get none', () => {
  const at = (script: string) => workspaceFile({ script, line: 1, column: 2, functionName: '' }, '/w/repo');
  assert.deepEqual(at('/w/repo/src/a.js'), { path: 'src/a.js', line: 1, column: 2 });
  assert.equal(at('/w/repo-other/a.js'), null);
  assert.equal(at('/usr/lib/node_modules/x.js'), null);
  assert.equal(at('node:internal/timers'), null);
});

test('the bundled snapshots: the diff suite fails on the JobQueue listeners and passes the other detectors', async () => {
  const dir = join(fixturesDir, 'snapshots');
  const result = await analyzeSnapshots(['base', 'target', 'final'].map((k) => join(dir, `listener-per-request-${k}.heapsnapshot.gz`)));
  const script = result.findings[0]!.location!.script;
  const workspace = script.slice(0, script.indexOf('/fixtures/apps/'));
  const xml = parseXml(renderJunit([diffSuite(result, { cwd: workspace, workspace })]));
  assert.deepEqual([...results(xml)], [
    ["JobQueue 'error' listeners from onQueueError", 'failure'],
    ...result.detectors.filter((d) => d !== 'duplicate-listeners').map((d) => [`${d}: nothing growing`, 'passed']),
  ]);
  const testcase = elementsNamed(xml, 'testcase')[0]!;
  assert.deepEqual([testcase.attributes['file'], testcase.attributes['line']], ['fixtures/apps/listener-per-request.mjs', '23']);
  assert.match(testcase.children[0]!.text, /→ JobQueue\._events\.error\[\d+\] → onQueueError\(\)/);
});
