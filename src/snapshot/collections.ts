import type { HeapGraph } from './heap-graph.js';

/**
 * Sizes of Maps, Sets, Arrays and dictionary-like objects, read from V8's own layout. The edge and
 * name lookups come from the snapshot's query methods (IdOrderedSnapshot), passed in so this file
 * holds only the layout arithmetic.
 */
export type CollectionKind = 'Map' | 'Set' | 'Array' | 'Object';

export interface CollectionSize {
  readonly kind: CollectionKind;
  /** Entries (Map, Set), elements (Array) or own named properties (Object). */
  readonly size: number;
}

/** What the layout arithmetic needs from the snapshot: the node's name and its internal edges. */
export interface CollectionQueries {
  readonly graph: HeapGraph;
  nodeName(ordinal: number): string;
  internal(ordinal: number, name: string): number;
}

// V8's OrderedHashTable (OrderedHashMap / OrderedHashSet), 64-bit without pointer compression as in
// Node 20, is a FixedArray: a map word and a length word, then the table's header slots
// [elementCount, deletedCount, bucketCount], then bucketCount bucket slots, then
// bucketCount × LOAD_FACTOR entries of ENTRY_SLOTS slots each (Map: key, value, chain;
// Set: key, chain). The snapshot names each heap-object slot by its index but omits Smis, so the
// entry count is recovered from the slot indices once the bucket count is known from the byte size.
const FIXED_ARRAY_HEADER_BYTES = 16;
const TAGGED_BYTES = 8;
const HASH_TABLE_HEADER_SLOTS = 3;
/** OrderedHashTable::kLoadFactor: entries per bucket. */
const HASH_TABLE_LOAD_FACTOR = 2;
const MAP_ENTRY_SLOTS = 3;
const SET_ENTRY_SLOTS = 2;
/** Within a Map entry: which slot holds what (the chain slot is a Smi, never an edge). */
const MAP_KEY_SLOT = 0;
const MAP_VALUE_SLOT = 1;

/** Property names every object or array carries that say nothing about its fan-out. */
const NON_ENTRY_PROPERTIES = new Set(['__proto__', 'constructor', 'length']);

/** Node names collectionSize() understands (what a detector scans for). */
export const COLLECTION_NODE_NAMES: readonly string[] = ['Map', 'Set', 'SafeMap', 'SafeSet', 'Array', 'Object'];

/**
 * The size of a Map, Set, Array, or plain object used as a dictionary; undefined for anything else.
 * Arrays count element edges (Smi and double elements are invisible in snapshots, so an array of
 * numbers reads as 0 and is never reported as growing — a known limit).
 */
export function collectionSize(queries: CollectionQueries, ordinal: number): CollectionSize | undefined {
  const { graph } = queries;
  if (graph.nodeTypes[ordinal] !== graph.nodeType.object) return undefined;
  const name = queries.nodeName(ordinal);
  if (name === 'Map' || name === 'Set' || name === 'SafeMap' || name === 'SafeSet') {
    const table = queries.internal(ordinal, 'table');
    if (table < 0) return undefined;
    const isMap = name === 'Map' || name === 'SafeMap';
    return { kind: isMap ? 'Map' : 'Set', size: hashTableEntryCount(graph, table, isMap ? MAP_ENTRY_SLOTS : SET_ENTRY_SLOTS) };
  }
  if (name === 'Array') return { kind: 'Array', size: countElementEdges(graph, ordinal) };
  if (name === 'Object') return { kind: 'Object', size: countEntryProperties(graph, ordinal) };
  return undefined;
}

/** The slot where entries start, or undefined when the byte size does not fit the layout (another V8 build). */
function firstEntrySlot(graph: HeapGraph, table: number, slotsPerEntry: number): number | undefined {
  const lengthSlots = (graph.selfSizes[table]! - FIXED_ARRAY_HEADER_BYTES) / TAGGED_BYTES;
  // length = header + buckets + LOAD_FACTOR · buckets · slotsPerEntry
  const buckets = (lengthSlots - HASH_TABLE_HEADER_SLOTS) / (1 + HASH_TABLE_LOAD_FACTOR * slotsPerEntry);
  return Number.isInteger(buckets) && buckets > 0 ? HASH_TABLE_HEADER_SLOTS + buckets : undefined;
}

/** The slot index an edge of a hash table stands for (V8 names slots by number), or NaN. */
function slotOf(graph: HeapGraph, edge: number): number {
  return Number(graph.strings[graph.edgeNames[edge]!]);
}

function hashTableEntryCount(graph: HeapGraph, table: number, slotsPerEntry: number): number {
  const entriesStart = firstEntrySlot(graph, table, slotsPerEntry);
  let entries = 0;
  let lastEntry = -1;
  let slotEdges = 0;
  const end = graph.firstEdge[table + 1]!;
  // Edges are in slot order; an entry is counted once however many of its slots hold heap objects.
  for (let edge = graph.firstEdge[table]!; edge < end; edge++) {
    const slot = slotOf(graph, edge);
    if (!Number.isInteger(slot)) continue;
    slotEdges++;
    if (entriesStart === undefined || slot < entriesStart) continue;
    const entry = Math.floor((slot - entriesStart) / slotsPerEntry);
    // The chain slot is a Smi and never appears, so the key or value slot identifies the entry.
    if (entry !== lastEntry) {
      entries++;
      lastEntry = entry;
    }
  }
  // Unknown layout: every key and value slot is an edge, so divide by those (all but the chain).
  return entriesStart !== undefined ? entries : Math.round(slotEdges / (slotsPerEntry - 1));
}

function countElementEdges(graph: HeapGraph, ordinal: number): number {
  let count = 0;
  const end = graph.firstEdge[ordinal + 1]!;
  for (let edge = graph.firstEdge[ordinal]!; edge < end; edge++) if (graph.edgeTypes[edge] === graph.edgeType.element) count++;
  return count;
}

function countEntryProperties(graph: HeapGraph, ordinal: number): number {
  let count = 0;
  const end = graph.firstEdge[ordinal + 1]!;
  for (let edge = graph.firstEdge[ordinal]!; edge < end; edge++) {
    if (graph.edgeTypes[edge] !== graph.edgeType.property) continue;
    if (NON_ENTRY_PROPERTIES.has(graph.strings[graph.edgeNames[edge]!] ?? '')) continue;
    count++;
  }
  return count;
}

/** One Map entry: key and value ordinals, -1 on a side that is a Smi or an omitted oddball. */
export interface MapEntry {
  key: number;
  value: number;
}

/** The heap-object entries of a Map, in table order. Empty when the table layout is not recognised. */
export function mapEntries(queries: CollectionQueries, mapOrdinal: number): MapEntry[] {
  const { graph } = queries;
  const table = queries.internal(mapOrdinal, 'table');
  if (table < 0) return [];
  const entriesStart = firstEntrySlot(graph, table, MAP_ENTRY_SLOTS);
  if (entriesStart === undefined) return [];
  const entries: MapEntry[] = [];
  let current: MapEntry | undefined;
  let currentEntry = -1;
  const end = graph.firstEdge[table + 1]!;
  for (let edge = graph.firstEdge[table]!; edge < end; edge++) {
    const slot = slotOf(graph, edge);
    if (!Number.isInteger(slot) || slot < entriesStart) continue;
    const entry = Math.floor((slot - entriesStart) / MAP_ENTRY_SLOTS);
    if (entry !== currentEntry) {
      current = { key: -1, value: -1 };
      entries.push(current);
      currentEntry = entry;
    }
    const within = (slot - entriesStart) % MAP_ENTRY_SLOTS;
    if (within === MAP_KEY_SLOT) current!.key = graph.edgeTargets[edge]!;
    else if (within === MAP_VALUE_SLOT) current!.value = graph.edgeTargets[edge]!;
  }
  return entries;
}
