import type { AllocationSitesResult, AnalysisResult, Cause } from '../detectors/index.js';
import { causesOf, causeText, heapGrowthText, heapGrowthUnexplained } from './cause-words.js';
import {
  allocationSiteText, evidenceText, findingWords, functionLocationText, inputsSummaryText, survivorsText, unattributedSitesHeading,
  type FindingWordsOptions, type WordsOptions,
} from './finding-words.js';
import { candidateHeader, diffWarningText } from './findings-text.js';
import { escapeHtml, folded } from './html-page.js';
import { formatByteDelta, formatBytes, formatCount, formatCountDelta } from './units.js';

const SNAPSHOT_LABELS = ['base', 'target', 'final'];

/**
 * The snapshot diff as a person reads it: each leak as a card (title, figures, where its function
 * is, what holds it, the retainer path one step per line with a copy button), the suspects folded
 * under their own heading, the class-growth table folded. The same section for `run` and `diff`,
 * and for each process of a cluster run: `scope` keeps the ids of one page's sections apart.
 */
export function findingsSection(analysis: AnalysisResult, options: FindingWordsOptions, scope = ''): string {
  const causes = causesOf(analysis);
  const leaks = causes.filter((c) => c.severity === 'leak');
  const suspects = causes.filter((c) => c.severity === 'suspect');
  const card = (cause: Cause) => findingCard(analysis, cause, options, scope);
  const parts: string[] = [];
  if (leaks.length > 0) parts.push(`<div class="cards">${leaks.map(card).join('')}</div>`);
  else parts.push(`<p>${analysis.findings.length === 0 ? 'No growing listeners, closures, collections, handles or classes.' : 'No finding crossed the thresholds.'}</p>`);
  if (suspects.length > 0) {
    parts.push(`<details class="suspects"><summary>${formatCount(suspects.length)} suspect${suspects.length === 1 ? '' : 's'}: grew, but below the thresholds or in one interval only</summary><div class="cards">${suspects.map(card).join('')}</div></details>`);
  }
  return parts.join('\n');
}

/** What was compared: the snapshots, the method, the survivors and any warning. */
export function diffInputsNote(analysis: AnalysisResult): string {
  const names = analysis.snapshots.map((s, k) => `${SNAPSHOT_LABELS[k] ?? `#${k + 1}`} <code>${escapeHtml(s.path.split('/').pop() ?? s.path)}</code> (${formatCount(s.nodeCount)} objects, ${formatBytes(s.totalBytes)})`);
  const survivors = escapeHtml(inputsSummaryText(analysis));
  const warnings = analysis.warnings.map((w) => `<br><span class="warn">warning: ${escapeHtml(diffWarningText(w))}</span>`).join('');
  const account = heapGrowthText(analysis);
  const accountLine = account === undefined ? '' : heapGrowthUnexplained(analysis) ? `<br><span class="warn">warning: ${escapeHtml(account)}</span>` : `<br>${escapeHtml(account)}`;
  return `<p class="note">${names.join(' · ')}<br>${survivors}${warnings}${accountLine}</p>`;
}

/** The cause's head finding as a card; the findings under the same holder listed inside it. */
function findingCard(analysis: AnalysisResult, cause: Cause, options: FindingWordsOptions, scope: string): string {
  const index = cause.findingIndex;
  const finding = analysis.findings[index]!;
  const threeSnapshots = analysis.method === 'three-snapshot';
  const { title, holder, path, allocatedAt } = findingWords(finding, index, options);
  const e = finding.evidence;
  const survivors = survivorsText(e.survivingCount, threeSnapshots);
  const lines = [
    `${escapeHtml(e.unit)} ${e.counts.map((c) => formatCount(c)).join(' → ')} (${formatCountDelta(finding.growth.count)}); retains ${formatBytes(finding.retainedSize)} (${formatByteDelta(finding.growth.bytes)}); ${survivors}`,
  ];
  if (finding.location) lines.push(`at <code>${escapeHtml(functionLocationText(finding.location, options))}</code>`);
  for (const line of allocatedAt) lines.push(escapeHtml(line));
  if (e.groups && e.groups.length > 1) {
    lines.push(`by function: ${e.groups.slice(0, 3).map((g) => `${formatCount(g.count)} × <code>${escapeHtml(g.location ? functionLocationText(g.location, options) : 'unknown')}</code>`).join(', ')}`);
  }
  if (e.captured && e.captured.length > 0) lines.push(`scope holds: ${e.captured.map((c) => `<code>${escapeHtml(c.name)}</code> (${formatBytes(c.retainedSize)})`).join(', ')}`);
  if (holder) lines.push(`held by <code>${escapeHtml(holder)}</code>`);
  const summary = causeText(cause, analysis.findings);
  if (summary !== undefined) lines.push(`<strong>${escapeHtml(summary)}</strong>`);
  const related = cause.related.map((other) => {
    const f = analysis.findings[other]!;
    return `<li data-finding="${other}">${escapeHtml(findingWords(f, other, options).title)} <span class="kind">${escapeHtml(f.kind)}</span><br><span class="dim">${escapeHtml(evidenceText(f, threeSnapshots))}</span></li>`;
  });
  if (related.length > 0) lines.push(`<ul class="related">${related.join('')}</ul>`);
  const textId = `path-text-${scope}${index}`;
  return `<article class="card${finding.severity === 'leak' ? '' : ' suspect'}" data-finding="${index}">
<h3>${escapeHtml(title)}<span class="kind">${escapeHtml(finding.kind)}</span></h3>
${lines.map((l) => `<div class="facts">${l}</div>`).join('\n')}
<div class="facts dim">retainer path, from the GC roots <button class="copy" type="button" data-copy="${textId}">copy as text</button></div>
<ol class="path">${path.map((step) => `<li>${escapeHtml(step)}</li>`).join('')}</ol>
<textarea class="path-text" id="${textId}" readonly tabindex="-1" aria-hidden="true">${escapeHtml(path.join(' → '))}</textarea>
</article>`;
}

/** The growing allocation sites no finding explains, folded; '' when there are none. */
export function unattributedSitesSection(sites: AllocationSitesResult | undefined, options: WordsOptions): string {
  const heading = sites ? unattributedSitesHeading(sites) : null;
  if (!sites || heading === null) return '';
  return folded(heading, `<ul>${sites.unattributed.map((site) => `<li><code>${escapeHtml(allocationSiteText(site, options))}</code></li>`).join('')}</ul>`);
}

/** Every class that grew, folded: the cards say which of them matter. */
export function classGrowthTable(analysis: AnalysisResult): string {
  if (analysis.classGrowth.length === 0) return '';
  const candidates = candidateHeader(analysis.method);
  const rows = analysis.classGrowth.map((r) => `<tr><td><code>${escapeHtml(r.className)}</code></td><td class="num">${r.counts.map((c) => formatCount(c)).join(' → ')}</td><td class="num">${formatCountDelta(r.countDelta)}</td><td class="num">${formatByteDelta(r.shallowDelta)}</td><td class="num">${formatByteDelta(r.retainedDelta)}</td><td class="num">${r.candidateCount === null ? '–' : formatCount(r.candidateCount)}</td></tr>`);
  return folded(`Class growth (${formatCount(analysis.classGrowth.length)} classes)`,
    `<table><tr><th>class</th><th class="num">count</th><th class="num">Δ count</th><th class="num">Δ shallow</th><th class="num">Δ retained</th><th class="num">${candidates}</th></tr>${rows.join('')}</table>`);
}
