/**
 * The verdict of a run as facts: every reason is a kind plus numbers in base units (bytes,
 * milliseconds, counts, p-values), never a sentence. verdict-words.ts is the one place that turns
 * a reason into words, for the text summary and the HTML page alike.
 */
import type { SeriesTrend } from './model.js';

/** How a series' post-GC rise was judged, in the order the tests are applied. */
export type TrendJudgement =
  /** Significant, above --min-growth and the noise, and still growing in the last load phase. */
  | 'keeps-growing'
  /** Not a significant rise (Mann–Kendall p ≥ 0.05, or no growth at all). */
  | 'no-sustained-growth'
  | 'below-min-growth'
  /** Growth within 3 × the residual noise. */
  | 'within-noise'
  /** Rose, then stopped: not growing in the last load phase (a cache that filled). */
  | 'stopped-growing';

/** How the target process ended, as the OS told it. */
export interface ExitFacts {
  code: number | null;
  signal: string | null;
  /** Set when the command could not be started at all (ENOENT, EACCES). */
  spawnError?: string;
}

/** Why a run measured nothing: it ended before the target was ready for load, or failed before its verdict. */
export type NotMeasuredCause =
  /** The OS refused the command (not found, not executable). */
  | 'failed-to-start'
  /** The target exited before it was ready. */
  | 'exited-before-ready'
  /** It did not listen (on the --url port) within --start-timeout. */
  | 'not-listening'
  /** The run was stopped from outside (Ctrl-C, SIGTERM) before the target was ready. */
  | 'interrupted'
  /** Any other error before the verdict (the agent could not be used, a load URL the target does not own, …). */
  | 'error';

export type VerdictReason =
  | {
      kind: 'heap-trend' | 'off-heap-trend';
      leak: boolean;
      judgement: TrendJudgement;
      /** The series' statistics (series name, points, first/last, Theil–Sen growth and slope, p-value, growth by phase). */
      trend: SeriesTrend;
      /** The --min-growth in effect. */
      minGrowthBytes: number;
      /** Off-heap only: the ArrayBuffers part of a growth it mostly explains. */
      arrayBuffersGrowthBytes?: number;
    }
  | { kind: 'rss-only'; leak: false; growthBytes: number }
  | {
      kind: 'snapshot';
      leak: true;
      /** Index of the finding in the run's analysis.findings. */
      findingIndex: number;
      detector: string;
      retainedBytes: number;
      growthBytes: number;
      /** Other findings under the same holder (the finding heads a cause of several); absent for a lone finding. */
      relatedFindings?: number;
      /** Bytes allocated since the base that the cause's holder keeps (Cause.growthBytes), with relatedFindings. */
      causeGrowthBytes?: number;
    }
  | { kind: 'memwatch-rule'; leak: false; firings: number; consecutiveIncreases: number; growthBytes: number }
  | { kind: 'out-of-memory'; leak: true; phase: string | null; exit: ExitFacts | null }
  | { kind: 'crash'; leak: false; phase: string; exit: ExitFacts }
  | { kind: 'interrupted'; leak: false; phase: string; signal: string | null }
  /** The agent stopped answering while the target process stayed: a checkpoint timed out (event loop blocked), or its channel closed. */
  | { kind: 'unresponsive'; leak: false; phase: string; cause: 'checkpoint-timeout' | 'agent-disconnected'; waitedMs: number }
  | { kind: 'too-few-points'; leak: false; points: number; neededPoints: number }
  /** Nothing was measured (outcome 'not-measured'): the error that ended the run, and how the target ended if it did. */
  | {
      kind: 'not-measured'; leak: false; cause: NotMeasuredCause; errorCode: string; message: string;
      exit: ExitFacts | null; signal: string | null;
    }
  /**
   * The snapshot diff was to run and failed (a damaged snapshot, an engine error): the run's
   * culprit search measured nothing, so the trend alone cannot make it clean.
   */
  | {
      kind: 'analysis-failed'; leak: false; code: string | null; file: string | null;
      /** The error in one line, the file and byte offset in it when known. */
      message: string;
    }
  /**
   * More than `maxErrorRate` of the load requests failed (no response, or a status >= 400 not in
   * `acceptedStatuses`): the run measured the error path, not the code under test.
   */
  | {
      kind: 'load-failed'; leak: false; requests: number; failed: number; statusCounts: Record<string, number>;
      acceptedStatuses: number[]; maxErrorRate: number; firstError: string | null;
    }
  /**
   * Another process that served the load (a cluster's primary or worker), judged on its own
   * measurements (RunReport.processes[processIndex]); a leak in any of them is a leak of the run.
   */
  | { kind: 'process'; leak: boolean; processIndex: number; pid: number; clusterWorkerId: number | null; outcome: Outcome }
  /** A reason read from a schema-1 report.json, which stored finished text. */
  | { kind: 'v1-message'; leak: boolean; v1Kind: string; message: string };

export type ReasonKind = VerdictReason['kind'];

/** Every reason kind, for readers of saved reports; a Record so that adding a kind without listing it here does not compile. */
const REASON_KIND_SET: Readonly<Record<ReasonKind, true>> = {
  'heap-trend': true, 'off-heap-trend': true, 'rss-only': true, snapshot: true, 'memwatch-rule': true, 'out-of-memory': true,
  crash: true, interrupted: true, unresponsive: true, 'too-few-points': true, 'not-measured': true, 'analysis-failed': true, 'load-failed': true, process: true, 'v1-message': true,
};
export const REASON_KINDS = Object.keys(REASON_KIND_SET) as readonly ReasonKind[];

/** 'not-measured': the run ended before the target could be measured (report.json says why, with what was known). */
export type Outcome = 'leak' | 'clean' | 'crashed' | 'inconclusive' | 'interrupted' | 'not-measured';

const OUTCOME_SET: Readonly<Record<Outcome, true>> = { leak: true, clean: true, crashed: true, inconclusive: true, interrupted: true, 'not-measured': true };
export const OUTCOMES = Object.keys(OUTCOME_SET) as readonly Outcome[];

/**
 * The outcome its reasons make: a leak wins, then a crash, then an interruption, then anything
 * that left the run without a measurement. decideVerdict (runner/verdict.ts) and the report's
 * per-process view (process-view.ts, the target judged without the other processes) both use it.
 */
export function outcomeOf(reasons: readonly VerdictReason[]): Outcome {
  const has = (kind: ReasonKind) => reasons.some((r) => r.kind === kind);
  if (reasons.some((r) => r.leak)) return 'leak';
  if (has('not-measured')) return 'not-measured';
  if (has('crash')) return 'crashed';
  if (has('interrupted')) return 'interrupted';
  // A serving process that was not measured to the end (lost, crashed) leaves the run unmeasured there too.
  const processUnmeasured = reasons.some((r) => r.kind === 'process' && r.outcome !== 'clean');
  return has('load-failed') || has('unresponsive') || has('too-few-points') || has('analysis-failed') || processUnmeasured ? 'inconclusive' : 'clean';
}

/** The verdict of `leakcheck run` (the snapshot diff's own verdict is AnalysisVerdict). */
export interface RunVerdict {
  outcome: Outcome;
  leak: boolean;
  /** The run ended before its last phase did (a crash, an interruption): the figures cover only part of the plan. */
  partial: boolean;
  reasons: VerdictReason[];
}
