import type { Snapshot } from './snapshot.js';

/**
 * By class id: the bytes a class retains, i.e. the retained sizes of its members that no other
 * member dominates (DevTools' Summary definition), for the class summary and the diff's class
 * table alike. One iterative DFS over the dominator tree keeps, per class, how many members are on
 * the current root path; a member adds its retained size only when none is. Exact for chains of
 * one class (a linked list counts once, not once per link).
 * One result per entry of `existsAt`: undefined = every object is a member; an array (ordinal in an
 * earlier snapshot, or -1) = only the objects that already existed there, i.e. what they retain
 * now. All of them come from the same single traversal.
 */
export function classRetainedSizes(
  snapshot: Snapshot, classIds: Uint32Array, classCount: number, existsAt: readonly (Int32Array | undefined)[],
): Float64Array[] {
  const { dominators, retainedSizes } = snapshot;
  const { firstDominated, dominated } = snapshot.dominated;
  const count = snapshot.graph.nodeCount;
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
  // nextChild[o]: the next slot of o's children to visit.
  const nextChild = firstDominated.slice(0, count);
  // Every node whose dominator is itself is a tree root; each starts a DFS. Invariant:
  // stack[0..depth) is the current root path and onPath[view][c] counts its members of class c.
  for (let root = 0; root < count; root++) {
    if (dominators[root] !== root) continue;
    let depth = 0;
    stack[depth++] = root;
    enter(root);
    while (depth > 0) {
      const node = stack[depth - 1]!;
      if (nextChild[node]! < firstDominated[node + 1]!) {
        const child = dominated[nextChild[node]!++]!;
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
