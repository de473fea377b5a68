import type { DetectorContext } from './context.js';

/** Detector ids double as finding kinds and as the values `--detector` accepts. */
export type DetectorId = 'duplicate-listeners' | 'retained-closures' | 'growing-collections' | 'live-handles' | 'class-growth';

/**
 * `leak`: grew in every interval (three snapshots: with survivors of the first interval still alive
 * in the final one) and crossed the thresholds: fails the gate.
 * `suspect`: grew, but stayed under the thresholds or grew in only one interval: reported, never fails.
 */
export type Severity = 'leak' | 'suspect';

/** Where a function was defined; 1-based line and column for display, `script` as V8 names it (path or URL). */
export interface SourceLocation {
  readonly script: string;
  readonly line: number;
  readonly column: number;
  /** The function's name ('' for anonymous functions). */
  readonly functionName: string;
}

/** Numbers behind a finding, one entry per snapshot (oldest first). JSON-safe. */
export interface Evidence {
  /** What `counts` counts: listeners, closures, entries (Map/Set), elements (Array), properties (Object), objects. */
  readonly unit: 'listeners' | 'closures' | 'entries' | 'elements' | 'properties' | 'objects';
  /** Per snapshot: how many of `unit`. */
  readonly counts: readonly number[];
  /** Per snapshot: bytes held (retained size of the subject, or of the cluster). */
  readonly bytes: readonly number[];
  /** Objects allocated between base and target and still alive in final (two snapshots: new in target). */
  readonly survivingCount: number;
  /** Retained closures: context variables of the cluster's closures, largest first. */
  readonly captured?: readonly CapturedVariable[];
  /** Growing collections: the variable or property path that holds the collection. */
  readonly holder?: string;
  /** Duplicate listeners: the event name; live handles: the handle class. */
  readonly subject?: string;
  /** Listeners or handles grouped by function: how many of the current ones share each location. */
  readonly groups?: readonly LocationGroup[];
}

export interface CapturedVariable {
  readonly name: string;
  /** Sum over the cluster of the retained size of what the variable holds. */
  readonly retainedSize: number;
}

export interface LocationGroup {
  readonly location: SourceLocation | null;
  readonly count: number;
}

export interface Finding {
  readonly kind: DetectorId;
  readonly title: string;
  readonly severity: Severity;
  /** Bytes the finding's objects retain in the last snapshot. */
  readonly retainedSize: number;
  /** Growth from the first to the last snapshot, in `evidence.unit` and in bytes. */
  readonly growth: { readonly count: number; readonly bytes: number };
  readonly location: SourceLocation | null;
  /** Shortest path from the GC roots to a representative object, one compact step per element. */
  readonly retainerPath: readonly string[];
  readonly evidence: Evidence;
}

export interface Detector {
  readonly id: DetectorId;
  /** One line for `--help` and the docs. */
  readonly title: string;
  detect(context: DetectorContext): Finding[];
}

/** Minimum growth, between the first and the last snapshot, that makes a finding fail the gate. */
export interface Thresholds {
  /** Retained bytes added. */
  readonly minGrowthBytes: number;
  /** Listeners, closures, entries or objects added. */
  readonly minGrowthCount: number;
}

