import { classRetainedSizes } from '../snapshot/index.js';
import type { ComparedSnapshot, SnapshotDiff } from './growth.js';

/** One class (constructor or function name, or a V8 category such as "(string)") across snapshots. */
export interface ClassGrowthRow {
  readonly className: string;
  /** Live objects per snapshot, oldest first. */
  readonly counts: number[];
  /** Sum of shallow sizes per snapshot, bytes. */
  readonly shallowBytes: number[];
  /** Retained bytes per snapshot: retained sizes of members no other member dominates. */
  readonly retainedBytes: number[];
  /** Last minus first snapshot. */
  readonly countDelta: number;
  readonly shallowDelta: number;
  readonly retainedDelta: number;
  /** Objects of this class that are leak candidates (see SnapshotDiff.candidates); null across processes. */
  readonly candidateCount: number | null;
  /** Shallow bytes of those candidates; null across processes. */
  readonly candidateBytes: number | null;
}

interface ClassTotals {
  count: number;
  shallow: number;
  retained: number;
}

/** Per class: live count and shallow bytes (graph only, so any snapshot of the diff). */
function countClasses(snapshot: ComparedSnapshot): Map<string, { count: number; shallow: number }> {
  const graph = snapshot.graph;
  const { classIds, names } = snapshot.classIds;
  const counts = new Float64Array(names.length);
  const shallow = new Float64Array(names.length);
  for (let ordinal = 0; ordinal < graph.nodeCount; ordinal++) {
    counts[classIds[ordinal]!]!++;
    shallow[classIds[ordinal]!]! += graph.selfSizes[ordinal]!;
  }
  const totals = new Map<string, { count: number; shallow: number }>();
  // Class names are interned (class-key.ts): one id per name.
  for (let id = 0; id < names.length; id++) totals.set(names[id]!, { count: counts[id]!, shallow: shallow[id]! });
  return totals;
}

/**
 * Class table across the diff's snapshots, every class that exists in any of them. Counts and
 * shallow bytes come from each snapshot; retained bytes are measured in the last snapshot, for
 * each earlier snapshot k over the objects that already existed at k.
 */
export function compareClasses(diff: SnapshotDiff): ClassGrowthRow[] {
  const last = diff.last;
  const graph = last.graph;
  const { classIds, names: classNames } = last.classIds;
  const retainedAsOf = classRetainedSizes(
    last, classIds, classNames.length, diff.snapshots.map((_, k) => (k === diff.snapshots.length - 1 ? undefined : diff.ordinalIn[k])),
  );
  const perSnapshot = diff.snapshots.map((snapshot, k) => {
    const totals = new Map<string, ClassTotals>();
    for (const [name, { count, shallow }] of countClasses(snapshot)) totals.set(name, { count, shallow, retained: 0 });
    const retained = retainedAsOf[k]!;
    for (let id = 0; id < classNames.length; id++) {
      if (retained[id] === 0) continue;
      const entry = totals.get(classNames[id]!);
      if (entry) entry.retained += retained[id]!;
      else totals.set(classNames[id]!, { count: 0, shallow: 0, retained: retained[id]! });
    }
    return totals;
  });
  const candidateCounts = new Float64Array(classNames.length);
  const candidateShallow = new Float64Array(classNames.length);
  for (let ordinal = 0; ordinal < graph.nodeCount; ordinal++) {
    if (diff.candidates[ordinal] === 0) continue;
    candidateCounts[classIds[ordinal]!]!++;
    candidateShallow[classIds[ordinal]!]! += graph.selfSizes[ordinal]!;
  }
  const candidateTotals = new Map<string, { count: number; bytes: number }>();
  for (let id = 0; id < classNames.length; id++) {
    if (candidateCounts[id]! > 0) candidateTotals.set(classNames[id]!, { count: candidateCounts[id]!, bytes: candidateShallow[id]! });
  }
  const names = new Set<string>();
  for (const totals of perSnapshot) for (const name of totals.keys()) names.add(name);
  const rows: ClassGrowthRow[] = [];
  for (const className of names) {
    const pick = (field: keyof ClassTotals): number[] => perSnapshot.map((t) => t.get(className)?.[field] ?? 0);
    const counts = pick('count');
    const shallowBytes = pick('shallow');
    const retainedBytes = pick('retained');
    const lastIndex = counts.length - 1;
    const candidates = candidateTotals.get(className);
    rows.push({
      className,
      counts,
      shallowBytes,
      retainedBytes,
      countDelta: counts[lastIndex]! - counts[0]!,
      shallowDelta: shallowBytes[lastIndex]! - shallowBytes[0]!,
      retainedDelta: retainedBytes[lastIndex]! - retainedBytes[0]!,
      candidateCount: candidates?.count ?? 0,
      candidateBytes: candidates?.bytes ?? 0,
    });
  }
  rows.sort((x, y) => y.shallowDelta - x.shallowDelta || y.countDelta - x.countDelta || x.className.localeCompare(y.className));
  return rows;
}
