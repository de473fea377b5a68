import type { AllocationSitesResult, AnalysisResult, Finding } from '../detectors/index.js';
import type { ClassGrowthRow, CrossProcessGap, DiffWarning } from '../diff/index.js';
import { causesOf, causeText, heapGrowthText, heapGrowthUnexplained, leakCountText } from './cause-words.js';
import {
  allocationSiteText, evidenceText, findingWords, functionLocationText, inputsSummaryText, methodText, unattributedSitesHeading, type FindingWords,
} from './finding-words.js';
import type { StoredWords } from './schema-v1.js';
import type { Style } from './style.js';
import { formatByteDelta, formatBytes, formatCount, formatCountDelta } from './units.js';

export interface FindingsTextOptions {
  /** Scripts under this directory are shown relative to it. */
  cwd?: string;
  /** Class-growth rows shown (default 10; the JSON keeps them all). */
  maxClassRows?: number;
  /** Words a schema-1 run report stored for its findings (schema-v1.ts). */
  stored?: StoredWords;
}

const SNAPSHOT_LABELS = ['base', 'target', 'final'];

/**
 * AnalysisResult → the text `leakcheck diff` prints: the inputs, each finding (title, evidence per
 * snapshot, location, retainer path), the class-growth table, then the verdict. Pure: no I/O.
 */
export function renderFindingsText(result: AnalysisResult, style: Style, options: FindingsTextOptions = {}): string {
  const lines: string[] = [];
  lines.push(style.bold(`leakcheck diff (${methodText(result.method)})`));
  result.snapshots.forEach((snapshot, k) => {
    const digest = snapshot.input === 'digest' ? ' (digest)' : '';
    lines.push(`  ${(SNAPSHOT_LABELS[k] ?? `#${k + 1}`).padEnd(7)}${snapshot.path}${digest}  ${style.dim(`${formatCount(snapshot.nodeCount)} objects, ${formatBytes(snapshot.totalBytes)}`)}`);
  });
  lines.push(style.dim(`  ${inputsSummaryText(result)}`));
  for (const warning of result.warnings) lines.push(style.yellow(`  warning: ${diffWarningText(warning)}`));
  lines.push('');

  if (result.findings.length === 0) lines.push(style.green('No growing listeners, closures, collections, handles or classes.'), '');
  const wordsOptions = { ...(options.cwd === undefined ? {} : { cwd: options.cwd }), ...(options.stored ? { stored: options.stored } : {}) };
  const threeSnapshots = result.method === 'three-snapshot';
  // Cause first, the findings under the same holder nested below it: one bug reads as one entry.
  for (const cause of causesOf(result)) {
    const head = result.findings[cause.findingIndex]!;
    lines.push(...renderFinding(head, findingWords(head, cause.findingIndex, wordsOptions), style, options.cwd, threeSnapshots));
    const summary = causeText(cause, result.findings);
    if (summary !== undefined) lines.push(`        ${style.bold(summary)}`);
    for (const index of cause.related) {
      const finding = result.findings[index]!;
      const badge = finding.severity === 'leak' ? style.red('leak') : style.yellow('suspect');
      lines.push(`          ${badge} ${findingWords(finding, index, wordsOptions).title} ${style.dim(`[${finding.kind}]`)}`);
      lines.push(`               ${style.dim(evidenceText(finding, threeSnapshots))}`);
    }
    lines.push('');
  }
  const account = heapGrowthText(result);
  if (account !== undefined) lines.push(heapGrowthUnexplained(result) ? style.yellow(`warning: ${account}`) : style.dim(account), '');

  const rows = result.classGrowth.slice(0, options.maxClassRows ?? 10);
  if (rows.length > 0) lines.push(...renderClassTable(rows, result, style), '');

  lines.push(renderVerdict(result, style));
  return `${lines.join('\n')}\n`;
}

function renderFinding(finding: Finding, words: FindingWords, style: Style, cwd: string | undefined, threeSnapshots: boolean): string[] {
  const badge = finding.severity === 'leak' ? style.red(style.bold('LEAK   ')) : style.yellow('suspect');
  const { evidence } = finding;
  const out = [`${badge} ${style.bold(words.title)} ${style.dim(`[${finding.kind}]`)}`];
  out.push(`        ${evidenceText(finding, threeSnapshots)}`);
  if (finding.location) out.push(`        at ${style.cyan(functionLocationText(finding.location, { cwd }))}`);
  for (const line of words.allocatedAt) out.push(`        ${line}`);
  if (evidence.groups && evidence.groups.length > 1) {
    const more = evidence.groups.slice(0, 3).map((g) => `${formatCount(g.count)} × ${g.location ? functionLocationText(g.location, { cwd }) : 'unknown'}`);
    out.push(`        by function: ${more.join(', ')}`);
  }
  if (evidence.captured && evidence.captured.length > 0) {
    out.push(`        scope holds: ${evidence.captured.map((c) => `${c.name} (${formatBytes(c.retainedSize)})`).join(', ')}`);
  }
  if (words.holder) out.push(`        held by ${style.cyan(words.holder)}`);
  out.push(`        ${style.dim(words.path.join(' → '))}`);
  return out;
}

/** The growing allocation sites no finding explains, as text lines (none when there are none). */
export function unattributedSitesText(sites: AllocationSitesResult | undefined, style: Style, cwd: string | undefined): string[] {
  const heading = sites ? unattributedSitesHeading(sites) : null;
  if (!sites || heading === null) return [];
  return [style.bold(heading), ...sites.unattributed.map((site) => `  ${allocationSiteText(site, cwd === undefined ? {} : { cwd })}`)];
}

/** What a diff warning means for the result. */
export function diffWarningText(warning: DiffWarning): string {
  switch (warning.kind) {
    case 'two-snapshots':
      return 'two snapshots: every object new in the target counts as growth; add a third (final) snapshot to tell leaks from work in flight';
    case 'cross-process': {
      const unproven = warning.unproven.map((gap) => CROSS_PROCESS_GAP_WORDS[gap]);
      const floors = warning.minCounts;
      const notRun = warning.notRun.length > 0 ? `; not run: ${warning.notRun.join(', ')} (needs object ids)` : '';
      return `cross-process: groups are matched by what they are, not object by object, so this cannot prove ${unproven.join(', ')}${notRun}; `
        + `groups under ${floors.collections} entries, ${floors.listeners} listeners, ${floors.closures} closures or ${floors.classes} objects count as 0`;
    }
  }
}

const CROSS_PROCESS_GAP_WORDS: Readonly<Record<CrossProcessGap, string>> = {
  survivors: 'that the growth outlived a round of work (no survivor rule)',
  'same-objects': 'that a group holds the same objects in each snapshot',
  order: 'the order of the inputs (taken as given, oldest first)',
  'retainer-paths': 'a retainer path per finding (use inspect --node on the last snapshot)',
};

function renderClassTable(rows: readonly ClassGrowthRow[], result: AnalysisResult, style: Style): string[] {
  const header = ['class', 'count', 'Δ count', 'Δ shallow', 'Δ retained', candidateHeader(result.method)];
  const body = rows.map((row) => [
    row.className.length > 40 ? `${row.className.slice(0, 39)}…` : row.className,
    row.counts.map((c) => formatCount(c)).join(' → '),
    formatCountDelta(row.countDelta),
    formatByteDelta(row.shallowDelta),
    formatByteDelta(row.retainedDelta),
    row.candidateCount === null ? '–' : formatCount(row.candidateCount),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`;
  return [style.bold('Class growth'), style.dim(line(header)), ...body.map(line)];
}

/** The class table's last column: survivors, new objects, or nothing to show across processes. */
export function candidateHeader(method: AnalysisResult['method']): string {
  return method === 'three-snapshot' ? 'survived' : method === 'two-snapshot' ? 'new' : 'matched';
}

function renderVerdict(result: AnalysisResult, style: Style): string {
  const text = diffVerdictText(result);
  return result.verdict.leak ? style.red(style.bold(text)) : style.green(text);
}

/** "LEAK: 1 finding crossed the thresholds (growth ≥ 200 or ≥ 1.00 MiB)", or the clean line. */
export function diffVerdictText(result: Pick<AnalysisResult, 'thresholds' | 'verdict' | 'findings'>): string {
  const { minGrowthBytes, minGrowthCount } = result.thresholds;
  const gate = `growth ≥ ${formatCount(minGrowthCount)} or ≥ ${formatBytes(minGrowthBytes)}`;
  if (result.verdict.leak) return `LEAK: ${leakCountText(result)} crossed the thresholds (${gate})`;
  const suspects = result.findings.length;
  return `clean: nothing crossed the thresholds (${gate})${suspects > 0 ? `; ${suspects} suspect${suspects === 1 ? '' : 's'} below them` : ''}`;
}
