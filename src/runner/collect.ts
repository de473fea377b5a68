import type { RunGcSample, RunMemorySample, RunPhase, RunReport } from '../report/index.js';
import type { AgentConnection } from './agent-server.js';

/** The phase running at a moment (ms since the run started); before the first: "startup". */
export function phaseAt(phases: readonly RunPhase[], atMs: number): string {
  let name = 'startup';
  for (const phase of phases) {
    if (atMs >= phase.startMs) name = phase.name;
  }
  return name;
}

/** The target agent's samples and GCs, on the run's clock and labelled with their phase. */
export function collectSeries(agent: AgentConnection, startedAtMs: number, phases: readonly RunPhase[]): { samples: RunMemorySample[]; gcs: RunGcSample[] } {
  const samples = agent.memory.map((m): RunMemorySample => {
    const atMs = m.timeMs - startedAtMs;
    return {
      atMs, phase: phaseAt(phases, atMs),
      rssBytes: m.rssBytes, heapTotalBytes: m.heapTotalBytes, heapUsedBytes: m.heapUsedBytes,
      externalBytes: m.externalBytes, arrayBuffersBytes: m.arrayBuffersBytes,
      ...(m.duringCheckpoint ? { duringCheckpoint: true } : {}),
    };
  });
  const gcs = agent.gcs.map((g): RunGcSample => {
    const atMs = g.timeMs - startedAtMs;
    return {
      atMs, phase: phaseAt(phases, atMs),
      usedHeapBytes: g.usedHeapBytes, totalHeapBytes: g.totalHeapBytes, gcPauseNs: g.gcPauseNs,
      markSweepCompactCount: g.markSweepCompactCount, scavengeCount: g.scavengeCount, forced: g.forced,
    };
  });
  return { samples, gcs };
}

/**
 * stats.jsonl: every measurement of the run in time order, one JSON object per line with a
 * `type` ("phase", "sample", "gc", "checkpoint", "memwatch-rule"), for tools that plot or
 * post-process a run without reading the whole report.
 */
export function buildStatsLines(report: RunReport): string {
  const rows: Array<{ atMs: number; line: string }> = [];
  const add = (atMs: number, value: object): void => {
    rows.push({ atMs, line: JSON.stringify(value) });
  };
  for (const p of report.phases) add(p.startMs, { type: 'phase', name: p.name, kind: p.kind, startMs: p.startMs, endMs: p.endMs });
  for (const s of report.samples) add(s.atMs, { type: 'sample', ...s });
  for (const g of report.gcs) add(g.atMs, { type: 'gc', ...g });
  for (const c of report.checkpoints) add(c.atMs, { type: 'checkpoint', ...c });
  for (const e of report.memwatchRule) add(e.atMs, { type: 'memwatch-rule', ...e });
  rows.sort((a, b) => a.atMs - b.atMs);
  return rows.map((r) => r.line).join('\n') + (rows.length > 0 ? '\n' : '');
}
