import { computeClassIds, type ClassIds, type HeapGraph, type Snapshot } from '../snapshot/index.js';
import type { SnapshotDiff } from './growth.js';

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

/** Per class of a fully loaded snapshot: count, shallow and retained totals, keyed by class name. */
export function summarizeClassTotals(snapshot: Sized): Map<string, ClassTotals> {
  const { classIds, names } = classIdsOf(snapshot.graph);
  const [retained] = classRetainedSizes(snapshot, classIds, names.length, [undefined]) as [Float64Array];
  const totals = new Map<string, ClassTotals>();
  for (const [name, { count, shallow }] of countClasses(snapshot)) totals.set(name, { count, shallow, retained: 0 });
  for (let id = 0; id < names.length; id++) totals.get(names[id]!)!.retained += retained[id]!;
  return totals;
}

/** Per class: live count and shallow bytes (graph only, so any snapshot of the diff). */
function countClasses(snapshot: Pick<Snapshot, 'graph'>): Map<string, { count: number; shallow: number }> {
  const graph = snapshot.graph;
  const { classIds, names } = classIdsOf(graph);
  const counts = new Float64Array(names.length);
  const shallow = new Float64Array(names.length);
  for (let ordinal = 0; ordinal < graph.nodeCount; ordinal++) {
    counts[classIds[ordinal]!]!++;
    shallow[classIds[ordinal]!]! += graph.selfSizes[ordinal]!;
  }
  const totals = new Map<string, { count: number; shallow: number }>();
  for (let id = 0; id < names.length; id++) totals.set(names[id]!, { count: counts[id]!, shallow: shallow[id]! });
  return totals;
}

type Sized = Pick<Snapshot, 'graph' | 'dominators' | 'retainedSizes'>;

/**
 * By class id: the bytes a class retains, i.e. the retained sizes of its members that no other
 * member dominates (DevTools' definition). One iterative DFS over the dominator tree keeps, per
 * class, how many members are on the current root path; a member adds its retained size only when
 * none is. Exact for chains of one class (a linked list counts once, not once per link).
 * One result per entry of `existsAt`: undefined = every object is a member; an array (ordinal in an
 * earlier snapshot, or -1) = only the objects that already existed there, i.e. what they retain
 * now. All of them come from the same single traversal.
 */
function classRetainedSizes(
  snapshot: Sized, classIds: Uint32Array, classCount: number, existsAt: readonly (Int32Array | undefined)[],
): Float64Array[] {
  const { dominators, retainedSizes } = snapshot;
  const count = snapshot.graph.nodeCount;
  // Children of each node in the dominator tree, CSR: count → prefix sums → fill.
  const firstChild = new Uint32Array(count + 1);
  for (let ordinal = 0; ordinal < count; ordinal++) if (dominators[ordinal] !== ordinal) firstChild[dominators[ordinal]! + 1]!++;
  for (let ordinal = 0; ordinal < count; ordinal++) firstChild[ordinal + 1]! += firstChild[ordinal]!;
  const children = new Uint32Array(count);
  const fill = firstChild.slice(0, count);
  for (let ordinal = 0; ordinal < count; ordinal++) if (dominators[ordinal] !== ordinal) children[fill[dominators[ordinal]!]!++] = ordinal;
  const views = existsAt.length;
  const retained = existsAt.map(() => new Float64Array(classCount));
  const onPath = existsAt.map(() => new Uint32Array(classCount));
  const enter = (node: number): void => {
    const id = classIds[node]!;
    for (let view = 0; view < views; view++) {
      const filter = existsAt[view];
      if (filter !== undefined && filter[node]! < 0) continue;
      if (onPath[view]![id]!++ === 0) retained[view]![id]! += retainedSizes[node]!;
    }
  };
  const leave = (node: number): void => {
    const id = classIds[node]!;
    for (let view = 0; view < views; view++) {
      const filter = existsAt[view];
      if (filter === undefined || filter[node]! >= 0) onPath[view]![id]!--;
    }
  };
  const stack = new Uint32Array(count);
  const nextChild = fill; // reused: nextChild[o] = the next child slot of o to visit
  for (let ordinal = 0; ordinal < count; ordinal++) nextChild[ordinal] = firstChild[ordinal]!;
  // Every node whose dominator is itself is a tree root (the root, and nothing else when the engine
  // attaches unreachable nodes to it); each root starts a DFS. Invariant: stack[0..depth) is the
  // current root path and onPath[view][c] counts its members of class c in that view.
  for (let root = 0; root < count; root++) {
    if (dominators[root] !== root) continue;
    let depth = 0;
    stack[depth++] = root;
    enter(root);
    while (depth > 0) {
      const node = stack[depth - 1]!;
      if (nextChild[node]! < firstChild[node + 1]!) {
        const child = children[nextChild[node]!++]!;
        stack[depth++] = child;
        enter(child);
      } else {
        leave(node);
        depth--;
      }
    }
  }
  return retained;
}

/**
 * Class table across the diff's snapshots, every class that exists in any of them. Counts and
 * shallow bytes come from each snapshot; retained bytes are measured in the last snapshot, for
 * each earlier snapshot k over the objects that already existed at k.
 */
export function compareClasses(diff: SnapshotDiff): ClassGrowthRow[] {
  const last = diff.last;
  const graph = last.graph;
  const { classIds, names: classNames } = classIdsOf(graph);
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
