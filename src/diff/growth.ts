import { ErrorCode, LeakcheckError } from '../errors.js';
import type { IdOrderedSnapshot, Snapshot } from '../snapshot/index.js';
import { matchIds, newestHeapId, type IdMatch } from './id-diff.js';

/**
 * The diff every detector reads. With three snapshots (baseline, target, final) this is the
 * baseline/target/final method: an object allocated after the baseline and before the target that
 * is still alive in the final snapshot outlived a whole round of work, so it is a leak candidate;
 * objects freed by the final snapshot were churn. With two snapshots, every object new in the
 * target is a candidate (weaker: nothing separates a leak from work still in flight).
 */
/**
 * What the diff needs of every snapshot but the last: its graph and id order, to match ids and
 * count objects. Sizes are always measured in the last snapshot (retained sizes of what already
 * existed at each earlier one), so earlier snapshots need no dominator tree: loading them is
 * loadSnapshotIds (parse → id order), the first steps of the engine's pipeline.
 */
export type ComparedSnapshot = IdOrderedSnapshot;

export interface SnapshotDiff {
  /** Oldest first: [base, target] or [base, target, final]. */
  readonly snapshots: readonly ComparedSnapshot[];
  /** The last snapshot, where findings are located. */
  readonly last: Snapshot;
  /**
   * ordinalIn[k][o]: the ordinal in snapshots[k] of the object at ordinal o of the last snapshot,
   * or -1 when snapshots[k] does not have it. ordinalIn[last] is the identity and is not stored
   * (use `ordinalInSnapshot`).
   */
  readonly ordinalIn: readonly Int32Array[];
  /** By ordinal of the last snapshot: 1 when the object is a leak candidate (see above). */
  readonly candidates: Uint8Array;
  readonly candidateCount: number;
  /** Base → target pairing (objects new in the target, freed since the base). */
  readonly baseToTarget: IdMatch;
  /** Findings from this diff are hints, not a gate, when this is false (two snapshots). */
  readonly threeSnapshot: boolean;
  /** Things the user should know that do not stop the diff (rendered by src/report, kept in JSON). */
  readonly warnings: readonly DiffWarning[];
}

/**
 * A fact about the diff's inputs that weakens what it can prove. `two-snapshots`: without a final
 * snapshot every object new in the target counts as growth (leaks are not told from work in flight).
 * `cross-process`: the inputs come from different processes (or are digests), so groups were
 * matched by what they are, not by object; `unproven` lists what that cannot show, `notRun` the
 * detectors it cannot run, `minCounts` the group sizes below which a digest keeps nothing.
 */
export type DiffWarning =
  | { readonly kind: 'two-snapshots' }
  | {
    readonly kind: 'cross-process';
    readonly unproven: readonly CrossProcessGap[];
    readonly notRun: readonly string[];
    readonly minCounts: { readonly classes: number; readonly collections: number; readonly listeners: number; readonly closures: number };
  };

/**
 * What the cross-process method cannot prove. `survivors`: that the objects of the last snapshot
 * outlived a round of work (no survivor rule: a group that grew may hold only work in flight).
 * `same-objects`: that a group holds the same objects in every snapshot. `order`: that the inputs
 * are oldest first (ids are no clock across processes; the given order is taken). `retainer-paths`:
 * a retainer path per finding (digests keep groups, not objects).
 */
export type CrossProcessGap = 'survivors' | 'same-objects' | 'order' | 'retainer-paths';

/** Ordinal of last-snapshot object `ordinal` in snapshot k, or -1. */
export function ordinalInSnapshot(diff: SnapshotDiff, k: number, ordinal: number): number {
  if (k === diff.snapshots.length - 1) return ordinal;
  return diff.ordinalIn[k]![ordinal]!;
}

/**
 * Share of the earlier snapshot's objects that must reappear in the later one for the two to be
 * snapshots of one process. A live service keeps its modules, closures and caches; measured on the
 * fixture apps, > 95 % of objects survive between snapshots. Two processes of one Node share most
 * ids (the startup heap is deserialized identically) but beyond that the same id names different
 * objects: on the fixtures 10–30 % of matched names agree across processes, 100 % within one.
 */
const MIN_SURVIVING_SHARE = 0.2;
/**
 * Share of the later snapshot's objects that must already be in the earlier one: growth of 100x
 * in object count between two snapshots of one service is far beyond any leak the fixtures show
 * (1.2-1.4x), while a base of a few nodes from anywhere shares well under 0.1 % with a real heap.
 */
const MIN_KEPT_SHARE = 0.01;
/**
 * Share of matched ids whose node name and type must agree for the ids to mean the same objects.
 * Measured on the fixtures: 100 % within one process (V8 reuses a dead object's id for another
 * class about 2 times in 1,000), 36-89 % between two runs of one program, whose startup objects
 * get the same ids in the same order (growing-map: 89 %, so 0.9 let such a pair through).
 */
const MIN_AGREEING_SHARE = 0.98;

/**
 * `earlier` oldest first (the base, or base and target), `last` fully loaded: findings are
 * explained in it.
 */
export function diffSnapshots(earlier: readonly ComparedSnapshot[], last: Snapshot): SnapshotDiff {
  if (earlier.length !== 1 && earlier.length !== 2) {
    throw new LeakcheckError(ErrorCode.USAGE, `diff needs 2 or 3 snapshots (base, target[, final]); got ${earlier.length + 1}`);
  }
  const snapshots: readonly ComparedSnapshot[] = [...earlier, last];
  const warnings: DiffWarning[] = [];
  const baseToTarget = matchIds(snapshots[0]!, snapshots[1]!);
  checkComparable(snapshots[0]!, snapshots[1]!, baseToTarget);
  const ordinalIn: Int32Array[] = [baseToTarget.fromOrdinalByToOrdinal];
  if (snapshots.length === 3) {
    const targetToFinal = matchIds(snapshots[1]!, last);
    checkComparable(snapshots[1]!, last, targetToFinal);
    ordinalIn[0] = matchIds(snapshots[0]!, last).fromOrdinalByToOrdinal;
    ordinalIn.push(targetToFinal.fromOrdinalByToOrdinal);
  }
  const count = last.graph.nodeCount;
  const candidates = new Uint8Array(count);
  let candidateCount = 0;
  const inBase = ordinalIn[0]!;
  if (snapshots.length === 3) {
    const inTarget = ordinalIn[1]!;
    // Alive in final (every ordinal here), present in target, absent from base.
    for (let ordinal = 0; ordinal < count; ordinal++) {
      if (inTarget[ordinal]! >= 0 && inBase[ordinal]! < 0) {
        candidates[ordinal] = 1;
        candidateCount++;
      }
    }
  } else {
    warnings.push({ kind: 'two-snapshots' });
    for (let ordinal = 0; ordinal < count; ordinal++) {
      if (inBase[ordinal]! < 0) {
        candidates[ordinal] = 1;
        candidateCount++;
      }
    }
  }
  return { snapshots, last, ordinalIn, candidates, candidateCount, baseToTarget, threeSnapshot: snapshots.length === 3, warnings };
}

/**
 * The way out, named in the error: across processes objects cannot be matched by id, only groups
 * by what they are (src/digest/compare.ts). Not switched to silently: that method proves less, and
 * a gate that was set up on one process must not pass on weaker evidence without being asked.
 */
const CROSS_PROCESS_HINT = '; to compare snapshots of different processes (by holder path, source location and class, without the survivor rule), run diff --cross-process';

/** Throws when `later` cannot be a later snapshot of the process that wrote `earlier`. */
function checkComparable(earlier: ComparedSnapshot, later: ComparedSnapshot, match: IdMatch): void {
  const a = earlier.graph.source;
  const b = later.graph.source;
  const shared = match.matchedCount / Math.max(1, earlier.graph.nodeCount);
  if (shared < MIN_SURVIVING_SHARE) {
    throw new LeakcheckError(
      ErrorCode.SNAPSHOTS_INCOMPARABLE,
      `shares only ${(shared * 100).toFixed(1)}% of its objects with ${a}; object ids are only comparable between snapshots of one process${CROSS_PROCESS_HINT}`,
      { file: b },
    );
  }
  // The share above is of the earlier snapshot, so a tiny one (a 1-node file shares its root with
  // anything) passes it: the later snapshot must also have kept a part of its objects from the earlier.
  const kept = match.matchedCount / Math.max(1, later.graph.nodeCount);
  if (kept < MIN_KEPT_SHARE) {
    throw new LeakcheckError(
      ErrorCode.SNAPSHOTS_INCOMPARABLE,
      `holds ${later.graph.nodeCount} objects and only ${match.matchedCount} (${(kept * 100).toFixed(2)}%) of them are in ${a}; a later snapshot of one process keeps more of what it held${CROSS_PROCESS_HINT}`,
      { file: b },
    );
  }
  const agreeing = namesAgreeingShare(earlier, later, match);
  if (agreeing < MIN_AGREEING_SHARE) {
    throw new LeakcheckError(
      ErrorCode.SNAPSHOTS_INCOMPARABLE,
      `is not from the process that wrote ${a}: the same object ids name different objects (${(agreeing * 100).toFixed(0)}% agree)${CROSS_PROCESS_HINT}`,
      { file: b },
    );
  }
  if (newestHeapId(later) < newestHeapId(earlier)) {
    throw new LeakcheckError(
      ErrorCode.SNAPSHOTS_INCOMPARABLE,
      `was written before ${a} (its newest object id is older); give the snapshots oldest first`,
      { file: b },
    );
  }
}

/**
 * Two processes of the same program allocate their first objects in the same order and so share
 * low ids; beyond startup the same id names different things. Sample matched ids spread over the
 * later snapshot and require the node names to agree.
 */
function namesAgreeingShare(earlier: ComparedSnapshot, later: ComparedSnapshot, match: IdMatch): number {
  const { fromOrdinalByToOrdinal } = match;
  const count = later.graph.nodeCount;
  const step = Math.max(1, Math.floor(count / 5000));
  let sampled = 0;
  let agreeing = 0;
  for (let ordinal = 0; ordinal < count; ordinal += step) {
    const from = fromOrdinalByToOrdinal[ordinal]!;
    if (from < 0) continue;
    sampled++;
    const nameA = earlier.graph.strings[earlier.graph.nodeNames[from]!];
    const nameB = later.graph.strings[later.graph.nodeNames[ordinal]!];
    if (nameA === nameB && earlier.graph.nodeTypes[from] === later.graph.nodeTypes[ordinal]) agreeing++;
  }
  return sampled === 0 ? 1 : agreeing / sampled;
}
