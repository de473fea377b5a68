import { connectionCostRows, connectionCostTitle } from './connection-cost-words.js';
import { renderFindingsText, unattributedSitesText } from './findings-text.js';
import { describeGcSource } from './gc-source-text.js';
import type { RunPhase, RunReport } from './model.js';
import type { Style } from './style.js';
import { formatByteDelta, formatBytes, formatCount, formatDurationMs } from './units.js';
import { projectHeapToLimit } from './heap-projection.js';
import { processViews } from './process-view.js';
import { processViewLabel } from './process-words.js';
import {
  describeExit, describeIncomplete, describeProjection, describeReason, outcomeHeadline, outcomeTone, partialVerdictWords, reasonTone,
  type ReasonTone,
} from './verdict-words.js';

/** The terminal summary of a run: verdict first, then why, then phases, findings and files. */
export function renderRunText(report: RunReport, style: Style): string {
  const out: string[] = [];
  const verdict = report.verdict;
  const tone = outcomeTone(verdict.outcome);
  const colour = tone === 'leak' ? style.red : tone === 'ok' ? style.green : style.yellow;
  const headline = colour(style.bold(outcomeHeadline[verdict.outcome]));
  out.push(`${headline}  ${style.dim(report.command.join(' '))}  ${style.dim(`(${formatDurationMs(report.durationMs)})`)}`);
  const findings = report.analysis?.findings ?? [];
  for (const reason of verdict.reasons) out.push(`  ${marker(reasonTone(reason), style)} ${describeReason(reason, findings)}`);
  const projection = projectHeapToLimit(report);
  if (projection) out.push(`  ${marker('leak', style)} ${describeProjection(projection)}`);
  if (verdict.partial) out.push(style.yellow(`  ! ${partialVerdictWords}`));
  if (report.target.crashed) {
    const exit = report.target.exit;
    out.push(style.red(`  target ${exit ? describeExit(exit) : 'ended'} during ${exit?.phase ?? '?'}`));
    for (const line of crashExcerpt(report.target.stderrTail)) out.push(style.dim(`    | ${line}`));
  }
  const gcSource = describeGcSource(report.target, report.verdict.outcome);
  out.push(`  ${gcSource.warn ? style.yellow(gcSource.text) : style.dim(gcSource.text)}`);

  out.push('', style.bold('Phases'));
  for (const phase of report.phases) out.push(`  ${phaseLine(phase, report, style)}`);

  out.push('', style.bold('Memory after forced GC (first → last of the load phases)'));
  if (report.trends.every((t) => t.points === 0)) out.push(style.dim('  no measurements (the target ended before the first checkpoint)'));
  for (const trend of report.trends.filter((t) => t.points > 0)) {
    const name = { heapUsed: 'heap used', external: 'external', arrayBuffers: 'arrayBuffers', rss: 'rss' }[trend.series];
    const delta = formatByteDelta(trend.lastBytes - trend.firstBytes);
    const flag = trend.increasing ? style.red(' growing') : '';
    const rssNote = trend.series === 'rss' && report.files.snapshots.length > 0 ? style.dim('  (includes memory taken to write snapshots)') : '';
    out.push(`  ${name.padEnd(13)} ${formatBytes(trend.firstBytes).padStart(10)} → ${formatBytes(trend.lastBytes).padStart(10)}  ${delta.padStart(11)}  p=${trend.pValue.toFixed(3)}${trend.series === 'rss' ? rssNote : flag}`);
  }

  const views = processViews(report);
  if (views.length > 0) {
    out.push('', style.bold('Processes serving the load (each measured at the same checkpoints, each judged on its own)'));
    for (const view of views) {
      const tone = outcomeTone(view.verdict.outcome);
      const words = (tone === 'leak' ? style.red : tone === 'ok' ? style.green : style.yellow)(outcomeHeadline[view.verdict.outcome]);
      const target = view.processIndex === null;
      out.push(`  ${processViewLabel(view)}${target ? ', the target' : ''}  ${words}${view.lost ? style.yellow(`  measured until ${view.lost.phase}: ${view.lost.error}`) : ''}`);
      // The target's reasons head the summary already.
      if (!target) for (const reason of view.verdict.reasons) out.push(`    ${marker(reasonTone(reason), style)} ${describeReason(reason, view.analysis?.findings ?? [])}`);
    }
  }

  if (report.connectionCost) {
    out.push('', style.bold(connectionCostTitle(report.connectionCost)));
    for (const row of connectionCostRows(report.connectionCost)) out.push(`  ${row.part.padEnd(13)} ${row.perConnection.padStart(10)}  ${style.dim(row.note)}`);
  }

  if (report.analysis) {
    // The snapshot diff is rendered exactly as `leakcheck diff` renders it.
    const target = views.find((view) => view.processIndex === null);
    out.push('', style.bold(target ? `Snapshot diff of the target, ${processViewLabel(target)}` : 'Snapshot diff'));
    out.push(renderFindingsText(report.analysis, style, { cwd: report.cwd, maxClassRows: 5, ...(report.storedWords ? { stored: report.storedWords } : {}) }).trimEnd());
  } else if (report.analysisNote) {
    out.push('', style.dim(`Snapshot diff: ${report.analysisNote}`));
  }
  const sites = unattributedSitesText(report.allocationSites, style, report.cwd);
  if (sites.length > 0) out.push('', ...sites);

  out.push('', `${style.dim('report:')} ${report.files.reportHtml}`);
  if (report.files.snapshotsDeleted) out.push(style.dim(`snapshots: ${report.files.snapshots.length} deleted after the run (--keep-snapshots ${report.options.keepSnapshots ?? 'on-leak'})`));
  out.push(`${style.dim('json:  ')} ${report.files.reportJson}`);
  return `${out.join('\n')}\n`;
}

/** The error line of a crash and the frames right under it (the stack's end is node internals). */
export function crashExcerpt(stderr: string): string[] {
  const lines = stderr.trimEnd().split('\n').filter((l) => l.trim().length > 0);
  let at = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/^\s*(\w*Error|Error)\b|^\s*\[?ERR_|FATAL ERROR/.test(lines[i]!)) {
      at = i;
      break;
    }
  }
  return at < 0 ? lines.slice(-6) : lines.slice(at, at + 3);
}

function marker(tone: ReasonTone, style: Style): string {
  return tone === 'leak' ? style.red('✗') : tone === 'warning' ? style.yellow('!') : style.green('✓');
}

function phaseLine(phase: RunPhase, report: RunReport, style: Style): string {
  const parts = [style.bold(phase.name.padEnd(8)), formatDurationMs(phase.endMs - phase.startMs).padStart(8)];
  if (phase.http) {
    const h = phase.http;
    const statuses = Object.entries(h.statusCounts).map(([k, v]) => `${k}×${formatCount(v)}`).join(' ');
    parts.push(`${formatCount(h.requests)} req`, `${formatCount(h.requestsPerSecond)} req/s`,
      `p50 ${formatDurationMs(h.latencyP50Ms)}`, `p99 ${formatDurationMs(h.latencyP99Ms)}`, style.dim(statuses));
  }
  if (phase.command) parts.push(`load command exited ${phase.command.signal ?? phase.command.exitCode}`);
  const boundary = [...report.checkpoints].reverse().find((c) => c.boundary && c.phase === phase.name);
  if (boundary) parts.push(`heap ${formatBytes(boundary.heapUsedBytes)}`);
  if (phase.snapshot) parts.push(style.dim(`snapshot ${formatBytes(phase.snapshot.sizeBytes)}`));
  if (phase.incomplete) parts.push(style.red(describeIncomplete(phase.incomplete)));
  return parts.join('  ');
}
