import { computeClassIds, type ClassIds, type HeapGraph } from '../snapshot/index.js';
import type { ComparedSnapshot, SnapshotDiff } from './growth.js';

/** One class (constructor or function name, or a V8 category such as "(string)") across snapshots. */
export interface ClassGrowthRow {
  readonly className: string;
  /** Live objects per snapshot, oldest first. */
  readonly counts: number[];
  /** Sum of shallow sizes per snapshot, bytes. */
  readonly shallowBytes: number[];
  /**
   * Retained bytes per snapshot: the sum of retained sizes of members whose immediate dominator is
   * not itself a member (so a list of Foo nodes dominating each other is counted once per head).
   */
  readonly retainedBytes: number[];
  /** Last minus first snapshot. */
  readonly countDelta: number;
  readonly shallowDelta: number;
  readonly retainedDelta: number;
  /** Objects of this class that are leak candidates (see SnapshotDiff.candidates). */
  readonly candidateCount: number;
  /** Shallow bytes of those candidates. */
  readonly candidateBytes: number;
}

interface ClassTotals {
  count: number;
  shallow: number;
  retained: number;
}

const classIdsCache = new WeakMap<HeapGraph, ClassIds>();

/** The engine's per-node class ids (one typed array, names interned), computed once per graph. */
export function classIdsOf(graph: HeapGraph): ClassIds {
  let ids = classIdsCache.get(graph);
  if (!ids) classIdsCache.set(graph, (ids = computeClassIds(graph)));
  return ids;
}

/** Per class: count, shallow and retained totals for one snapshot, keyed by class name. */
export function summarizeClassTotals(snapshot: ComparedSnapshot): Map<string, ClassTotals> {
  const graph = snapshot.graph;
  const { classIds, names } = classIdsOf(graph);
  const counts = new Float64Array(names.length);
  const shallow = new Float64Array(names.length);
  const retained = new Float64Array(names.length);
  // Invariant: classIds[o] is o's class; a node adds its retained size only when its immediate
  // dominator is of another class, which avoids counting nested members twice in the common case.
  for (let ordinal = 0; ordinal < graph.nodeCount; ordinal++) {
    const id = classIds[ordinal]!;
    counts[id]!++;
    shallow[id]! += graph.selfSizes[ordinal]!;
    const dominator = snapshot.dominators[ordinal]!;
    if (dominator === ordinal || classIds[dominator] !== id) retained[id]! += snapshot.retainedSizes[ordinal]!;
  }
  const totals = new Map<string, ClassTotals>();
  for (let id = 0; id < names.length; id++) totals.set(names[id]!, { count: counts[id]!, shallow: shallow[id]!, retained: retained[id]! });
  return totals;
}

/** Class table across the diff's snapshots, every class that exists in any of them. */
export function compareClasses(diff: SnapshotDiff): ClassGrowthRow[] {
  const perSnapshot = diff.snapshots.map(summarizeClassTotals);
  const last = diff.last;
  const graph = last.graph;
  const { classIds, names: classNames } = classIdsOf(graph);
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
