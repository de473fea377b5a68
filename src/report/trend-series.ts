import type { RunCheckpoint, RunPhase } from './model.js';

/**
 * The post-GC checkpoints a run's trends are computed over: the last boundary checkpoint before
 * the first load phase (the baseline), then every checkpoint of a load phase; x is requests served
 * when every load phase counted its requests, else time. One definition for the verdict
 * (runner/verdict.ts) and for the page that draws the same points and line.
 */
export function trendSeries(checkpoints: readonly RunCheckpoint[], phases: readonly RunPhase[]): { baseline: RunCheckpoint | undefined; series: RunCheckpoint[]; byRequests: boolean } {
  const loadPhases = phases.filter((p) => p.kind === 'load');
  const loadNames = new Set(loadPhases.map((p) => p.name));
  const firstLoad = phases.findIndex((p) => p.kind === 'load');
  const beforeLoad = new Set(phases.slice(0, Math.max(0, firstLoad)).map((p) => p.name));
  const baseline = [...checkpoints].reverse().find((c) => c.boundary && beforeLoad.has(c.phase));
  const inLoad = checkpoints.filter((c) => loadNames.has(c.phase));
  const series = baseline ? [baseline, ...inLoad] : inLoad;
  const byRequests = loadPhases.length > 0 && loadPhases.every((p) => (p.http?.requests ?? 0) > 0) && series.length > 1
    && series[series.length - 1]!.requestsSoFar > series[0]!.requestsSoFar;
  return { baseline, series, byRequests };
}
