import { displayName, edgeName } from '../diff/index.js';
import { UNREACHABLE, type Snapshot } from '../snapshot/index.js';
import { isPassThrough } from './context.js';

/**
 * Names for what holds an object, read from its closest-to-root retainer: the variable
 * (`sessionCache`), the property path (`registry.pendingById`), or for clustering a shape with
 * indices left out (`requestLog[]`, `Session.meta.tags`).
 */

export interface RetainerStepRef {
  readonly owner: number;
  readonly edge: number;
}

/**
 * The retaining edge whose owner is nearest the GC roots. `namedOnly` keeps property, element and
 * context edges (what a user wrote); otherwise any non-weak edge counts (V8's internal ones too).
 */
export function closestRetainer(snapshot: Snapshot, ordinal: number, namedOnly = true): RetainerStepRef | undefined {
  const graph = snapshot.graph;
  const { firstRetainer, retainerEdges, retainerOwners } = snapshot.retainers;
  const { property, context, element, weak, shortcut } = graph.edgeType;
  let best: RetainerStepRef | undefined;
  let bestDistance = Infinity;
  for (let slot = firstRetainer[ordinal]!; slot < firstRetainer[ordinal + 1]!; slot++) {
    const edge = retainerEdges[slot]!;
    const type = graph.edgeTypes[edge];
    if (namedOnly ? type !== property && type !== context && type !== element : type === weak || type === shortcut) continue;
    const owner = retainerOwners[slot]!;
    const distance = snapshot.distances[owner]!;
    if (distance === UNREACHABLE || distance >= bestDistance) continue;
    best = { owner, edge };
    bestDistance = distance;
  }
  return best;
}

/** `sessionCache`, `registry.pendingById`, `JobQueue._events.error`, or undefined. */
export function holderName(snapshot: Snapshot, ordinal: number): string | undefined {
  const step = closestRetainer(snapshot, ordinal);
  if (!step) return undefined;
  const graph = snapshot.graph;
  const name = edgeName(graph, step.edge);
  const type = graph.edgeTypes[step.edge];
  if (type === graph.edgeType.context) return name;
  if (type === graph.edgeType.element) return `${ownerName(snapshot, step.owner)}[${name}]`;
  if (type === graph.edgeType.property) return `${ownerName(snapshot, step.owner)}.${name}`;
  return undefined;
}

/**
 * A plain object is better named by what holds it: `registry` (a variable) or `JobQueue._events`
 * (a property of a named object) rather than by its class, `Object`.
 */
function ownerName(snapshot: Snapshot, owner: number): string {
  const own = displayName(snapshot, owner);
  if (own !== 'Object') return own;
  const up = closestRetainer(snapshot, owner);
  if (!up) return own;
  const graph = snapshot.graph;
  const type = graph.edgeTypes[up.edge];
  const name = edgeName(graph, up.edge);
  if (type === graph.edgeType.context) return name;
  if (type !== graph.edgeType.property) return own;
  const holder = displayName(snapshot, up.owner);
  return holder === 'Object' ? name : `${holder}.${name}`;
}

/** Holders climbed through (plain objects, arrays, backing stores) before giving up. */
const MAX_SIGNATURE_STEPS = 4;
const FOLDED_INTERNAL_EDGES = new Set(['table', 'elements', 'properties', 'context']);

/**
 * A retainer-path shape for clustering: the closest retainers climbed through pass-through holders
 * up to a named one, indices replaced by `[]`, so the 4,500 entries of one Map share
 * `requestLog[]` while the objects of another leak get another key.
 */
export function holderSignature(snapshot: Snapshot, ordinal: number): string {
  const graph = snapshot.graph;
  let suffix = '';
  let current = ordinal;
  for (let step = 0; step < MAX_SIGNATURE_STEPS; step++) {
    const up = closestRetainer(snapshot, current, false);
    if (!up) break;
    const type = graph.edgeTypes[up.edge];
    const name = edgeName(graph, up.edge);
    if (type === graph.edgeType.context) return `${name}${suffix}`;
    let accessor: string;
    if (type === graph.edgeType.element || type === graph.edgeType.hidden || /^\d+$/.test(name)) accessor = '[]';
    else if (type === graph.edgeType.internal && FOLDED_INTERNAL_EDGES.has(name)) accessor = '';
    else accessor = `.${name}`;
    suffix = `${accessor}${suffix}`;
    if (!isPassThrough(snapshot, up.owner)) return `${displayName(snapshot, up.owner)}${suffix}`;
    current = up.owner;
  }
  return suffix === '' ? '(no retainer)' : `…${suffix}`;
}
