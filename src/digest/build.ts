import {
  clusterRetainedSize, declaringLocation, everyListenerList, holderKey, holderPath, MapEntryKeys, retainerPathData, SourceLocator, SourceMaps,
  unwrapFunction, visibleClasses, type HolderPath, type SourceLocation, type WrapperKind,
} from '../detectors/index.js';
import { COLLECTION_NODE_NAMES, largestObjects, summarizeClasses, topDominators, UNREACHABLE, type CollectionKind, type Snapshot } from '../snapshot/index.js';
import { closureKey, collectionKey, listenerKey } from './keys.js';
import {
  DIGEST_FORMAT, DIGEST_SCHEMA_VERSION, type DigestClass, type DigestClosureGroup, type DigestCollection, type DigestListenerGroup,
  type DigestMinCounts, type GroupRef, type HeapDigest,
} from './schema.js';

/**
 * Groups below these sizes are left out. A group can only be a finding when it grows by at least
 * a quarter of a threshold (thresholds.ts: 200 objects, 20 listeners), so a group that small in
 * one snapshot costs a diff at most that many members of growth it reads as new; the floors keep
 * a digest of a ~10 MB snapshot in the tens of kilobytes (measured in test/digest).
 */
export const DEFAULT_MIN_COUNTS: DigestMinCounts = { classes: 8, collections: 8, listeners: 2, closures: 8 };

/** The longest lists a digest keeps: enough for any finding, bounded for a heap with millions of groups. */
const MAX_ROWS = 2000;
const TOP_DOMINATORS = 20;

export interface DigestOptions {
  /** leakcheck's version, recorded in the digest. */
  readonly toolVersion: string;
  /** Size of the snapshot file, bytes (0 when read from a pipe). */
  readonly fileBytes: number;
  readonly minCounts?: Partial<DigestMinCounts>;
}

/** The digest of one loaded snapshot (see HeapDigest). Pure: reads the snapshot, writes nothing. */
export function digestSnapshot(snapshot: Snapshot, options: DigestOptions): HeapDigest {
  const minCounts = { ...DEFAULT_MIN_COUNTS, ...options.minCounts };
  const locator = new SourceLocator(snapshot, new SourceMaps());
  const entryKeys = new MapEntryKeys();
  const graph = snapshot.graph;
  // Detector order (listeners, closures, collections): a closure that is a listener belongs to its listener group.
  const listeners = listenerGroups(snapshot, locator, entryKeys, minCounts.listeners);
  const closures = closureGroups(snapshot, locator, minCounts.closures);
  const collections = collectionGroups(snapshot, locator, entryKeys, minCounts.collections);
  const containment = new Containment(snapshot, [...listeners, ...closures, ...collections]);
  const withInsideOf = <Row>(groups: readonly Group<Row>[]): (Row & { insideOf: GroupRef | null })[] =>
    groups.map((group) => ({ ...group.row, insideOf: containment.insideOf(group) }));
  const classes = digestClasses(snapshot, containment);
  return {
    format: DIGEST_FORMAT,
    schemaVersion: DIGEST_SCHEMA_VERSION,
    toolVersion: options.toolVersion,
    source: {
      path: graph.source,
      fileBytes: options.fileBytes,
      nodeCount: graph.nodeCount,
      edgeCount: graph.edgeCount,
      stringCount: graph.strings.length,
      totalBytes: snapshot.totalSize,
      unreachableCount: snapshot.unreachableCount,
      classCount: classes.length,
    },
    minCounts,
    classes: classes.filter((row) => row.count >= minCounts.classes).slice(0, MAX_ROWS),
    collections: withInsideOf(collections),
    listeners: withInsideOf(listeners),
    closures: withInsideOf(closures),
    dominators: topDominators(snapshot, TOP_DOMINATORS).map((dominator) => ({
      id: dominator.id,
      className: dominator.className,
      shallowBytes: dominator.shallowSize,
      retainedBytes: dominator.retainedSize,
      distance: dominator.distance === UNREACHABLE ? null : dominator.distance,
      retainerPath: retainerPathData(snapshot, dominator.ordinal),
    })),
    largestObjects: largestObjects(snapshot, TOP_DOMINATORS),
  };
}

/** A group of the digest before it becomes a row: its match key and its members (ordinals). */
interface Group<Row> {
  readonly ref: GroupRef;
  readonly members: readonly number[];
  /** Objects the group holds besides its members (a listener list's array or head record), as the detector claims them. */
  readonly holds?: readonly number[];
  readonly row: Row;
}

function digestClasses(snapshot: Snapshot, containment: Containment): DigestClass[] {
  const { names } = snapshot.classIds;
  const visible = visibleClasses(snapshot);
  const idByName = new Map(names.map((name, id) => [name, id]));
  return summarizeClasses(snapshot).map((row) => {
    const id = idByName.get(row.name)!;
    return {
      name: row.name, count: row.count, shallowBytes: row.shallowSize, retainedBytes: row.retainedSize, userVisible: visible[id] === 1,
      inGroups: containment.classGroups(id),
    };
  });
}

/** How many of a class's groups a digest names: the few that hold most of it. */
const MAX_CLASS_GROUPS = 5;
/** Groups a shared object counts for, at most (its retainers' groups). */
const MAX_SHARED_HOLDERS = 4;

/**
 * Which group holds what, in the dominator tree of one snapshot: an object is held by a group
 * when it is a member or a member dominates it (the nearest such member up the tree). The
 * cross-process diff's stand-in for the detectors' claims, which are made object by object.
 */
class Containment {
  readonly #groups: readonly Group<unknown>[];
  /** By ordinal: the index of the group the node is a member of (the first one listed), or -1. */
  readonly #groupOf: Int32Array;
  /** By ordinal: the nearest proper dominator that is a member of a group, or -1. */
  readonly #memberAbove: Int32Array;
  readonly #classIds: Uint32Array;
  #byClass: Map<number, Map<number, { count: number; shallowBytes: number }>> | undefined;
  readonly #snapshot: Snapshot;

  constructor(snapshot: Snapshot, groups: readonly Group<unknown>[]) {
    this.#snapshot = snapshot;
    this.#groups = groups;
    const count = snapshot.graph.nodeCount;
    const groupOf = new Int32Array(count).fill(-1);
    groups.forEach((group, index) => {
      for (const member of group.members) if (groupOf[member] === -1) groupOf[member] = index;
      for (const held of group.holds ?? []) if (groupOf[held] === -1) groupOf[held] = index;
    });
    // Top-down over the dominator tree (explicit stack: the tree can be deeper than the call stack).
    const memberAbove = new Int32Array(count).fill(-1);
    const { firstDominated, dominated } = snapshot.dominated;
    const stack = new Uint32Array(count);
    let depth = 0;
    stack[depth++] = 0;
    while (depth > 0) {
      const node = stack[--depth]!;
      const above = groupOf[node]! >= 0 ? node : memberAbove[node]!;
      for (let slot = firstDominated[node]!; slot < firstDominated[node + 1]!; slot++) {
        const child = dominated[slot]!;
        memberAbove[child] = above;
        stack[depth++] = child;
      }
    }
    this.#groupOf = groupOf;
    this.#memberAbove = memberAbove;
    this.#classIds = snapshot.classIds.classIds;
  }

  /** The other group that holds more than half of `group`'s members, or null. */
  insideOf(group: Group<unknown>): GroupRef | null {
    const own = this.#groups.indexOf(group);
    const tally = new Map<number, number>();
    for (const member of group.members) {
      let holder = this.#groupOf[member] !== own && this.#groupOf[member]! >= 0 ? member : this.#memberAbove[member]!;
      while (holder >= 0 && this.#groupOf[holder] === own) holder = this.#memberAbove[holder]!;
      if (holder >= 0) tally.set(this.#groupOf[holder]!, (tally.get(this.#groupOf[holder]!) ?? 0) + 1);
    }
    let best = -1;
    for (const [index, members] of tally) if (best < 0 || members > tally.get(best)!) best = index;
    return best >= 0 && tally.get(best)! * 2 > group.members.length ? this.#groups[best]!.ref : null;
  }

  /** The groups holding members of class `classId`, most members first. */
  classGroups(classId: number): DigestClass['inGroups'] {
    const perGroup = (this.#byClass ??= this.#countByClass()).get(classId);
    if (!perGroup) return [];
    return [...perGroup]
      .sort(([, a], [, b]) => b.count - a.count)
      .slice(0, MAX_CLASS_GROUPS)
      .map(([index, { count, shallowBytes }]) => ({ group: this.#groups[index]!.ref, count, shallowBytes }));
  }

  #countByClass(): Map<number, Map<number, { count: number; shallowBytes: number }>> {
    const byClass = new Map<number, Map<number, { count: number; shallowBytes: number }>>();
    const snapshot = this.#snapshot;
    const { selfSizes, nodeCount, edgeTypes } = snapshot.graph;
    const weak = snapshot.graph.edgeType.weak;
    const { firstRetainer, retainerEdges, retainerOwners } = snapshot.retainers;
    const heldBy = (ordinal: number): number => (this.#groupOf[ordinal]! >= 0 ? ordinal : this.#memberAbove[ordinal]!);
    const holders = new Set<number>();
    for (let ordinal = 0; ordinal < nodeCount; ordinal++) {
      holders.clear();
      const holder = heldBy(ordinal);
      if (holder >= 0) holders.add(this.#groupOf[holder]!);
      // Shared objects are held by more than what dominates them (class-growth.ts,
      // heldByExplained): a leaking dictionary's keys are also in V8's string table, and an id
      // string both a Map's key and a log entry's field is dominated by neither. Every group that
      // holds a retainer holds the object, so it counts for each (a diff subtracts at most its count).
      for (let slot = firstRetainer[ordinal]!; holders.size < MAX_SHARED_HOLDERS && slot < firstRetainer[ordinal + 1]!; slot++) {
        if (edgeTypes[retainerEdges[slot]!] === weak) continue;
        const retainerHolder = heldBy(retainerOwners[slot]!);
        if (retainerHolder >= 0) holders.add(this.#groupOf[retainerHolder]!);
      }
      if (holders.size === 0) continue;
      const classId = this.#classIds[ordinal]!;
      let perGroup = byClass.get(classId);
      if (!perGroup) byClass.set(classId, (perGroup = new Map()));
      for (const index of holders) {
        const entry = perGroup.get(index);
        if (entry) {
          entry.count++;
          entry.shallowBytes += selfSizes[ordinal]!;
        } else {
          perGroup.set(index, { count: 1, shallowBytes: selfSizes[ordinal]! });
        }
      }
    }
    return byClass;
  }
}

/**
 * Indices and Map keys are not the same from one process to the next (the 4,000th request, session
 * "s-81"), so a holder path is matched with every element index left out: `requestLog[]`. Entry
 * keys stay: `sids.get("lobby")` names a room, and a key that names one request makes a group of
 * one, which the floors drop.
 */
function acrossProcesses(holder: HolderPath): HolderPath {
  return { root: holder.root, steps: holder.steps.map((step) => (step.kind === 'element' ? { kind: 'element', index: null } : step)) };
}

/** Every reachable Map, Set, Array and dictionary object that something named holds, grouped by holder path and kind. */
function collectionGroups(
  snapshot: Snapshot, locator: SourceLocator, entryKeys: MapEntryKeys, minSize: number,
): Group<Omit<DigestCollection, 'insideOf'>>[] {
  const graph = snapshot.graph;
  const collectionNames = new Set(COLLECTION_NODE_NAMES.map((name) => snapshot.stringIndex(name)).filter((index) => index >= 0));
  const groups = new Map<string, { holder: HolderPath; kind: CollectionKind; members: number[]; size: number; largest: number }>();
  for (let ordinal = 0; ordinal < graph.nodeCount; ordinal++) {
    if (graph.nodeTypes[ordinal] !== graph.nodeType.object || !collectionNames.has(graph.nodeNames[ordinal]!)) continue;
    if (snapshot.distances[ordinal] === UNREACHABLE) continue;
    const size = snapshot.collectionSize(ordinal);
    if (!size || size.size === 0) continue;
    const found = holderPath(snapshot, ordinal, entryKeys);
    if (!found) continue;
    const holder = acrossProcesses(found);
    const key = collectionKey({ kind: size.kind, holder });
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { holder, kind: size.kind, members: [], size: 0, largest: ordinal }));
    group.members.push(ordinal);
    group.size += size.size;
    if (snapshot.retainedSizes[ordinal]! > snapshot.retainedSizes[group.largest]!) group.largest = ordinal;
  }
  return [...groups.values()]
    .filter((group) => group.size >= minSize)
    .sort((a, b) => b.size - a.size || (holderKey(a.holder) < holderKey(b.holder) ? -1 : 1))
    .slice(0, MAX_ROWS)
    .map((group) => ({
      ref: { kind: 'collections', key: collectionKey(group) },
      members: group.members,
      row: {
        holder: group.holder,
        kind: group.kind,
        collectionCount: group.members.length,
        size: group.size,
        retainedBytes: clusterRetainedSize(snapshot, group.members),
        exampleId: graph.nodeIds[group.largest]!,
        location: declaringLocation(snapshot, locator, group.largest),
        nodeHeld: heldByNode(snapshot, locator, group.largest),
      },
    }));
}

/** Whether Node's own code holds the collection (DigestCollection.nodeHeld): its scope's function, or its owner's constructor, is in a `node:` script. */
function heldByNode(snapshot: Snapshot, locator: SourceLocator, ordinal: number): boolean {
  const scopeFunction = declaringLocation(snapshot, locator, ordinal);
  if (scopeFunction !== null) return scopeFunction.script.startsWith('node:');
  const step = snapshot.owner(ordinal);
  if (!step) return false;
  const constructor = snapshot.property(snapshot.property(step.owner, '__proto__'), 'constructor');
  return constructor >= 0 && (locator.locate(constructor)?.script.startsWith('node:') ?? false);
}

function listenerGroups(
  snapshot: Snapshot, locator: SourceLocator, entryKeys: MapEntryKeys, minCount: number,
): Group<Omit<DigestListenerGroup, 'insideOf'>>[] {
  const groups = new Map<string, { row: Omit<DigestListenerGroup, 'count' | 'retainedBytes' | 'insideOf'>; members: number[]; holds: Set<number> }>();
  for (const { emitter, list } of everyListenerList(snapshot)) {
    const found = holderPath(snapshot, emitter, entryKeys);
    const emitterHolder = found ? acrossProcesses(found) : null;
    const emitterClass = snapshot.definingClassName(emitter);
    for (const listener of list.listeners) {
      const { ordinal, wrapper } = unwrapFunction(snapshot, locator, listener);
      const location = locator.locate(ordinal);
      const row = {
        emitterClass, emitterHolder, event: list.event, style: list.style, location, wrapper,
        functionName: location?.functionName || snapshot.nodeName(ordinal), exampleEmitterId: snapshot.graph.nodeIds[emitter]!,
      };
      const key = listenerKey(row);
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { row, members: [], holds: new Set() }));
      group.members.push(listener);
      group.holds.add(list.holder);
    }
  }
  return [...groups.values()]
    .filter((group) => group.members.length >= minCount)
    .sort((a, b) => b.members.length - a.members.length)
    .slice(0, MAX_ROWS)
    .map(({ row, members, holds }) => ({
      ref: { kind: 'listeners', key: listenerKey(row) },
      members,
      holds: [...holds],
      row: { ...row, count: members.length, retainedBytes: clusterRetainedSize(snapshot, members) },
    }));
}

/** Reachable closures by the user's function (wrappers unwrapped) and wrapper kind; closures V8 recorded no location for are left out. */
function closureGroups(snapshot: Snapshot, locator: SourceLocator, minCount: number): Group<Omit<DigestClosureGroup, 'insideOf'>>[] {
  const graph = snapshot.graph;
  const groups = new Map<string, { location: SourceLocation; wrapper: WrapperKind | null; members: number[] }>();
  for (let ordinal = 0; ordinal < graph.nodeCount; ordinal++) {
    if (graph.nodeTypes[ordinal] !== graph.nodeType.closure || snapshot.distances[ordinal] === UNREACHABLE) continue;
    const unwrapped = unwrapFunction(snapshot, locator, ordinal);
    const location = locator.locate(unwrapped.ordinal);
    if (location === null) continue;
    const key = closureKey({ location, wrapper: unwrapped.wrapper });
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { location, wrapper: unwrapped.wrapper, members: [] }));
    group.members.push(ordinal);
  }
  return [...groups.values()]
    .filter((group) => group.members.length >= minCount)
    .sort((a, b) => b.members.length - a.members.length)
    .slice(0, MAX_ROWS)
    .map(({ location, wrapper, members }) => ({
      ref: { kind: 'closures', key: closureKey({ location, wrapper }) },
      members,
      row: { location, wrapper, functionName: location.functionName, count: members.length, retainedBytes: clusterRetainedSize(snapshot, members) },
    }));
}
