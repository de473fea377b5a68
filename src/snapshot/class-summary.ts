import { classRetainedSizes } from './class-retained.js';
import type { Snapshot } from './snapshot.js';

export interface ClassSummary {
  readonly name: string;
  readonly count: number;
  /** Sum of the self sizes of the class's nodes, in bytes. */
  readonly shallowSize: number;
  /**
   * Bytes freed if every node of the class were collected: the retained sizes of the class's
   * nodes that no other node of the same class dominates (so nested ones are not counted twice),
   * as DevTools' Summary view computes it.
   */
  readonly retainedSize: number;
}

export interface Dominator {
  readonly ordinal: number;
  readonly id: number;
  readonly className: string;
  readonly shallowSize: number;
  readonly retainedSize: number;
  readonly distance: number;
}

/**
 * Every class, sorted by retained size (then shallow size, then name). V8's synthetic nodes (the
 * root and its "(GC roots)" groups) are bookkeeping, not a class, and are left out.
 */
export function summarizeClasses(snapshot: Snapshot): ClassSummary[] {
  const { graph } = snapshot;
  const { nodeCount, selfSizes } = graph;
  const { classIds, names } = snapshot.classIds;
  const classCount = names.length;
  const counts = new Float64Array(classCount);
  const shallow = new Float64Array(classCount);
  for (let ordinal = 0; ordinal < nodeCount; ordinal++) {
    const id = classIds[ordinal]!;
    counts[id]++;
    shallow[id] += selfSizes[ordinal]!;
  }
  const [retained] = classRetainedSizes(snapshot, classIds, classCount, [undefined]) as [Float64Array];
  const syntheticName = graph.nodeType.synthetic >= 0 ? `(${graph.nodeTypeNames[graph.nodeType.synthetic]})` : undefined;
  const result: ClassSummary[] = [];
  names.forEach((name, id) => {
    if (name !== syntheticName) result.push({ name, count: counts[id]!, shallowSize: shallow[id]!, retainedSize: retained[id]! });
  });
  return result.sort((a, b) => b.retainedSize - a.retainedSize || b.shallowSize - a.shallowSize || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The largest "top-level" retainers: nodes that are not synthetic (V8's root groups) and whose
 * immediate dominator is — the entry points of the heap's big subtrees — by retained size.
 */
export function topDominators(snapshot: Snapshot, top: number): Dominator[] {
  const { graph, dominators, retainedSizes, distances } = snapshot;
  const synthetic = graph.nodeType.synthetic;
  const { nodeTypes, nodeCount } = graph;
  const candidates: number[] = [];
  for (let ordinal = 1; ordinal < nodeCount; ordinal++) {
    if (nodeTypes[ordinal] !== synthetic && (dominators[ordinal] === 0 || nodeTypes[dominators[ordinal]!] === synthetic)) candidates.push(ordinal);
  }
  candidates.sort((a, b) => retainedSizes[b]! - retainedSizes[a]! || a - b);
  return candidates.slice(0, Math.max(0, top)).map((ordinal) => ({
    ordinal,
    id: graph.nodeIds[ordinal]!,
    className: snapshot.className(ordinal),
    shallowSize: graph.selfSizes[ordinal]!,
    retainedSize: retainedSizes[ordinal]!,
    distance: distances[ordinal]!,
  }));
}
