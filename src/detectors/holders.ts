import type { Snapshot } from '../snapshot/index.js';
import type { HolderPath, HolderStep } from './detector.js';

/**
 * What holds an object, read from its owner (the closest-to-root retainer, Snapshot.owner): the
 * variable (`sessionCache`), the property path (`registry.pendingById`), or for clustering a shape
 * with indices left out (`requestLog[]`, `Session.meta.tags`). As data (HolderPath); src/report
 * writes it out.
 */

/** `sessionCache`, `registry.pendingById`, `JobQueue._events`, or undefined when no named edge holds it. */
export function holderPath(snapshot: Snapshot, ordinal: number, entryKeys?: MapEntryKeys): HolderPath | undefined {
  const step = snapshot.owner(ordinal);
  if (!step) return mapEntryHolder(snapshot, ordinal, entryKeys);
  const graph = snapshot.graph;
  const name = snapshot.edgeName(step.edge);
  const type = graph.edgeTypes[step.edge];
  if (type === graph.edgeType.context) return { root: { kind: 'variable', name }, steps: [] };
  const last: HolderStep = type === graph.edgeType.element ? { kind: 'element', index: Number(name) } : { kind: 'property', name };
  const owner = ownerPath(snapshot, step.owner);
  return { root: owner.root, steps: [...owner.steps, last] };
}

/** How far up V8's storage (a Map's hash table) an entry value is looked for its Map. */
const MAX_STORAGE_CLIMB = 3;

/**
 * A value stored in a Map has no named owner (V8 keeps it in the Map's hash table), but its Map
 * may well have one: the room Set of `Adapter.sids.get("lobby")`. Climbs V8's own edges to the
 * first object that is not storage; a Map there that holds the value names it by its key.
 */
function mapEntryHolder(snapshot: Snapshot, ordinal: number, entryKeys: MapEntryKeys | undefined): HolderPath | undefined {
  let current = ordinal;
  for (let climbed = 0; climbed < MAX_STORAGE_CLIMB; climbed++) {
    const up = snapshot.owner(current, false);
    if (!up) return undefined;
    current = up.owner;
    if (snapshot.nodeName(current) === 'Map' && snapshot.graph.nodeTypes[current] === snapshot.graph.nodeType.object) break;
    if (!snapshot.isPassThrough(current)) return undefined;
  }
  if (snapshot.nodeName(current) !== 'Map') return undefined;
  const keyOrdinal = entryKeys ? entryKeys.keyOf(snapshot, current, ordinal) : snapshot.mapEntries(current).find(({ value }) => value === ordinal)?.key;
  const mapHolder = holderPath(snapshot, current, entryKeys);
  if (keyOrdinal === undefined || !mapHolder) return undefined;
  const key = keyOrdinal >= 0 && snapshot.graph.nodeTypes[keyOrdinal] === snapshot.graph.nodeType.string ? snapshot.nodeName(keyOrdinal) : null;
  return { root: mapHolder.root, steps: [...mapHolder.steps, { kind: 'entry', key }] };
}

/**
 * Map value → key, per Map, for callers that name the holders of many values of one Map (a
 * digest names every collection): one scan of each Map instead of one per value.
 */
export class MapEntryKeys {
  readonly #byMap = new Map<number, Map<number, number>>();

  /** The key ordinal under which `map` holds `value`, or undefined when it does not. */
  keyOf(snapshot: Snapshot, map: number, value: number): number | undefined {
    let keys = this.#byMap.get(map);
    if (!keys) {
      keys = new Map();
      for (const entry of snapshot.mapEntries(map)) if (entry.value >= 0 && !keys.has(entry.value)) keys.set(entry.value, entry.key);
      this.#byMap.set(map, keys);
    }
    return keys.get(value);
  }
}

/**
 * A plain object is better named by what holds it: `registry` (a variable) or `JobQueue._events`
 * (a property of a named object) rather than by its class, `Object`. One level up at most.
 */
function ownerPath(snapshot: Snapshot, owner: number): HolderPath {
  const own: HolderPath = { root: { kind: 'object', name: snapshot.displayName(owner) }, steps: [] };
  if (own.root!.name !== 'Object') return own;
  const up = snapshot.owner(owner);
  if (!up) return own;
  const graph = snapshot.graph;
  const type = graph.edgeTypes[up.edge];
  const name = snapshot.edgeName(up.edge);
  if (type === graph.edgeType.context) return { root: { kind: 'variable', name }, steps: [] };
  if (type !== graph.edgeType.property) return own;
  const holder = snapshot.displayName(up.owner);
  if (holder === 'Object') return { root: { kind: 'property', name }, steps: [] };
  return { root: { kind: 'object', name: holder }, steps: [{ kind: 'property', name }] };
}

/** Holders climbed through (plain objects, arrays, backing stores) before giving up. */
const MAX_SIGNATURE_STEPS = 4;
/** V8's internal edges from an object to its own storage: folded, they name nothing the user wrote. */
const FOLDED_INTERNAL_EDGES = new Set(['table', 'elements', 'properties', 'context']);

/**
 * A retainer-path shape for clustering: the owners climbed through pass-through holders up to a
 * named one, indices replaced by "any index", so the 4,500 entries of one Map share
 * `requestLog[]` while the objects of another leak get another shape. Undefined when nothing
 * holds the object; a null root when the climb gave up before a named owner.
 */
export function holderSignature(snapshot: Snapshot, ordinal: number): HolderPath | undefined {
  const graph = snapshot.graph;
  const steps: HolderStep[] = [];
  let current = ordinal;
  for (let climbed = 0; climbed < MAX_SIGNATURE_STEPS; climbed++) {
    const up = snapshot.owner(current, false);
    if (!up) break;
    const type = graph.edgeTypes[up.edge];
    const name = snapshot.edgeName(up.edge);
    if (type === graph.edgeType.context) return { root: { kind: 'variable', name }, steps };
    if (type === graph.edgeType.element || type === graph.edgeType.hidden || /^\d+$/.test(name)) steps.unshift({ kind: 'element', index: null });
    else if (type !== graph.edgeType.internal || !FOLDED_INTERNAL_EDGES.has(name)) steps.unshift({ kind: 'property', name });
    if (!snapshot.isPassThrough(up.owner)) return { root: { kind: 'object', name: snapshot.displayName(up.owner) }, steps };
    current = up.owner;
  }
  return steps.length === 0 ? undefined : { root: null, steps };
}

/** A key equal for equal holder paths (clustering). */
export function holderKey(holder: HolderPath | undefined): string {
  return holder === undefined ? '' : JSON.stringify(holder);
}
