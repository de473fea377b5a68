import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { plainStyle, renderRunText, type RunReport } from '../../src/report/index.js';
import { fixturesDir } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';
import { tmpDir } from '../helpers/tmp-dir.js';
import { elementsNamed, parseXml, type XmlElement } from '../helpers/xml.js';

const clusterApp = join(fixturesDir, 'apps', 'http-cluster.mjs');

interface ClusterRun {
  status: number | null;
  report: RunReport;
  html: string;
  junit: XmlElement;
  markdown: string;
  /** The GitHub annotations (on stderr, since stdout carries the JSON). */
  annotations: string[];
}

/**
 * `leakcheck run --json` on the two-worker cluster fixture with every CI reporter on, so one run
 * serves the verdict's and every output's assertions; snapshots off to stay fast (3 processes × 3 snapshots).
 */
async function runCluster(t: Parameters<typeof tmpDir>[0], leakyWorker: number): Promise<ClusterRun> {
  const dir = tmpDir(t);
  const out = join(dir, 'report');
  const result = await runCli(['run', '--json', '--no-snapshots', '--requests', '300', '--warmup-requests', '100', '--concurrency', '4',
    '--reporter', `junit=${join(dir, 'junit.xml')}`, '--reporter', `markdown=${join(dir, 'summary.md')}`, '--reporter', 'github',
    '--out', out, '--', process.execPath, clusterApp, String(leakyWorker)]);
  return {
    status: result.status,
    report: JSON.parse(result.stdout) as RunReport,
    html: readFileSync(join(out, 'report.html'), 'utf8'),
    junit: parseXml(readFileSync(join(dir, 'junit.xml'), 'utf8')),
    markdown: readFileSync(join(dir, 'summary.md'), 'utf8'),
    annotations: result.stderr.split('\n').filter((line) => line.startsWith('::')),
  };
}

/** The rows of report.html's Processes table, in order: pid, outcome and whether the row is marked. */
function processRows(html: string): Array<{ pid: number; outcome: string; marked: boolean }> {
  const table = /<table class="processes">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
  return [...table.matchAll(/<tr class="(\w*)" data-pid="(\d+)" data-outcome="(\w+)">/g)].map((m) => ({ pid: Number(m[2]), outcome: m[3]!, marked: m[1] === 'bad' }));
}

/** The Markdown summary's process table: pid, worker id and verdict of each row, in order. */
function markdownProcesses(markdown: string): Array<{ pid: number; workerId: string; verdict: string }> {
  const header = markdown.indexOf('| | process | pid | worker id | verdict |');
  assert.ok(header >= 0, markdown);
  const lines = markdown.slice(header).split('\n').slice(2);
  const rows = lines.slice(0, lines.findIndex((line) => !line.startsWith('|')));
  return rows.map((line) => {
    const cells = line.split('|').map((c) => c.trim());
    return { pid: Number(cells[3]), workerId: cells[4]!, verdict: cells[5]! };
  });
}

function suitesOf(junit: XmlElement): XmlElement[] {
  return elementsNamed(junit, 'testsuite');
}

function property(suite: XmlElement, name: string): string | undefined {
  return elementsNamed(suite, 'property').find((p) => p.attributes['name'] === name)?.attributes['value'];
}

test('run on a cluster measures the primary and every worker, and every output names the one worker that leaks, by pid (issue 10 item 4)', async (t) => {
  const { status, report, html, junit, markdown, annotations } = await runCluster(t, 2);
  assert.equal(status, 1, 'a leak in any process fails the gate');
  assert.equal(report.verdict.outcome, 'leak');
  // The primary, which leakcheck started, is the target; both workers listen on the same port and are measured too.
  const everyone = [{ pid: report.target.pid, clusterWorkerId: report.target.clusterWorkerId ?? null }, ...report.processes!];
  assert.deepEqual(everyone.map((p) => p.clusterWorkerId).sort(), [1, 2, null]);
  const leaky = report.processes!.find((p) => p.clusterWorkerId === 2)!;
  const other = report.processes!.find((p) => p.clusterWorkerId === 1)!;
  assert.equal(leaky.verdict.outcome, 'leak', JSON.stringify(leaky.verdict.reasons));
  assert.equal(other.verdict.outcome, 'clean', JSON.stringify(other.verdict.reasons));
  assert.ok(leaky.checkpoints.length === report.checkpoints.length && leaky.checkpoints.length >= 9, 'every process at every checkpoint');
  const named = report.verdict.reasons.find((r) => r.kind === 'process' && r.leak);
  assert.ok(named && named.kind === 'process' && named.pid === leaky.pid && named.clusterWorkerId === 2, JSON.stringify(report.verdict.reasons));
  const label = `cluster worker 2 (pid ${leaky.pid})`;

  // report.html: the headline names the worker by pid; it heads the Processes table, marked; each process has its own heap chart.
  assert.match(html, new RegExp(`<p class="headline">${label.replace(/[()]/g, '\\$&')}: live JS heap after GC: keeps growing`));
  assert.deepEqual(processRows(html), [
    { pid: leaky.pid, outcome: 'leak', marked: true },
    { pid: report.target.pid!, outcome: 'clean', marked: false },
    { pid: other.pid, outcome: 'clean', marked: false },
  ]);
  assert.match(html, new RegExp(`<article class="process leak" id="process-\\d+" data-pid="${leaky.pid}">`));
  const charts = (JSON.parse(/<script type="application\/json" id="data">([\s\S]*?)<\/script>/.exec(html)![1]!) as { charts: Array<{ id: string }> }).charts;
  assert.equal(charts.filter((c) => c.id.startsWith('chart-process-')).length, 3);

  // The text summary lists the processes in the same order, each by role and pid.
  const text = renderRunText(report, plainStyle);
  const section = text.slice(text.indexOf('Processes serving the load')).split('\n\n')[0]!;
  assert.deepEqual(section.split('\n').filter((line) => /^  \S/.test(line)).map((line) => line.trim().split('  ')[0]), [
    label, `cluster primary (pid ${report.target.pid}), the target`, `cluster worker 1 (pid ${other.pid})`,
  ]);

  // JUnit: one testsuite per process (and one for the run), failures only in the leaking worker's, each naming it by pid.
  const suites = suitesOf(junit);
  assert.equal(suites.length, 4);
  const failing = suites.filter((s) => Number(s.attributes['failures']) > 0);
  assert.equal(failing.length, 1, 'only the leaking worker fails');
  assert.equal(property(failing[0]!, 'pid'), String(leaky.pid));
  assert.equal(property(failing[0]!, 'role'), 'worker');
  assert.match(failing[0]!.attributes['name']!, / · worker 2$/);
  const failures = elementsNamed(failing[0]!, 'failure');
  assert.ok(failures.length >= 1);
  for (const failure of failures) assert.ok(failure.attributes['message']!.startsWith(`${label}: `), failure.attributes['message']);

  // GitHub: every error annotation's title names the worker and its pid.
  const errors = annotations.filter((line) => line.startsWith('::error '));
  assert.ok(errors.length >= 1, annotations.join('\n'));
  for (const line of errors) assert.match(line, new RegExp(`title=leakcheck%3A cluster worker 2 \\(pid ${leaky.pid}\\)%3A `), line);

  // Markdown: the process table, the leaking worker first.
  assert.match(markdown, new RegExp(`^### ❌ .*: LEAK in ${label.replace(/[()]/g, '\\$&')}$`, 'm'));
  assert.deepEqual(markdownProcesses(markdown), [
    { pid: leaky.pid, workerId: '2', verdict: 'LEAK' },
    { pid: report.target.pid!, workerId: '—', verdict: 'CLEAN' },
    { pid: other.pid, workerId: '1', verdict: 'CLEAN' },
  ]);
});

test('run on a clean cluster is clean for every process and exits 0, and no output marks a process', async (t) => {
  const { status, report, html, junit, markdown, annotations } = await runCluster(t, 0);
  assert.equal(status, 0, JSON.stringify(report.verdict.reasons));
  assert.equal(report.processes!.length, 2);
  assert.ok(report.processes!.every((p) => p.verdict.outcome === 'clean'));
  const rows = processRows(html);
  assert.equal(rows.length, 3);
  assert.ok(rows.every((r) => r.outcome === 'clean' && !r.marked), JSON.stringify(rows));
  const suites = suitesOf(junit);
  assert.equal(suites.length, 4);
  assert.ok(suites.every((s) => s.attributes['failures'] === '0' && s.attributes['errors'] === '0'), JSON.stringify(suites.map((s) => s.attributes)));
  assert.deepEqual(suites.map((s) => property(s, 'role')).slice(0, 3).sort(), ['primary', 'worker', 'worker']);
  assert.deepEqual(annotations.filter((line) => line.startsWith('::error ')), []);
  assert.ok(markdownProcesses(markdown).every((p) => p.verdict === 'CLEAN'));
});
