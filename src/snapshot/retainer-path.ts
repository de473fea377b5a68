import type { HeapGraph } from './heap-graph.js';
import { UNREACHABLE } from './distances.js';
import type { RetainerPath, RetainerPathOptions, RetainerStep, Retainers } from './snapshot.js';

export const DEFAULT_MAX_STEPS = 32;

/**
 * The shortest path from the root to `target` over essential edges, root first. Built backwards:
 * at a node at distance d, any essential retainer at distance d - 1 continues a shortest path, so
 * we pick the most telling one — a property, element or context edge over an internal or hidden
 * one (V8's bookkeeping), those over a root shortcut — and, among equals, the first in retainer
 * order (deterministic). Longer paths than maxSteps keep both ends and drop the middle.
 */
export function findRetainerPath(
  graph: HeapGraph,
  retainers: Retainers,
  essentialEdges: Uint8Array,
  distances: Int32Array,
  target: number,
  options: RetainerPathOptions = {},
): RetainerPath | undefined {
  if (!(target >= 0 && target < graph.nodeCount) || distances[target] === UNREACHABLE) return undefined;
  const { firstRetainer, retainerEdges, retainerOwners } = retainers;
  const { edgeTypes } = graph;
  const rank = edgeRanks(graph);
  const reversed: RetainerStep[] = [];
  let to = target;
  while (distances[to]! > 0) {
    const wanted = distances[to]! - 1;
    let bestSlot = -1;
    let bestRank = Infinity;
    const end = firstRetainer[to + 1]!;
    for (let slot = firstRetainer[to]!; slot < end; slot++) {
      const edge = retainerEdges[slot]!;
      if (essentialEdges[edge] === 0 || distances[retainerOwners[slot]!] !== wanted) continue;
      const r = rank[edgeTypes[edge]!] ?? 3;
      if (r < bestRank) {
        bestRank = r;
        bestSlot = slot;
        if (r === 0) break;
      }
    }
    // distances come from a BFS over the same essential edges, so a retainer at d - 1 exists.
    const from = retainerOwners[bestSlot]!;
    reversed.push({ from, edge: retainerEdges[bestSlot]!, to });
    to = from;
  }
  const steps = reversed.reverse();
  const maxSteps = Math.max(2, options.maxSteps ?? DEFAULT_MAX_STEPS);
  if (steps.length <= maxSteps) return { steps, omittedSteps: 0 };
  const head = Math.ceil(maxSteps / 2);
  const tail = maxSteps - head;
  return { steps: [...steps.slice(0, head), ...steps.slice(steps.length - tail)], omittedSteps: steps.length - maxSteps };
}

/** Preference of edge types on a path: lower is better; unknown types rank last. */
function edgeRanks(graph: HeapGraph): number[] {
  const rank: number[] = [];
  const set = (type: number, value: number) => {
    if (type >= 0) rank[type] = value;
  };
  const t = graph.edgeType;
  set(t.property, 0);
  set(t.element, 0);
  set(t.context, 0);
  set(t.internal, 1);
  set(t.hidden, 1);
  set(t.shortcut, 2);
  return rank;
}
