// Shared by the benches: a plain-text table printer and the JSON result files (bench/results/,
// gitignored) that the README figures are copied from.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/ in the repository (these files run from dist/bench/). */
export const benchDir = fileURLToPath(new URL('../../bench/', import.meta.url));
export const resultsDir = join(benchDir, 'results');
/** Where `npm run bench:setup` installs the peers measured against. */
export const peersDir = join(benchDir, 'node_modules');

export interface Column<Row> {
  readonly title: string;
  /** Text of the cell; right-aligned unless `left`. */
  readonly cell: (row: Row) => string;
  readonly left?: boolean;
}

/** A header, a rule and one line per row; columns sized to their widest cell. */
export function renderTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const cells = rows.map((row) => columns.map((column) => column.cell(row)));
  const widths = columns.map((column, at) => Math.max(column.title.length, ...cells.map((line) => line[at]!.length)));
  const line = (values: string[]) => values
    .map((value, at) => (columns[at]!.left ? value.padEnd(widths[at]!) : value.padStart(widths[at]!)))
    .join('  ')
    .trimEnd();
  return [line(columns.map((column) => column.title)), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** Writes bench/results/<name>.json (latest) and a timestamped copy; returns the latest path. */
export function writeResults(name: string, results: unknown): string {
  mkdirSync(resultsDir, { recursive: true });
  const text = `${JSON.stringify(results, null, 2)}\n`;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(join(resultsDir, `${name}-${stamp}.json`), text);
  const latest = join(resultsDir, `${name}.json`);
  writeFileSync(latest, text);
  return latest;
}

export const MIB = 1024 * 1024;

export function formatSeconds(ms: number | undefined): string {
  return ms === undefined ? 'errored' : `${(ms / 1000).toFixed(2)} s`;
}

export function formatMiB(bytes: number | undefined): string {
  return bytes === undefined ? '-' : `${(bytes / MIB).toFixed(0)} MiB`;
}

/** "2.31x"; "-" when either side is missing. */
export function formatRatio(value: number | undefined, base: number | undefined): string {
  return value === undefined || base === undefined || base === 0 ? '-' : `${(value / base).toFixed(2)}x`;
}

/** Median of the numbers (undefined for none). */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Replaces what lies between `<!-- bench:<name>:start -->` and `<!-- bench:<name>:end -->` in a
 * document with `block`; a file without both markers is left alone.
 */
export function replaceMarkedBlock(path: string, name: string, block: string): void {
  if (!existsSync(path)) return;
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const current = readFileSync(path, 'utf8');
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  if (from < 0 || to < from) return;
  writeFileSync(path, `${current.slice(0, from)}${start}\n${block}${current.slice(to)}`);
}
