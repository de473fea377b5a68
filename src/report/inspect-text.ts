import type { DigestWritten } from '../digest/index.js';
import type { CollectionSize, InspectNode, InspectObject, InspectPage, InspectReport, InspectTreeNode } from '../snapshot/index.js';
import { edgeAccessor, edgeLabel } from './path-words.js';
import type { Style } from './style.js';
import { formatBytes, formatCount, formatDurationMs } from './units.js';

/** Human text for `leakcheck inspect`: pure, the Style decides about colours. */
export function renderInspectText(report: InspectReport, style: Style): string {
  const lines: string[] = [];
  if (report.digest) {
    const { snapshot, classesKept, minClassCount } = report.digest;
    lines.push(`${style.bold(report.file)}  ${style.dim(`digest of ${snapshot} (${formatBytes(report.fileBytes)} on disk)`)}`);
    lines.push(style.yellow(`  a digest keeps groups, not objects: ${formatCount(classesKept)} classes with ${formatCount(minClassCount)}+ objects, the top dominators; no retainer path of one object (--node needs the snapshot)`));
  } else {
    const read = report.readFrom === 'file' ? `${formatBytes(report.fileBytes)} on disk` : `read from a stream, ${formatBytes(report.fileBytes)}`;
    lines.push(`${style.bold(report.file)}  ${style.dim(read)}`);
  }
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
  lines.push('');

  lines.push(style.bold('Largest objects below the roots, by property path'));
  const objectRows = report.largestObjects.map((object) => [formatBytes(object.retainedSize), formatBytes(object.shallowSize), objectLabel(object)]);
  lines.push(...table(['Retained', 'Shallow', 'Object'], objectRows, style, 2));

  const node = report.node;
  if (node !== undefined) {
    lines.push('');
    lines.push(style.bold(`Node ${nodeLabel(node)}`) + style.dim(` (${node.type}${node.name && node.name !== node.className ? ` "${truncate(node.name, 60)}"` : ''})`));
    lines.push(`  retained ${style.bold(formatBytes(node.retainedSize))}, shallow ${formatBytes(node.shallowSize)}, ` +
      `distance ${node.distance ?? 'unreachable'}, immediate dominator @${node.dominatorId}${node.size ? `, ${sizeText(node.size)}` : ''}`);
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
    lines.push('');
    lines.push(style.bold(`Dominated objects (freed with it): ${pageRange(node.dominated)}, largest first`));
    lines.push(...table(['Retained', 'Shallow', 'Object'], treeRows(node.dominated, 0), style, 2));
    lines.push('');
    lines.push(style.bold(`Outgoing edges: ${pageRange(node.edges)}, largest target first`));
    const edgeRows = node.edges.items.map((row) => [formatBytes(row.to.retainedSize), formatBytes(row.to.shallowSize), `${edgeLabel(row)} → ${nodeLabel(row.to)}`]);
    lines.push(...table(['Retained', 'Shallow', 'Edge → object'], edgeRows, style, 2));
  }
  return `${lines.join('\n')}\n`;
}

/** "global.keep: Array, 1.5M elements @6047"; a long path keeps its ends. */
function objectLabel(object: InspectObject): string {
  const size = object.size ? `, ${sizeText(object.size)}` : '';
  if (object.pathRoot === null) return `${nodeLabel(object)}${size}`;
  const accessors = object.path.map((step) => edgeAccessor(step)).filter((text) => text !== '');
  const shown = accessors.length <= MAX_PATH_ACCESSORS ? accessors : [...accessors.slice(0, 2), ' … ', ...accessors.slice(-(MAX_PATH_ACCESSORS - 3))];
  return `${truncate(object.pathRoot.className, 40)}${shown.join('')}: ${truncate(object.className, 60)}${size} @${object.id}`;
}

/** Accessors shown in a property path before its middle is cut. */
const MAX_PATH_ACCESSORS = 6;

const SIZE_UNITS: Readonly<Record<CollectionSize['kind'], string>> = { Map: 'entries', Set: 'entries', Array: 'elements', Object: 'properties' };

function sizeText(size: CollectionSize): string {
  return `${formatCount(size.size)} ${SIZE_UNITS[size.kind]}`;
}

/** "1–20 of 1,500,000" */
function pageRange(page: InspectPage<unknown>): string {
  if (page.items.length === 0) return `none of ${formatCount(page.total)} shown`;
  return `${formatCount(page.offset + 1)}–${formatCount(page.offset + page.items.length)} of ${formatCount(page.total)}`;
}

/** A dominator subtree, one row per node, indented by level; the edge from the parent when there is one. */
function treeRows(page: InspectPage<InspectTreeNode>, level: number): string[][] {
  return page.items.flatMap((child) => {
    const via = child.edge ? `${edgeLabel(child.edge)} → ` : '';
    const more = child.dominated && child.dominated.total > child.dominated.items.length ? ` (${formatCount(child.dominated.total)} dominated)` : '';
    const row = [formatBytes(child.retainedSize), formatBytes(child.shallowSize), `${'  '.repeat(level)}${via}${nodeLabel(child)}${more}`];
    return [row, ...(child.dominated ? treeRows(child.dominated, level + 1) : [])];
  });
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

/** The line `leakcheck digest` prints: where the digest went and how small it is next to its snapshot. */
export function renderDigestWritten(written: DigestWritten): string {
  const share = written.snapshotBytes > 0 ? ` (${((written.outputBytes / written.snapshotBytes) * 100).toFixed(2)} % of the ${formatBytes(written.snapshotBytes)} snapshot)` : '';
  return `wrote ${written.output}: ${formatBytes(written.outputBytes)}${share} in ${formatDurationMs(written.durationMs)}; `
    + `${formatCount(written.classes)} classes, ${formatCount(written.collections)} collection groups, ${formatCount(written.listeners)} listener groups, `
    + `${formatCount(written.closures)} closure groups, ${formatCount(written.dominators)} dominators\n`;
}
