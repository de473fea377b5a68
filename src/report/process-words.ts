import type { ProcessView } from './process-view.js';
import { formatBytes, formatCount } from './units.js';
import { trendGrowthText } from './verdict-words.js';

/** "cluster worker 2 (pid 4242)", "cluster primary (pid 4240)", "process 4240": who, as every output names it. */
export function processViewLabel(view: ProcessView): string {
  const pid = view.pid ?? '?';
  if (view.role === 'worker') return `cluster worker ${view.clusterWorkerId} (pid ${pid})`;
  return view.role === 'primary' ? `cluster primary (pid ${pid})` : `process ${pid}`;
}

/**
 * "worker 2", "primary": the process's name without its pid, which changes from run to run, for
 * what CI tracks across runs (JUnit test names).
 */
export function processKey(view: ProcessView): string {
  if (view.role === 'worker') return `worker ${view.clusterWorkerId}`;
  return view.role === 'primary' ? 'primary' : `process ${view.pid ?? '?'}`;
}

/** The cells of a process's row in the HTML and Markdown tables. */
export interface ProcessFigures {
  /** The post-GC heap at the first and last checkpoint of the load phases: "5.02 MiB → 9.93 MiB". */
  heap: string;
  /** Its Theil–Sen growth, slope and p-value: "+4.87 MiB, +8.12 MiB per 1000 requests, p=0.000". */
  trend: string;
  /** "1 leak, 1 suspect", "none", or why there is no diff. */
  findings: string;
  /** The snapshot files' names, without their directory. */
  snapshots: string[];
}

export function processFigures(view: ProcessView): ProcessFigures {
  const heap = view.trends.find((t) => t.series === 'heapUsed');
  const measured = heap !== undefined && heap.points > 0;
  return {
    heap: measured ? `${formatBytes(heap.firstBytes)} → ${formatBytes(heap.lastBytes)}` : 'not measured',
    trend: measured ? `${trendGrowthText(heap)}, p=${heap.pValue.toFixed(3)}` : '—',
    findings: findingsCount(view),
    snapshots: (view.snapshots ?? []).map((path) => path.slice(path.lastIndexOf('/') + 1)),
  };
}

function findingsCount(view: ProcessView): string {
  if (!view.analysis) return view.analysisNote === undefined ? 'no snapshot diff' : `no snapshot diff (${view.analysisNote})`;
  const leaks = view.analysis.findings.filter((f) => f.severity === 'leak').length;
  const suspects = view.analysis.findings.length - leaks;
  const parts = [...(leaks > 0 ? [`${formatCount(leaks)} leak${leaks === 1 ? '' : 's'}`] : []), ...(suspects > 0 ? [`${formatCount(suspects)} suspect${suspects === 1 ? '' : 's'}`] : [])];
  return parts.length > 0 ? parts.join(', ') : 'none';
}
