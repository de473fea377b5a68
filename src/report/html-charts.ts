import type { AnalysisResult } from '../detectors/index.js';
import { heapTrendLine, type HeapProjection, type TrendSource } from './heap-projection.js';
import type { RunCheckpoint, RunReport } from './model.js';
import { formatCount, formatDurationMs } from './units.js';

/** What the page's chart script (html-chart-script.ts) draws: data and labels, already in words. */
export interface ChartSpec {
  id: string;
  x: { kind: 'seconds' | 'count' | 'snapshot'; label: string; names?: string[] };
  yKind: 'bytes' | 'count';
  yLabel: string;
  xs: number[];
  series: ChartSeries[];
  /** Shaded x ranges with a label above the plot (phases). */
  bands?: Array<{ from: number; to: number; label: string; kind: string }>;
  /** Dashed vertical lines with a label at the bottom (pauses cut out of the axis, the crash). */
  markers?: Array<{ at: number; label: string; tone: 'pause' | 'crash' }>;
  /** The tooltip's first line for each x. */
  tipTitles?: string[];
  /** An extra tooltip line for some x (null for none). */
  tipNotes?: Array<string | null>;
  xRange?: [number, number];
}

export interface ChartSeries {
  label: string;
  color: string;
  values: Array<number | null>;
  show?: boolean;
  /** Points only (no line). */
  points?: boolean;
  dash?: boolean;
  width?: number;
}

/** A checkpoint that paused the load this long or longer is cut out of the time axis and shown as a marker. */
const PAUSE_CUT_MS = 1000;

interface Pause { startMs: number; endMs: number; label: string }

/** Where the load stood still for leakcheck: a forced GC with a snapshot or HeapDiff (the run's own cost, not the target's). */
function pausesOf(report: RunReport): Pause[] {
  return report.checkpoints.filter((c) => c.totalMs >= PAUSE_CUT_MS).map((c) => {
    const phase = report.phases.find((p) => p.name === c.phase);
    const what = c.boundary && phase?.snapshot ? 'snapshot' : c.boundary && phase?.heapDiff ? 'HeapDiff' : 'forced GC';
    const startMs = c.atMs - c.gcMs;
    return { startMs, endMs: startMs + c.totalMs, label: `${what} ${formatDurationMs(c.totalMs)}` };
  });
}

/** Run time with the pauses taken out: the time the target was under the run's load or at rest. */
function compressor(pauses: readonly Pause[]): (atMs: number) => number {
  return (atMs) => {
    let cut = 0;
    for (const p of pauses) if (atMs > p.startMs) cut += Math.min(atMs, p.endMs) - p.startMs;
    return atMs - cut;
  };
}

const seriesColors = { heapUsed: '#1f6fb2', heapTotal: '#9aa4ae', external: '#d35400', arrayBuffers: '#16a085', rss: '#8e44ad', postGc: '#0b3556' };

/** Memory over the run: process.memoryUsage() samples and the post-GC checkpoints, phases as bands, pauses cut out. */
export function memoryChart(report: RunReport): ChartSpec | null {
  const samples = report.samples.filter((s) => !s.duringCheckpoint);
  type Row = { atMs: number; phase: string; rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number; checkpoint: RunCheckpoint | null };
  const rows: Row[] = [
    ...samples.map((s) => ({ atMs: s.atMs, phase: s.phase, rss: s.rssBytes, heapTotal: s.heapTotalBytes, heapUsed: s.heapUsedBytes, external: s.externalBytes, arrayBuffers: s.arrayBuffersBytes, checkpoint: null })),
    ...report.checkpoints.map((c) => ({ atMs: c.atMs, phase: c.phase, rss: c.rssBytes, heapTotal: c.heapTotalBytes, heapUsed: c.heapUsedBytes, external: c.externalBytes, arrayBuffers: c.arrayBuffersBytes, checkpoint: c })),
  ].sort((a, b) => a.atMs - b.atMs);
  // A line needs two points; the crashed run's page shows the last figures instead of an empty chart.
  if (rows.length < 2) return null;
  const pauses = pausesOf(report);
  const display = compressor(pauses);
  const seconds = (atMs: number) => Math.round(display(atMs)) / 1000;
  const column = (key: 'rss' | 'heapTotal' | 'heapUsed' | 'external' | 'arrayBuffers') => rows.map((r) => r[key]);
  const markers: NonNullable<ChartSpec['markers']> = pauses.map((p) => ({ at: seconds(p.startMs), label: p.label, tone: 'pause' }));
  const crashAtMs = report.target.crashed ? report.phases.at(-1)?.endMs : undefined;
  if (crashAtMs !== undefined) markers.push({ at: seconds(crashAtMs), label: 'target crashed', tone: 'crash' });
  const xs = rows.map((r) => seconds(r.atMs));
  const bands = report.phases.map((p) => ({ from: seconds(p.startMs), to: seconds(p.endMs), label: p.name, kind: p.kind }));
  const ends = [...xs, ...bands.flatMap((b) => [b.from, b.to]), ...markers.map((m) => m.at)];
  return {
    id: 'chart-memory',
    xRange: [Math.min(...ends), Math.max(...ends)],
    x: { kind: 'seconds', label: pauses.length > 0 ? 'run time, pauses cut out' : 'run time' },
    yKind: 'bytes',
    yLabel: 'memory',
    xs,
    series: [
      { label: 'heap used', color: seriesColors.heapUsed, values: column('heapUsed'), width: 2 },
      { label: 'heap total', color: seriesColors.heapTotal, values: column('heapTotal') },
      { label: 'external', color: seriesColors.external, values: column('external') },
      { label: 'arrayBuffers', color: seriesColors.arrayBuffers, values: column('arrayBuffers'), show: false },
      // RSS dwarfs the heap (and takes the snapshots' own memory): shown on request.
      { label: 'rss', color: seriesColors.rss, values: column('rss'), show: false },
      { label: 'heap after forced GC', color: seriesColors.postGc, values: rows.map((r) => (r.checkpoint ? r.heapUsed : null)), points: true },
    ],
    bands,
    markers,
    tipTitles: rows.map((r) => `${formatDurationMs(r.atMs)} · ${r.phase}`),
    tipNotes: rows.map((r) => (r.checkpoint ? `after leakcheck’s forced full GC${r.checkpoint.boundary ? ` (end of ${r.checkpoint.phase})` : ''}` : null)),
  };
}

/**
 * The post-GC heap the verdict's trend test used, its Theil–Sen line, and that line carried on
 * toward the limit: to the crossing when the limit is near, else half the run's span further.
 */
export function heapTrendChart(source: TrendSource, projection: HeapProjection | null, id = 'chart-trend'): ChartSpec | null {
  const line = heapTrendLine(source);
  if (!line) return null;
  const xs = line.points.map((p) => (line.byRequests ? p.x : p.x / 1000));
  const fit = (x: number) => line.intercept + line.slope * (line.byRequests ? x : x * 1000);
  const firstX = xs[0]!;
  const lastX = xs.at(-1)!;
  const span = Math.max(1, lastX - firstX);
  const maxY = Math.max(...line.points.map((p) => p.y));
  let endX = lastX + span / 2;
  let limitBytes: number | null = null;
  if (projection && line.slope > 0) {
    const limitAt = projection.limit === 'v8-heap' ? projection.limitBytes : line.points.at(-1)!.y + projection.headroomBytes;
    const crossing = line.byRequests ? (limitAt - line.intercept) / line.slope : (limitAt - line.intercept) / line.slope / 1000;
    // A limit within four times the plotted heap is drawn with its crossing; a far one would flatten the data to a line at the bottom.
    if (limitAt <= 4 * maxY && crossing > lastX) {
      endX = crossing;
      limitBytes = limitAt;
    }
  }
  const allXs = [...xs, endX];
  const n = allXs.length;
  const series: ChartSeries[] = [
    { label: 'heap after forced GC', color: seriesColors.postGc, values: [...line.points.map((p) => p.y), null], points: true },
    { label: 'Theil–Sen trend', color: '#b83224', values: allXs.map((x, k) => (k < n - 1 ? fit(x) : null)), width: 2 },
  ];
  if (projection && line.slope > 0) series.push({ label: 'projection', color: '#b83224', values: allXs.map((x, k) => (k >= n - 2 ? fit(x) : null)), dash: true });
  if (limitBytes !== null) series.push({ label: projection!.limit === 'v8-heap' ? 'V8 heap limit' : 'cgroup limit (heap share)', color: '#5d6375', values: allXs.map(() => limitBytes), dash: true, width: 1 });
  return {
    id,
    x: { kind: line.byRequests ? 'count' : 'seconds', label: line.byRequests ? 'requests served' : 'run time' },
    yKind: 'bytes',
    yLabel: 'heap after GC',
    xs: allXs,
    series,
    tipTitles: allXs.map((x, k) => {
      const at = line.byRequests ? `${formatCount(x)} requests` : formatDurationMs(x * 1000);
      return k < n - 1 ? `${at} · ${line.points[k]!.phase}` : `${at} · projected`;
    }),
  };
}

const classColors = ['#1f6fb2', '#d35400', '#16a085', '#8e44ad', '#b83224', '#7f8c8d', '#c49a2c', '#2c3e50'];

/** Live objects per class in each snapshot, for the classes that grew most. */
export function classChart(analysis: AnalysisResult, maxClasses = 8): ChartSpec | null {
  const rows = analysis.classGrowth.slice(0, maxClasses);
  if (rows.length === 0) return null;
  const names = analysis.snapshots.map((_, k) => ['base', 'target', 'final'][k] ?? `#${k + 1}`);
  return {
    id: 'chart-classes',
    x: { kind: 'snapshot', label: 'snapshot', names },
    yKind: 'count',
    yLabel: 'live objects',
    xs: names.map((_, k) => k),
    series: rows.map((row, k) => ({ label: row.className, color: classColors[k % classColors.length]!, values: [...row.counts], width: 2 })),
    tipTitles: analysis.snapshots.map((s, k) => `${names[k]} · ${s.path.split('/').pop() ?? s.path}`),
  };
}
