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

/** Per class: count, shallow and retained totals for one snapshot, keyed by className(). */
export function summarizeClassTotals(snapshot: ComparedSnapshot): Map<string, ClassTotals> {
  const graph = snapshot.graph;
  const count = graph.nodeCount;
  // Group by (type, name string index) first: one Map probe per node, names resolved per class.
  const slotByKey = new Map<number, number>();
  const classSlot = new Int32Array(count);
  const representatives: number[] = [];
  const typeCount = graph.nodeTypeNames.length;
  for (let ordinal = 0; ordinal < count; ordinal++) {
    const key = graph.nodeNames[ordinal]! * typeCount + graph.nodeTypes[ordinal]!;
    let slot = slotByKey.get(key);
    if (slot === undefined) {
      slot = representatives.length;
      slotByKey.set(key, slot);
      representatives.push(ordinal);
    }
    classSlot[ordinal] = slot;
  }
  const counts = new Float64Array(representatives.length);
  const shallow = new Float64Array(representatives.length);
  const retained = new Float64Array(representatives.length);
  // Invariant: classSlot[o] is o's class; a node adds its retained size only when its immediate
  // dominator is of another class, which avoids counting nested members twice in the common case.
  for (let ordinal = 0; ordinal < count; ordinal++) {
    const slot = classSlot[ordinal]!;
    counts[slot]!++;
    shallow[slot]! += graph.selfSizes[ordinal]!;
    const dominator = snapshot.dominators[ordinal]!;
    if (dominator === ordinal || classSlot[dominator] !== slot) retained[slot]! += snapshot.retainedSizes[ordinal]!;
  }
  const totals = new Map<string, ClassTotals>();
  for (let slot = 0; slot < representatives.length; slot++) {
    const name = snapshot.className(representatives[slot]!);
    const existing = totals.get(name);
    if (existing) {
      existing.count += counts[slot]!;
      existing.shallow += shallow[slot]!;
      existing.retained += retained[slot]!;
    } else {
      totals.set(name, { count: counts[slot]!, shallow: shallow[slot]!, retained: retained[slot]! });
    }
  }
  return totals;
}

/** Class table across the diff's snapshots, every class that exists in any of them. */
export function compareClasses(diff: SnapshotDiff): ClassGrowthRow[] {
  const perSnapshot = diff.snapshots.map(summarizeClassTotals);
  const last = diff.last;
  const candidateTotals = new Map<string, { count: number; bytes: number }>();
  const graph = last.graph;
  for (let ordinal = 0; ordinal < graph.nodeCount; ordinal++) {
    if (diff.candidates[ordinal] === 0) continue;
    const name = last.className(ordinal);
    const entry = candidateTotals.get(name);
    if (entry) {
      entry.count++;
      entry.bytes += graph.selfSizes[ordinal]!;
    } else {
      candidateTotals.set(name, { count: 1, bytes: graph.selfSizes[ordinal]! });
    }
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
