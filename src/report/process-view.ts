/**
 * Every process of a cluster run side by side, the target among them: the target's figures live
 * at the top of RunReport and the others in RunReport.processes, but each output shows them as one
 * table. Facts only; process-words.ts words them.
 */
import { join } from 'node:path';
import type { AnalysisResult, RunCheckpoint, RunReport, SeriesTrend } from './model.js';
import { outcomeOf, type RunVerdict } from './run-verdict.js';

/** 'primary' and 'worker' in a node:cluster run; 'process' for one that is neither (it serves the port some other way). */
export type ProcessRole = 'primary' | 'worker' | 'process';

export interface ProcessView {
  /** Its index in RunReport.processes; null for the target. */
  processIndex: number | null;
  role: ProcessRole;
  pid: number | null;
  clusterWorkerId: number | null;
  /** Its own verdict: for the target, the run's reasons without the other processes'. */
  verdict: RunVerdict;
  checkpoints: readonly RunCheckpoint[];
  trends: readonly SeriesTrend[];
  analysis: AnalysisResult | null;
  analysisNote: string | undefined;
  /** Heap snapshots written of it (deleted after the run when RunReport.files.snapshotsDeleted); null when the report does not list them (written before they were). */
  snapshots: readonly string[] | null;
  /** Set when it stopped being measured before the run ended. */
  lost: { phase: string; error: string } | undefined;
}

/**
 * The target and every other process that served the load, those that leaked first (then in the
 * report's order: the target, then the others); [] when only the target served it.
 */
export function processViews(report: RunReport): ProcessView[] {
  const others = report.processes ?? [];
  if (others.length === 0) return [];
  const cluster = report.target.clusterWorkerId !== undefined || others.some((p) => p.clusterWorkerId !== null);
  const role = (clusterWorkerId: number | null): ProcessRole => (clusterWorkerId !== null ? 'worker' : cluster ? 'primary' : 'process');
  const targetWorkerId = report.target.clusterWorkerId ?? null;
  const views: ProcessView[] = [
    {
      processIndex: null, role: role(targetWorkerId), pid: report.target.pid, clusterWorkerId: targetWorkerId, verdict: targetOwnVerdict(report),
      checkpoints: report.checkpoints, trends: report.trends, analysis: report.analysis, analysisNote: report.analysisNote,
      // files.snapshots lists every process's; the phases name the target's own.
      snapshots: report.phases.flatMap((p) => (p.snapshot ? [join(report.files.dir, p.snapshot.file)] : [])), lost: undefined,
    },
    ...others.map((p, processIndex): ProcessView => ({
      processIndex, role: role(p.clusterWorkerId), pid: p.pid, clusterWorkerId: p.clusterWorkerId, verdict: p.verdict,
      checkpoints: p.checkpoints, trends: p.trends, analysis: p.analysis, analysisNote: p.analysisNote,
      snapshots: p.snapshots ?? null, lost: p.lost,
    })),
  ];
  // A stable sort: among the leaking and among the rest, the report's order stays.
  return views.sort((a, b) => Number(b.verdict.leak) - Number(a.verdict.leak));
}

/** The target's verdict on its own measurements: the run's, less the reasons that are other processes' verdicts. */
export function targetOwnVerdict(report: RunReport): RunVerdict {
  const reasons = report.verdict.reasons.filter((r) => r.kind !== 'process');
  return { outcome: outcomeOf(reasons), leak: reasons.some((r) => r.leak), partial: report.verdict.partial, reasons };
}
