import { escapeHtml, folded } from './html-page.js';
import { connectionCostRows, connectionCostTitle } from './connection-cost-words.js';
import type { RunPhase, RunReport, SeriesTrend } from './model.js';
import { formatByteDelta, formatBytes, formatCount, formatDurationMs } from './units.js';
import { describeIncomplete } from './verdict-words.js';

/** The memory last measured (a sample or a checkpoint, whichever came later), as big figures: what a crashed run's page leads with. */
export function lastFigures(report: RunReport): string {
  const last = [...report.samples, ...report.checkpoints].sort((a, b) => a.atMs - b.atMs).at(-1);
  const lastGc = report.gcs.at(-1);
  if (!last && !lastGc) return '<p class="note">The agent sent no memory figures before the target ended.</p>';
  const cells: string[] = [];
  if (last) {
    cells.push(`<div>heap used<b>${formatBytes(last.heapUsedBytes)}</b></div>`, `<div>heap total<b>${formatBytes(last.heapTotalBytes)}</b></div>`,
      `<div>external<b>${formatBytes(last.externalBytes)}</b></div>`, `<div>rss<b>${formatBytes(last.rssBytes)}</b></div>`);
  }
  if (lastGc) cells.push(`<div>live heap after the last full GC<b>${formatBytes(lastGc.usedHeapBytes)}</b></div>`);
  const limit = report.target.memoryLimits?.heapSizeLimitBytes;
  if (limit) cells.push(`<div>V8 heap limit<b>${formatBytes(limit)}</b></div>`);
  return `<h3>Last figures${last ? `, at ${escapeHtml(formatDurationMs(last.atMs))} (${escapeHtml(last.phase)})` : ''}</h3><div class="figures">${cells.join('')}</div>`;
}

/** Requests, rates and status codes per phase: what the load got back. */
export function loadTable(phases: readonly RunPhase[]): string {
  const rows = phases.map((p) => {
    const h = p.http;
    return `<tr><td>${escapeHtml(p.name)}</td><td>${escapeHtml(p.kind)}</td><td class="num">${formatDurationMs(p.endMs - p.startMs)}</td><td class="num">${h ? formatCount(h.requests) : p.command ? `<code>${escapeHtml(p.command.command)}</code>` : '—'}</td><td class="num">${h ? formatCount(h.requestsPerSecond) : '—'}</td><td class="num">${h ? `${formatDurationMs(h.latencyP50Ms)} / ${formatDurationMs(h.latencyP99Ms)}` : '—'}</td><td>${h ? escapeHtml(Object.entries(h.statusCounts).map(([k, n]) => `${k}: ${formatCount(n)}`).join(', ')) : '—'}${h && h.errorSamples.length > 0 ? `<br><span class="dim">${escapeHtml(h.errorSamples.slice(0, 2).join('; '))}</span>` : ''}</td><td>${p.snapshot ? `${escapeHtml(p.snapshot.file)} (${formatBytes(p.snapshot.sizeBytes)})` : '—'}</td><td>${p.incomplete ? `<span class="warn">${escapeHtml(describeIncomplete(p.incomplete))}</span>` : ''}</td></tr>`;
  });
  return `<div class="scroll"><table><tr><th>phase</th><th>kind</th><th class="num">time</th><th class="num">requests</th><th class="num">req/s</th><th class="num">p50 / p99</th><th>status</th><th>snapshot</th><th></th></tr>${rows.join('')}</table></div>`;
}

function trendTable(trends: readonly SeriesTrend[], snapshotsTaken: boolean): string {
  // Writing a snapshot makes the process take memory from the OS that it keeps: RSS is not the target's alone then.
  const rssMuted = (t: SeriesTrend): boolean => t.series === 'rss' && snapshotsTaken;
  const measured = trends.filter((t) => t.points > 0);
  if (measured.length === 0) return '<p class="note">No post-GC measurements in a load phase.</p>';
  const rows = measured.map((t) => `<tr class="${t.increasing && !rssMuted(t) ? 'bad' : ''}"><td>${escapeHtml(t.series)}</td><td class="num">${formatBytes(t.firstBytes)}</td><td class="num">${formatBytes(t.lastBytes)}</td><td class="num">${formatByteDelta(t.growthBytes)}</td><td class="num">${t.growthPer1000RequestsBytes ? formatByteDelta(t.growthPer1000RequestsBytes) : '—'}</td><td class="num">${t.pValue.toFixed(4)}</td><td class="num">${formatBytes(t.noiseBytes)}</td><td>${t.growthByPhaseBytes.map((p) => `${escapeHtml(p.phase)} ${formatByteDelta(p.growthBytes)}`).join('<br>')}</td><td>${rssMuted(t) ? 'n/a (includes snapshot writing)' : t.increasing ? 'growing' : 'no'}</td></tr>`);
  return `<div class="scroll"><table><tr><th>series</th><th class="num">first</th><th class="num">last</th><th class="num">Theil–Sen growth</th><th class="num">per 1,000 req</th><th class="num">Mann–Kendall p</th><th class="num">noise σ</th><th>by phase</th><th>leak?</th></tr>${rows.join('')}</table></div>`;
}

function heapDiffTables(phases: readonly RunPhase[]): string {
  const withDiff = phases.filter((p) => p.heapDiff);
  if (withDiff.length === 0) return '';
  return folded(`memwatch HeapDiff by phase (${withDiff.length})`, withDiff.map((p) => {
    const d = p.heapDiff!;
    return `<h3>${escapeHtml(p.name)}: ${formatByteDelta(d.changeBytes)} (${formatCount(d.allocatedNodes)} allocated, ${formatCount(d.freedNodes)} freed)</h3><table><tr><th>class</th><th class="num">+</th><th class="num">−</th><th class="num">size</th></tr>${d.details.map((r) => `<tr><td><code>${escapeHtml(r.className)}</code></td><td class="num">${formatCount(r.addedCount)}</td><td class="num">${formatCount(r.removedCount)}</td><td class="num">${formatByteDelta(r.sizeBytes)}</td></tr>`).join('')}</table>`;
  }).join(''));
}

/** Trends and phases in the open; HeapDiff and the table of the agents seen folded. */
export function detailsSection(report: RunReport, withPhases: boolean): string {
  const processes = folded(`Node processes that loaded the agent (${report.target.agents.length})`, `<table><tr><th>pid</th><th>ppid</th><th>command</th><th></th></tr>${report.target.agents.map((a) => `<tr><td>${a.pid}</td><td>${a.ppid}</td><td><code>${escapeHtml(a.argv.join(' '))}</code></td><td>${a.chosen ? '<b>target</b>: ' : ''}${escapeHtml(a.note)}</td></tr>`).join('')}</table>`);
  const cost = report.connectionCost === undefined ? '' : `<h2>${escapeHtml(connectionCostTitle(report.connectionCost))}</h2><table><tr><th>part</th><th class="num">per connection</th><th></th></tr>${
    connectionCostRows(report.connectionCost).map((r) => `<tr><td>${escapeHtml(r.part)}</td><td class="num">${escapeHtml(r.perConnection)}</td><td>${escapeHtml(r.note)}</td></tr>`).join('')}</table>`;
  return `<section id="details"><h2>Trends over the load phases</h2>${trendTable(report.trends, report.files.snapshots.length > 0)}
${cost}
${withPhases ? `<h2>Phases</h2>${loadTable(report.phases)}` : ''}
${heapDiffTables(report.phases)}
${processes}</section>`;
}
