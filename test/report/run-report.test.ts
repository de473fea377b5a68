import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  describeIncomplete, escapeHtml, parseRunReport, plainStyle, renderRunHtml, renderRunText, runReportToJson, type RunReport, type SeriesTrend,
} from '../../src/report/index.js';
import { isLeakcheckError } from '../../src/errors.js';

const evil = '</script><img src=x onerror=alert(1)>';

/** A small but complete report with hostile strings wherever the target or a snapshot supplies text. */
function sampleReport(): RunReport {
  const heapTrend: SeriesTrend = {
    series: 'heapUsed', points: 4, firstBytes: 5e6, lastBytes: 9e6, growthBytes: 4e6, growthPer1000RequestsBytes: 1e6, growthPerSecondBytes: 0,
    pValue: 0.01, noiseBytes: 1e4, growthByPhaseBytes: [{ phase: `load${evil}`, growthBytes: 2e6 }], increasing: true,
  };
  const checkpoint = (atMs: number, phase: string, heap: number, boundary: boolean) => ({
    atMs, phase, requestsSoFar: atMs, boundary, rssBytes: 60e6, heapTotalBytes: 12e6, heapUsedBytes: heap, externalBytes: 2e6, arrayBuffersBytes: 1e4, gcMs: 3, totalMs: boundary ? 1400 : 3,
  });
  return {
    schemaVersion: 3,
    tool: { name: 'leakcheck', version: '0.1.0' },
    runId: 'r1',
    startedAt: '2026-11-23T14:00:00.000Z',
    durationMs: 4000,
    command: ['node', `app${evil}.js`],
    cwd: '/srv',
    options: { url: 'http://127.0.0.1:3000/', concurrency: 4, minGrowthBytes: 1048576, checkpointsPerPhase: 2, snapshots: true },
    target: {
      pid: 42, argv: ['node', 'app.js'], nodeVersion: 'v20.20.2', memwatch: { available: true }, agents: [{ pid: 42, ppid: 1, argv: ['node', evil], chosen: true, note: 'listens on port 3000' }],
      exit: null, crashed: false, outOfMemory: false, stderrTail: '',
    },
    phases: [
      { name: 'warmup', kind: 'warmup', startMs: 0, endMs: 1000 },
      { name: `load${evil}`, kind: 'load', startMs: 1000, endMs: 2500, snapshot: { file: '01-load1.heapsnapshot', sizeBytes: 7e6, writeMs: 300 } },
      { name: 'load2', kind: 'load', startMs: 2500, endMs: 4000 },
    ],
    samples: [
      { atMs: 500, phase: 'warmup', rssBytes: 5e7, heapTotalBytes: 1e7, heapUsedBytes: 5e6, externalBytes: 2e6, arrayBuffersBytes: 1e4 },
      { atMs: 1700, phase: 'load1', rssBytes: 9e7, heapTotalBytes: 1e7, heapUsedBytes: 9e6, externalBytes: 9e6, arrayBuffersBytes: 8e6, duringCheckpoint: true },
    ],
    gcs: [{ atMs: 1200, phase: 'load1', usedHeapBytes: 5.5e6, totalHeapBytes: 1e7, gcPauseNs: 2e6, markSweepCompactCount: 3, scavengeCount: 9, forced: false }],
    checkpoints: [checkpoint(1000, 'warmup', 5e6, true), checkpoint(1800, `load${evil}`, 6e6, false), checkpoint(2500, `load${evil}`, 7e6, true), checkpoint(4000, 'load2', 9e6, true)],
    trends: [heapTrend],
    memwatchRule: [{ atMs: 3000, consecutiveIncreases: 5, growthBytes: 1e6, durationMs: 800 }],
    analysis: {
      schemaVersion: 2,
      snapshots: [0, 1, 2].map((k) => ({ path: `/r/0${k}.heapsnapshot`, nodeCount: 1000, edgeCount: 4000, totalBytes: 5e6 })),
      method: 'three-snapshot',
      thresholds: { minGrowthBytes: 1, minGrowthCount: 1 },
      detectorThresholds: {},
      detectors: ['duplicate-listeners'],
      findings: [{
        kind: 'duplicate-listeners', severity: 'leak', subject: { emitter: `Listeners ${evil}`, emitterId: 77, event: 'error' },
        retainedSize: 3e6, growth: { count: 600, bytes: 2e6 },
        location: { script: '/srv/app.js', line: 12, column: 9, functionName: 'onQueueError' },
        retainerPath: {
          steps: [
            { edge: '13', edgeType: 'element', nodeId: 3, className: '(GC roots)', nodeType: 'synthetic', passThrough: false },
            { edge: `queue${evil}`, edgeType: 'property', nodeId: 77, className: 'EventEmitter', nodeType: 'object', passThrough: false },
            { edge: '_events', edgeType: 'property', nodeId: 78, className: 'Object', nodeType: 'object', passThrough: true },
            { edge: 'error', edgeType: 'property', nodeId: 79, className: 'Array', nodeType: 'object', passThrough: true },
            { edge: '599', edgeType: 'element', nodeId: 80, className: 'onQueueError', nodeType: 'closure', passThrough: false },
          ],
          omittedSteps: 0,
        },
        evidence: { unit: 'listeners', counts: [100, 400, 700], bytes: [1e6, 2e6, 3e6], survivingCount: 300 },
      }],
      classGrowth: [],
      newInTarget: { count: 300, freedSinceBase: 0 },
      survivingCount: 300,
      warnings: [],
      verdict: { leak: true, leakCount: 1, suspectCount: 0 },
    },
    verdict: {
      outcome: 'leak', leak: true, partial: false, reasons: [
        { kind: 'heap-trend', leak: true, judgement: 'keeps-growing', trend: heapTrend, minGrowthBytes: 1048576 },
        { kind: 'snapshot', leak: true, findingIndex: 0, detector: 'duplicate-listeners', retainedBytes: 3e6, growthBytes: 2e6 },
        { kind: 'memwatch-rule', leak: false, firings: 1, consecutiveIncreases: 5, growthBytes: 1e6 },
      ],
    },
    files: { dir: '/r', reportJson: '/r/report.json', reportHtml: '/r/report.html', statsJsonl: '/r/stats.jsonl', targetLog: '/r/target.log', snapshots: [] },
  };
}

test('the HTML report escapes every string that comes from the target or a snapshot', () => {
  const html = renderRunHtml(sampleReport());
  assert.equal(html.includes(evil), false, 'no raw hostile markup anywhere');
  assert.ok(html.includes(escapeHtml(`Listeners ${evil} 'error'`)));
  assert.ok(html.includes(`<li>${escapeHtml(`(GC roots)[${JSON.stringify(`queue${evil}`)}]`)}</li>`), 'the path step with the hostile property name, escaped');
  assert.ok(html.includes(`<li>${escapeHtml('EventEmitter._events.error[599]')}</li>`), 'pass-through holders fold into the emitter step');
  // Exactly the three script elements the page is made of: the data, uPlot and the charts.
  assert.equal(html.match(/<script/g)!.length, 3);
  assert.equal(html.match(/<\/script>/g)!.length, 3);
});

test('the HTML report is self-contained and embeds the chart data as parseable JSON', () => {
  const html = renderRunHtml(sampleReport());
  assert.doesNotMatch(html, /(src|href)\s*=\s*["']?(https?:)?\/\//i, 'no external resources');
  const json = /<script type="application\/json" id="data">([\s\S]*?)<\/script>/.exec(html)![1]!;
  const [memory, trend] = JSON.parse(json).charts;
  assert.equal(memory.bands[1].label, `load${evil}`, 'the name survives the escaping intact');
  // One sample (the other was taken while a snapshot was written) and the four checkpoints.
  assert.equal(memory.xs.length, 5);
  assert.deepEqual(memory.series.at(-1).values.filter((v: number | null) => v !== null), [5e6, 6e6, 7e6, 9e6]);
  // Checkpoints of a second or more are cut out of the time axis and marked; the one whose phase wrote a snapshot says so.
  assert.deepEqual(memory.markers.map((m: { label: string }) => m.label), ['forced GC 1.40 s', 'snapshot 1.40 s', 'forced GC 1.40 s']);
  assert.deepEqual(memory.bands.map((b: { from: number; to: number }) => [b.from, b.to]), [[0, 0.997], [0.997, 1.097], [1.097, 1.197]]);
  // The trend chart: the baseline and load checkpoints (by time here: the sample's phases counted no requests), and the Theil–Sen line.
  assert.deepEqual(trend.xs.slice(0, 4), [1, 1.8, 2.5, 4]);
  assert.equal(trend.series[1].label, 'Theil–Sen trend');
});

test('the text summary leads with the verdict and lists reasons, phases, findings and files', () => {
  const text = renderRunText(sampleReport(), plainStyle);
  const lines = text.split('\n');
  assert.match(lines[0]!, /^LEAK {2}node app/);
  assert.match(lines[1]!, /✗ live JS heap after GC: keeps growing, 4\.77 MiB → 8\.58 MiB \(trend \+3\.81 MiB, \+977 KiB per 1000 requests; p=0\.010; load.* \+1\.91 MiB\)$/);
  assert.match(lines[2]!, /✗ snapshot diff: Listeners .* \(retains 2\.86 MiB, \+1\.91 MiB since warm-up\)$/);
  assert.match(lines[3]!, /! memwatch's original rule \(5 consecutive full-GC heap increases\) fired 1 time\(s\)/);
  // The snapshot section is the `leakcheck diff` rendering of the same findings.
  assert.match(text, /Snapshot diff\n/);
  assert.match(text, /LEAK +Listeners .*\[duplicate-listeners\]/);
  assert.match(text, /app\.js:12:9/);
  assert.match(text, /\(GC roots\)\["queue.*"\] → EventEmitter\._events\.error\[599\] → onQueueError\(\)/);
  assert.match(text, /report: \/r\/report\.html/);
});

test('report.json round-trips and other versions or shapes are refused by name', () => {
  const report = sampleReport();
  assert.deepEqual(parseRunReport(runReportToJson(report), 'r.json'), report);
  const refuse = (text: string, pattern: RegExp) => assert.throws(() => parseRunReport(text, 'x.json'), (e) => isLeakcheckError(e) && e.file === 'x.json' && pattern.test(e.message));
  refuse('{', /invalid JSON/);
  refuse('[]', /expected a JSON object/);
  refuse(JSON.stringify({ ...report, schemaVersion: 99 }), /schema version 99 is not supported \(this leakcheck reads versions 1, 2, 3\)/);
  refuse(JSON.stringify({ ...report, samples: undefined }), /missing the "samples" array/);
});

test('a phase that stopped early is a fact (kind and numbers), worded in text and HTML; schema 2 stored a sentence, kept as such', () => {
  const report = sampleReport();
  const load2 = report.phases.find((p) => p.name === 'load2')!;
  load2.incomplete = { kind: 'unresponsive', cause: 'checkpoint-timeout', waitedMs: 15_000 };
  const words = 'the target did not answer a checkpoint within 15.0 s (event loop blocked?)';
  assert.equal(describeIncomplete(load2.incomplete), words);
  assert.match(renderRunText(report, plainStyle), new RegExp(`^  load2 .*${words.replace(/[.()?]/g, '\\$&')}$`, 'm'));
  assert.match(renderRunHtml(report), new RegExp(`<span class="warn">${words.replace(/[.()?]/g, '\\$&')}</span>`));
  assert.deepEqual(JSON.parse(runReportToJson(report)).phases.find((p: { name: string }) => p.name === 'load2').incomplete, load2.incomplete);

  const v2 = JSON.parse(runReportToJson(report));
  v2.schemaVersion = 2;
  v2.phases.find((p: { name: string }) => p.name === 'load2').incomplete = 'stopped by SIGTERM';
  const upgraded = parseRunReport(JSON.stringify(v2), 'v2.json');
  assert.equal(upgraded.schemaVersion, 3);
  assert.deepEqual(upgraded.phases.find((p) => p.name === 'load2')!.incomplete, { kind: 'stored-text', text: 'stopped by SIGTERM' });
  assert.match(renderRunText(upgraded, plainStyle), /^  load2 .*stopped by SIGTERM$/m);
});

test('text and HTML classify every reason the same way: a memwatch-rule firing is a warning in both', () => {
  const report = sampleReport();
  const html = renderRunHtml(report);
  const classes = [...html.matchAll(/<li class="(\w+)" data-kind="([\w-]+)">/g)].map((m) => [m[2], m[1]]);
  assert.deepEqual(classes, [['heap-trend', 'bad'], ['snapshot', 'bad'], ['memwatch-rule', 'warn']]);
  const markers = renderRunText(report, plainStyle).split('\n').slice(1, 4).map((l) => l.trim()[0]);
  assert.deepEqual(markers, ['✗', '✗', '!']);
});

test('a partial verdict is marked in text and HTML', () => {
  const report = sampleReport();
  report.verdict.partial = true;
  assert.match(renderRunText(report, plainStyle), /! partial: the run ended before its last phase/);
  assert.match(renderRunHtml(report), /<li class="warn">partial: the run ended before its last phase/);
});

test('a schema-1 report.json (reasons as text) is still read: the text is kept and shown', () => {
  const v1 = { ...sampleReport(), schemaVersion: 1, analysis: null, verdict: { outcome: 'leak', leak: true, reasons: [
    { kind: 'heap-trend', leak: true, message: 'live JS heap after GC: keeps growing (old words)' },
    { kind: 'memwatch-rule', leak: false, message: 'memwatch fired' },
  ] } };
  const report = parseRunReport(JSON.stringify(v1), 'old.json');
  assert.equal(report.schemaVersion, 3);
  assert.equal(report.verdict.partial, false);
  assert.deepEqual(report.verdict.reasons[0], { kind: 'v1-message', leak: true, v1Kind: 'heap-trend', message: 'live JS heap after GC: keeps growing (old words)' });
  const lines = renderRunText(report, plainStyle).split('\n');
  assert.equal(lines[1], '  ✗ live JS heap after GC: keeps growing (old words)');
  assert.equal(lines[2], '  ! memwatch fired');
});

test('a schema-1 report.json is read: its facts upgraded, its stored titles and paths shown as they were', () => {
  const current = sampleReport();
  const v1 = {
    ...current,
    schemaVersion: 1,
    analysis: {
      ...current.analysis!,
      schemaVersion: 1,
      findings: [{
        kind: 'live-handles', severity: 'leak', title: 'Timeout: 700 live (+600) timers, all running tick at app.js:3:1', retainedSize: 3e6,
        growth: { count: 600, bytes: 2e6 }, location: { script: '/srv/app.js', line: 3, column: 1, functionName: 'tick' },
        retainerPath: ['(GC roots)[13]', 'Timeout._idlePrev ×600'],
        evidence: { unit: 'objects', counts: [100, 400, 700], bytes: [0, 0, 3e6], survivingCount: 300, subject: 'Timeout' },
      }],
      warnings: ['two snapshots: every object new in the target counts as growth'],
      verdict: { leak: true, reasons: ['Timeout: 700 live (+600) timers, all running tick at app.js:3:1'] },
    },
    verdict: { outcome: 'leak', leak: true, reasons: [{ kind: 'snapshot', leak: true, message: 'snapshot diff: Timeout: 700 live' }] },
  };
  const report = parseRunReport(JSON.stringify(v1), 'old.json');
  assert.equal(report.schemaVersion, 3);
  const finding = report.analysis!.findings[0]!;
  assert.ok(finding.kind === 'live-handles');
  assert.deepEqual(finding.subject, { className: 'Timeout', handleKind: 'timers' });
  assert.deepEqual(report.analysis!.verdict, { leak: true, leakCount: 1, suspectCount: 0 });
  assert.deepEqual(report.analysis!.warnings, [{ kind: 'two-snapshots' }]);
  const text = renderRunText(report, plainStyle);
  assert.match(text, /LEAK +Timeout: 700 live \(\+600\) timers, all running tick at app\.js:3:1/);
  assert.match(text, /\(GC roots\)\[13\] → Timeout\._idlePrev ×600/);
  assert.ok(renderRunHtml(report).includes(escapeHtml('Timeout._idlePrev ×600')));
});
