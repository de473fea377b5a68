import type { FindingWordsOptions } from './finding-words.js';
import { findingsSection } from './html-findings.js';
import { heapTrendChart, type ChartSpec } from './html-charts.js';
import { escapeHtml, folded, toneClass } from './html-page.js';
import type { RunReport } from './model.js';
import { processViews, type ProcessView } from './process-view.js';
import { processFigures, processViewLabel } from './process-words.js';
import { describeReason, outcomeHeadline, outcomeTone, reasonTone } from './verdict-words.js';

/**
 * A cluster run's processes: one table row each, the leaking ones first and marked, then each
 * process with its own verdict, post-GC heap chart and (folded) snapshot findings. Null when only
 * the target served the load.
 */
export function processesSection(report: RunReport, options: FindingWordsOptions): { html: string; charts: ChartSpec[] } | null {
  const views = processViews(report);
  if (views.length === 0) return null;
  const charts: ChartSpec[] = [];
  const blocks = views.map((view) => {
    const chart = heapTrendChart({ trends: view.trends, checkpoints: view.checkpoints, phases: report.phases }, null, `chart-process-${anchor(view)}`);
    if (chart) charts.push(chart);
    return processBlock(view, chart, options);
  });
  const html = `<section id="processes"><h2>Processes</h2>
<p class="note">Every process that served the load, measured at the same checkpoints and judged on its own: a leak in any of them fails the run.</p>
<div class="scroll"><table class="processes"><tr><th>verdict</th><th>role</th><th class="num">pid</th><th class="num">worker id</th><th class="num">heap after GC</th><th class="num">trend</th><th>findings</th><th>snapshots</th></tr>${views.map((view) => row(view, report.files.snapshotsDeleted === true)).join('')}</table></div>
${blocks.join('\n')}</section>`;
  return { html, charts };
}

/** Ids on the page: the target has no process index and a pid that may be unknown. */
function anchor(view: ProcessView): string {
  return view.processIndex === null ? 'target' : String(view.processIndex);
}

function badge(view: ProcessView): string {
  return `<span class="badge ${toneClass[outcomeTone(view.verdict.outcome)]}">${escapeHtml(outcomeHeadline[view.verdict.outcome])}</span>`;
}

function row(view: ProcessView, deleted: boolean): string {
  const figures = processFigures(view);
  const target = view.processIndex === null ? ' <span class="dim">(the target)</span>' : '';
  const lost = view.lost ? `<br><span class="warn">measured until ${escapeHtml(view.lost.phase)}</span>` : '';
  return `<tr class="${view.verdict.leak ? 'bad' : ''}" data-pid="${view.pid ?? ''}" data-outcome="${view.verdict.outcome}"><td>${badge(view)}${lost}</td><td>${view.role}${target}</td><td class="num"><a href="#process-${anchor(view)}">${view.pid ?? '?'}</a></td><td class="num">${view.clusterWorkerId ?? '—'}</td><td class="num">${escapeHtml(figures.heap)}</td><td class="num">${escapeHtml(figures.trend)}</td><td>${escapeHtml(figures.findings)}</td><td>${figures.snapshots.length > 0 ? figures.snapshots.map((f) => `<code>${escapeHtml(f)}</code>`).join('<br>') : '—'}${figures.snapshots.length > 0 && deleted ? '<br><span class="dim">deleted after the run</span>' : ''}</td></tr>`;
}

function processBlock(view: ProcessView, chart: ChartSpec | null, options: FindingWordsOptions): string {
  const findings = view.analysis?.findings ?? [];
  const reasons = view.verdict.reasons.map((r) => `<li class="${toneClass[reasonTone(r)]}">${escapeHtml(describeReason(r, findings))}</li>`).join('');
  const lost = view.lost ? `<p class="warn">Measured until ${escapeHtml(view.lost.phase)}: ${escapeHtml(view.lost.error)}</p>` : '';
  const drawn = chart ? `<div class="chart" id="${chart.id}"></div>` : '<p class="note">Too few post-GC measurements of this process to draw its heap.</p>';
  const diff = view.analysis
    ? folded(`Snapshot findings of this process: ${escapeHtml(processFigures(view).findings)}`, findingsSection(view.analysis, options, `process-${anchor(view)}-`))
    : `<p class="note">${escapeHtml(view.analysisNote ?? 'The snapshot diff did not run for this process.')}</p>`;
  return `<article class="process${view.verdict.leak ? ' leak' : ''}" id="process-${anchor(view)}" data-pid="${view.pid ?? ''}">
<h3>${badge(view)} ${escapeHtml(processViewLabel(view))}${view.processIndex === null ? ' <span class="dim">the target</span>' : ''}</h3>
<ul class="reasons">${reasons}</ul>${lost}
${drawn}
${diff}</article>`;
}
