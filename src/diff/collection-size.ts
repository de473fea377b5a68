import type { HeapGraph } from '../snapshot/index.js';
import { internalTarget, nodeName } from './graph-queries.js';

export type CollectionKind = 'Map' | 'Set' | 'Array' | 'Object';

export interface CollectionSize {
  readonly kind: CollectionKind;
  /** Entries (Map, Set), elements (Array) or own named properties (Object). */
  readonly size: number;
}

// V8 (64-bit, no pointer compression, as in Node 20) lays an OrderedHashMap/Set out as a FixedArray:
// map + length words, then [elementCount, deletedCount, bucketCount, buckets…, entries…] with
// 2 × bucketCount entries of 3 slots (key, value, chain) for Map and 2 slots (key, chain) for Set.
// The snapshot names each heap-object slot by its index but omits Smis, so the entry count is
// recovered from the slot indices once the table's bucket count is known from its byte size.
const FIXED_ARRAY_HEADER_BYTES = 16;
const TAGGED_BYTES = 8;
const HASH_TABLE_HEADER_SLOTS = 3;

/** Property names every object or array carries that say nothing about its fan-out. */
const NON_ENTRY_PROPERTIES = new Set(['__proto__', 'constructor', 'length']);

/**
 * The size of a Map, Set, Array, or plain object used as a dictionary; undefined for anything else.
 * Arrays count element edges (Smi and double elements are invisible in snapshots, so an array of
 * numbers reads as 0 and is never reported as growing — a known limit).
 */
export function collectionSize(graph: HeapGraph, ordinal: number): CollectionSize | undefined {
  if (graph.nodeTypes[ordinal] !== graph.nodeType.object) return undefined;
  const name = nodeName(graph, ordinal);
  if (name === 'Map' || name === 'Set' || name === 'SafeMap' || name === 'SafeSet') {
    const table = internalTarget(graph, ordinal, 'table');
    if (table < 0) return undefined;
    const isMap = name === 'Map' || name === 'SafeMap';
    return { kind: isMap ? 'Map' : 'Set', size: hashTableEntryCount(graph, table, isMap ? 3 : 2) };
  }
  if (name === 'Array') return { kind: 'Array', size: countElementEdges(graph, ordinal) };
  if (name === 'Object') return { kind: 'Object', size: countEntryProperties(graph, ordinal) };
  return undefined;
}

export function hashTableEntryCount(graph: HeapGraph, table: number, slotsPerEntry: number): number {
  const lengthSlots = (graph.selfSizes[table]! - FIXED_ARRAY_HEADER_BYTES) / TAGGED_BYTES;
  // length = 3 + buckets + 2·buckets·slotsPerEntry
  const buckets = (lengthSlots - HASH_TABLE_HEADER_SLOTS) / (1 + 2 * slotsPerEntry);
  const firstEntrySlot = HASH_TABLE_HEADER_SLOTS + buckets;
  const layoutKnown = Number.isInteger(buckets) && buckets > 0;
  let entries = 0;
  let lastEntry = -1;
  let slotEdges = 0;
  const end = graph.firstEdge[table + 1]!;
  // Edges are in slot order; an entry is counted once however many of its slots hold heap objects.
  for (let edge = graph.firstEdge[table]!; edge < end; edge++) {
    const slot = Number(graph.strings[graph.edgeNames[edge]!]);
    if (!Number.isInteger(slot)) continue;
    slotEdges++;
    if (!layoutKnown || slot < firstEntrySlot) continue;
    const entry = Math.floor((slot - firstEntrySlot) / slotsPerEntry);
    // The chain slot is a Smi and never appears, so the key or value slot identifies the entry.
    if (entry !== lastEntry) {
      entries++;
      lastEntry = entry;
    }
  }
  // Unknown layout (another V8 build): every key and value slot is an edge, so divide by those.
  return layoutKnown ? entries : Math.round(slotEdges / (slotsPerEntry - 1));
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

/** For messages: "Map of 640 entries", "Array of 12 elements". */
export function describeCollection(size: CollectionSize): string {
  const unit = size.kind === 'Array' ? 'elements' : size.kind === 'Object' ? 'properties' : 'entries';
  return `${size.kind} of ${size.size.toLocaleString('en-US')} ${unit}`;
}


/**
 * Key/value ordinals of a Map's heap-object entries (entries whose key or value is a Smi or an
 * omitted oddball come back as -1 on that side). Empty when the table layout is not recognised.
 */
export function mapEntries(graph: HeapGraph, mapOrdinal: number): { key: number; value: number }[] {
  const table = internalTarget(graph, mapOrdinal, 'table');
  if (table < 0) return [];
  const lengthSlots = (graph.selfSizes[table]! - FIXED_ARRAY_HEADER_BYTES) / TAGGED_BYTES;
  const buckets = (lengthSlots - HASH_TABLE_HEADER_SLOTS) / 7;
  if (!Number.isInteger(buckets) || buckets <= 0) return [];
  const firstEntrySlot = HASH_TABLE_HEADER_SLOTS + buckets;
  const entries: { key: number; value: number }[] = [];
  let current: { key: number; value: number } | undefined;
  let currentEntry = -1;
  const end = graph.firstEdge[table + 1]!;
  for (let edge = graph.firstEdge[table]!; edge < end; edge++) {
    const slot = Number(graph.strings[graph.edgeNames[edge]!]);
    if (!Number.isInteger(slot) || slot < firstEntrySlot) continue;
    const entry = Math.floor((slot - firstEntrySlot) / 3);
    if (entry !== currentEntry) {
      current = { key: -1, value: -1 };
      entries.push(current);
      currentEntry = entry;
    }
    if ((slot - firstEntrySlot) % 3 === 0) current!.key = graph.edgeTargets[edge]!;
    else if ((slot - firstEntrySlot) % 3 === 1) current!.value = graph.edgeTargets[edge]!;
  }
  return entries;
}
