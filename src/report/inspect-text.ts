import type { InspectNode, InspectReport } from '../snapshot/index.js';
import { edgeLabel } from './path-words.js';
import type { Style } from './style.js';
import { formatBytes, formatCount } from './units.js';

/** Human text for `leakcheck inspect`: pure, the Style decides about colours. */
export function renderInspectText(report: InspectReport, style: Style): string {
  const lines: string[] = [];
  const read = report.readFrom === 'file' ? `${formatBytes(report.fileBytes)} on disk` : `read from a stream, ${formatBytes(report.fileBytes)}`;
  lines.push(`${style.bold(report.file)}  ${style.dim(read)}`);
  const unreachable = report.unreachableCount > 0 ? ` · ${style.yellow(`${formatCount(report.unreachableCount)} unreachable`)}` : '';
  lines.push(
    `Heap ${style.bold(formatBytes(report.totalSize))} in ${formatCount(report.nodeCount)} nodes, ` +
      `${formatCount(report.edgeCount)} edges, ${formatCount(report.classCount)} classes${unreachable}`,
  );
  lines.push('');

  lines.push(style.bold(`Top ${report.classes.length} classes by retained size`));
  const classRows = report.classes.map((row) => [
    formatBytes(row.retainedSize), formatBytes(row.shallowSize), formatCount(row.count), row.name,
  ]);
  lines.push(...table(['Retained', 'Shallow', 'Count', 'Class'], classRows, style, 3));
  lines.push('');

  lines.push(style.bold('Top dominators (largest subtrees under the GC roots)'));
  const domRows = report.topDominators.map((node) => [
    formatBytes(node.retainedSize), formatBytes(node.shallowSize), node.distance === null ? '-' : String(node.distance), nodeLabel(node),
  ]);
  lines.push(...table(['Retained', 'Shallow', 'Dist', 'Node'], domRows, style, 3));

  const node = report.node;
  if (node !== undefined) {
    lines.push('');
    lines.push(style.bold(`Node ${nodeLabel(node)}`) + style.dim(` (${node.type}${node.name && node.name !== node.className ? ` "${truncate(node.name, 60)}"` : ''})`));
    lines.push(`  retained ${style.bold(formatBytes(node.retainedSize))}, shallow ${formatBytes(node.shallowSize)}, ` +
      `distance ${node.distance ?? 'unreachable'}, immediate dominator @${node.dominatorId}`);
    if (node.retainerPath === null) {
      lines.push(style.yellow('  no retainer path: no strong edge from the GC roots reaches this node'));
    } else {
      lines.push(style.dim('  retainer path, root first:'));
      node.retainerPath.forEach((step, at) => {
        if (node.omittedSteps > 0 && at === node.omittedAt) lines.push(style.dim(`    … ${node.omittedSteps} more steps …`));
        lines.push(`    ${nodeLabel(step.from)} ${style.dim('→')} ${style.cyan(edgeLabel(step))}`);
      });
      lines.push(`    ${style.bold(nodeLabel(node))}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function nodeLabel(node: InspectNode): string {
  return `${truncate(node.className, 80)} @${node.id}`;
}

function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/** Right-aligned numeric columns, a left-aligned last column. */
function table(header: string[], rows: string[][], style: Style, numericColumns: number): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const format = (row: string[]) => row
    .map((cell, column) => (column < numericColumns ? cell.padStart(widths[column]!) : cell))
    .join('  ');
  if (rows.length === 0) return [style.dim('  (none)')];
  return [style.dim(`  ${format(header)}`), ...rows.map((row) => `  ${format(row)}`)];
}
