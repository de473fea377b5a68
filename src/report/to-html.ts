import type { AnalysisResult } from '../detectors/index.js';
import { methodText, type FindingWordsOptions } from './finding-words.js';
import { leakCountText } from './cause-words.js';
import { describeGcSource } from './gc-source-text.js';
import { projectHeapToLimit } from './heap-projection.js';
import { classChart, heapTrendChart, memoryChart, type ChartSpec } from './html-charts.js';
import { detailsSection, lastFigures, loadTable } from './html-run-tables.js';
import { classGrowthTable, diffInputsNote, findingsSection, unattributedSitesSection } from './html-findings.js';
import { escapeHtml, renderPage, toneClass } from './html-page.js';
import { processesSection } from './html-processes.js';
import { processViews, targetOwnVerdict } from './process-view.js';
import { processViewLabel } from './process-words.js';
import type { RunReport, RunVerdict } from './model.js';
import { crashExcerpt } from './to-text.js';
import { formatBytes, formatCount, formatDurationMs } from './units.js';
import {
  describeExit, describeProjection, describeReason, outcomeTone, partialVerdictWords, reasonTone, type ReasonTone,
} from './verdict-words.js';

export { escapeHtml } from './html-page.js';

/**
 * One self-contained page for a run (no network: uPlot and the data are embedded). Its order
 * follows the outcome: a leak opens with its causes as cards; a crash or an interruption with
 * what happened and the last figures; a load that measured nothing with the load's answers.
 * Charts appear only where there is something to draw; raw tables are folded.
 */
export function renderRunHtml(report: RunReport): string {
  const v = report.verdict;
  const findings = report.analysis?.findings ?? [];
  const options = wordsOptions(report);
  const projection = projectHeapToLimit(report);
  const leakFindings = findings.some((f) => f.severity === 'leak');
  const charts = [memoryChart(report), heapTrendChart(report, projection)].filter((c): c is ChartSpec => c !== null);
  const gcSource = describeGcSource(report.target, report.verdict.outcome);
  const sections: string[] = [];

  if (report.analysis && leakFindings) sections.push(`<section id="causes"><h2>What leaks</h2>${findingsSection(report.analysis, options)}</section>`);
  sections.push(`<section id="verdict"><h2>Verdict</h2><ul class="reasons">${v.reasons.map((r) => `<li class="${toneClass[reasonTone(r)]}" data-kind="${r.kind}">${escapeHtml(describeReason(r, findings))}</li>`).join('')}${v.partial ? `<li class="warn">${escapeHtml(partialVerdictWords)}</li>` : ''}</ul>
${projection ? `<p class="projection">${escapeHtml(describeProjection(projection))}</p>` : ''}
<p class="${gcSource.warn ? 'warn' : 'meta'}">${escapeHtml(gcSource.text)}</p></section>`);
  const processes = processesSection(report, options);
  if (processes) sections.push(processes.html);
  if (report.target.crashed || v.outcome === 'interrupted') sections.push(whatHappened(report));
  if (v.outcome === 'inconclusive') sections.push(`<section id="load"><h2>What the load got back</h2>${loadTable(report.phases)}</section>`);

  const memory = charts.find((c) => c.id === 'chart-memory');
  sections.push(`<section id="memory"><h2>Memory over time</h2>${memory
    ? `<div class="chart" id="chart-memory"></div><p class="note">Bands: phases. Dots: heap used right after leakcheck's forced full GC (the points the trend test uses). Dashed lines: leakcheck's own pauses (heap snapshot, HeapDiff), cut out of the time axis. RSS is off by default: it counts everything the OS gave the process${report.files.snapshots.length > 0 ? ', including memory taken to write the snapshots' : ''}. Drag to zoom, double-click to reset, click a legend entry to hide or show it.</p>`
    : '<p class="note">Too few memory samples to draw (the target ended before the agent sent two). The last figures are above.</p>'}</section>`);
  const trend = charts.find((c) => c.id === 'chart-trend');
  if (trend) {
    sections.push(`<section id="trend"><h2>Heap after GC, per ${trend.x.kind === 'count' ? 'request served' : 'second'}</h2><div class="chart" id="chart-trend"></div>
<p class="note">${projection ? escapeHtml(describeProjection(projection)) : 'The red line is the Theil–Sen fit the verdict is based on.'}</p></section>`);
  }
  sections.push(`<section id="diff"><h2>Snapshot diff</h2>${report.analysis
    ? `${diffInputsNote(report.analysis)}${leakFindings ? '<p class="note">The leaks are shown at the top of the page.</p>' : findingsSection(report.analysis, options)}${classGrowthTable(report.analysis)}`
    : `<p>${escapeHtml(report.analysisNote ?? 'The snapshot diff did not run.')}</p>`}${unattributedSitesSection(report.allocationSites, options)}</section>`);
  sections.push(detailsSection(report, v.outcome !== 'inconclusive'));

  const body = `<header><h1><span class="badge ${toneClass[outcomeTone(v.outcome)]}">${escapeHtml(v.outcome.toUpperCase())}</span> <code>${escapeHtml(report.command.join(' '))}</code></h1>
<p class="headline">${escapeHtml(headline(report))}</p>
<p class="meta">run ${escapeHtml(report.runId)} · started ${escapeHtml(report.startedAt)} · ${escapeHtml(formatDurationMs(report.durationMs))} · target pid ${report.target.pid ?? '?'} · node ${escapeHtml(report.target.nodeVersion ?? '?')}${report.options.url ? ` · load ${escapeHtml(report.options.url)}` : ''}</p></header>
${sections.join('\n')}
<footer>leakcheck ${escapeHtml(report.tool.version)} · report schema ${report.schemaVersion} · charts by uPlot (MIT)</footer>`;
  return renderPage({ title: `leakcheck: ${v.outcome} — ${report.command.join(' ')}`, body, chartData: { charts: [...charts, ...(processes?.charts ?? [])] } });
}

/** The page for `leakcheck diff --html`: the same cards and tables, and live objects per class across the snapshots. */
export function renderDiffHtml(analysis: AnalysisResult, options: FindingWordsOptions & { toolVersion: string }): string {
  const leak = analysis.verdict.leak;
  const chart = classChart(analysis);
  const { minGrowthBytes, minGrowthCount } = analysis.thresholds;
  const gate = `growth ≥ ${formatCount(minGrowthCount)} or ≥ ${formatBytes(minGrowthBytes)}`;
  const body = `<header><h1><span class="badge ${leak ? 'bad' : 'ok'}">${leak ? 'LEAK' : 'CLEAN'}</span> <span>leakcheck diff (${methodText(analysis.method)})</span></h1>
<p class="headline">${leak ? `${escapeHtml(leakCountText(analysis))} crossed the thresholds (${gate})` : `nothing crossed the thresholds (${gate})`}</p>
${diffInputsNote(analysis)}</header>
<section id="causes"><h2>${leak ? 'What leaks' : 'Findings'}</h2>${findingsSection(analysis, options)}</section>
<section id="classes"><h2>Live objects per class</h2>${chart ? '<div class="chart" id="chart-classes"></div><p class="note">The classes that grew most. Click a legend entry to hide or show it.</p>' : '<p>No class grew.</p>'}${classGrowthTable(analysis)}</section>
<footer>leakcheck ${escapeHtml(options.toolVersion)} · charts by uPlot (MIT)</footer>`;
  return renderPage({ title: `leakcheck diff: ${leak ? 'leak' : 'clean'}`, body, chartData: { charts: chart ? [chart] : [] } });
}

function wordsOptions(report: RunReport): FindingWordsOptions {
  return { cwd: report.cwd, ...(report.storedWords ? { stored: report.storedWords } : {}) };
}

/** The one line under the badge: the culprit for a leak, the exit for a crash, the first caveat otherwise. */
function headline(report: RunReport): string {
  const v = report.verdict;
  const findings = report.analysis?.findings ?? [];
  const first = (tone: ReasonTone) => v.reasons.find((r) => reasonTone(r) === tone);
  if (v.outcome === 'leak') {
    // The culprit by name when a snapshot diff found one: that is what the reader acts on. In a
    // cluster whose target is clean, the leaking process's own culprit, named with its pid.
    const culprit = (verdict: RunVerdict) => verdict.reasons.find((r) => r.kind === 'snapshot') ?? verdict.reasons.find((r) => r.leak);
    const own = culprit(targetOwnVerdict(report));
    const other = processViews(report).find((p) => p.processIndex !== null && p.verdict.leak);
    const theirs = other && culprit(other.verdict);
    if (!own && other && theirs) return `${processViewLabel(other)}: ${describeReason(theirs, other.analysis?.findings ?? [])}`;
    return describeReason(own ?? culprit(v) ?? v.reasons[0]!, findings);
  }
  if (v.outcome === 'crashed') {
    const exit = report.target.exit;
    return `The target ${exit ? describeExit(exit) : 'ended'} during ${exit?.phase ?? 'the run'}${report.target.outOfMemory ? ': out of memory' : ''}.`;
  }
  const caveat = first('warning');
  if (v.outcome === 'clean') {
    const clean = 'No leak: the post-GC heap and off-heap memory did not keep growing, and no snapshot finding crossed the thresholds';
    return caveat ? `${clean}; but ${describeReason(caveat, findings)}.` : `${clean}.`;
  }
  return caveat ? describeReason(caveat, findings) : v.outcome;
}

/** A crash or an interruption: how it ended, the error, and the memory last measured. */
function whatHappened(report: RunReport): string {
  const exit = report.target.exit;
  const excerpt = crashExcerpt(report.target.stderrTail);
  const how = report.target.crashed
    ? `<p>The target ${escapeHtml(exit ? describeExit(exit) : 'ended')} during <b>${escapeHtml(exit?.phase ?? '?')}</b>${report.target.outOfMemory ? ', out of memory' : ''}.</p>`
    : '<p>The run was stopped before its last phase; the figures below are the last ones measured.</p>';
  const stderr = excerpt.length > 0 ? `<pre class="stderr">${escapeHtml(excerpt.join('\n'))}</pre>` : '';
  const tail = report.target.stderrTail.trim();
  const fullTail = tail.split('\n').length > excerpt.length ? `<details class="raw"><summary>stderr, last ${formatCount(tail.split('\n').length)} lines</summary><pre class="stderr">${escapeHtml(tail)}</pre></details>` : '';
  return `<section id="what-happened"><h2>What happened</h2>${how}${stderr}${fullTail}${lastFigures(report)}</section>`;
}
