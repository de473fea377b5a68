import { analyzeSnapshots, type AnalysisResult } from '../analyze.js';
import type { SnapshotAnalyzer } from './run.js';

/**
 * The run's snapshot diff: baseline = end of warm-up, target = end of the next-to-last load phase,
 * final = end of the last one. Objects allocated during the target interval and still alive in
 * final are the leak candidates; the detectors name the culprits.
 */
export function analyzeRunSnapshots(snapshots: Parameters<SnapshotAnalyzer>[0]): Promise<AnalysisResult> {
  return analyzeSnapshots([snapshots.baseline, snapshots.target, snapshots.final], snapshots.preloaded === undefined ? {} : { preloaded: snapshots.preloaded });
}
