import type { ClassGrowthRow, DiffWarning } from '../diff/index.js';
import type { Cause, HeapGrowthAccount } from './causes.js';
import type { DetectorId, Finding, Thresholds } from './detector.js';

/**
 * Bumped on any change to AnalysisResult a consumer could notice (fields removed or re-meant).
 * 2: findings are facts (subject, retainer path as steps), no titles; warnings and the verdict are
 * data (docs/diff.md "JSON output").
 */
export const ANALYSIS_SCHEMA_VERSION = 2;

/** What `leakcheck diff --json` prints and analyzeSnapshots() returns. JSON-safe: numbers in bytes. */
export interface AnalysisResult {
  readonly schemaVersion: typeof ANALYSIS_SCHEMA_VERSION;
  /** The inputs, oldest first. */
  readonly snapshots: readonly SnapshotSummary[];
  /**
   * 'three-snapshot' (base/target/final method), 'two-snapshot' (growth hints only), or
   * 'cross-process': snapshots (or digests) of different processes, matched by holder path, source
   * location and class instead of V8 ids; no survivor rule (the `cross-process` warning says what it cannot prove).
   */
  readonly method: 'three-snapshot' | 'two-snapshot' | 'cross-process';
  /** Thresholds in effect (after --fail-on and the config file). */
  readonly thresholds: Thresholds;
  /** Per-detector threshold overrides in effect. */
  readonly detectorThresholds: Readonly<Partial<Record<DetectorId, Thresholds>>>;
  /** Detectors that ran, in order. */
  readonly detectors: readonly DetectorId[];
  /** Leaks first, then suspects; within each, largest retained size first. */
  readonly findings: readonly Finding[];
  /**
   * The findings grouped by what holds them (causes.ts): every finding is in exactly one cause,
   * leak causes first. Absent in results saved before causes existed.
   */
  readonly causes?: readonly Cause[];
  /** The heap's growth and how much of it the causes account for. Absent in results saved before. */
  readonly heapGrowth?: HeapGrowthAccount;
  /** Classes that grew, largest shallow growth first (at most `maxClassRows`). */
  readonly classGrowth: readonly ClassGrowthRow[];
  /** Objects new in the target (not in the base), by count: the two-snapshot view. Null across processes (ids differ). */
  readonly newInTarget: { readonly count: number; readonly freedSinceBase: number } | null;
  /** Objects allocated between base and target and alive in final (two snapshots: new in target). Null across processes. */
  readonly survivingCount: number | null;
  readonly warnings: readonly DiffWarning[];
  readonly verdict: AnalysisVerdict;
}

export interface SnapshotSummary {
  /** As the caller named it. */
  readonly path: string;
  readonly nodeCount: number;
  readonly edgeCount: number;
  /** Sum of shallow sizes, bytes. */
  readonly totalBytes: number;
  /** Set when the input was a digest (`leakcheck digest`) rather than a snapshot; the counts are the digested snapshot's. */
  readonly input?: 'digest';
}

/** The snapshot diff's own verdict (a run's verdict is RunVerdict in report/run-verdict.ts). */
export interface AnalysisVerdict {
  /** True when at least one finding has severity 'leak'. */
  readonly leak: boolean;
  /** Findings of severity 'leak' (they come first in `findings`). */
  readonly leakCount: number;
  /** Findings of severity 'suspect' kept (below the thresholds, or grown in one interval only). */
  readonly suspectCount: number;
  /** Causes of severity 'leak' (the leak findings grouped by holder). Absent in results saved before causes existed. */
  readonly leakCauseCount?: number;
}
