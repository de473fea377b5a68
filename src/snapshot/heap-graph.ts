import type { AllocationTraceTable } from './allocation-traces.js';
/**
 * The parsed heap graph: V8's node and edge tables turned into struct-of-arrays typed arrays,
 * indexed by node ordinal (0..nodeCount-1) and edge number (0..edgeCount-1).
 *
 * Vocabulary (STYLE.md §6.1): `ordinal` = node number; `edge` = edge number; `id` = V8 object id
 * (the only value comparable across snapshots of one process); `offset` = position in V8's raw
 * interleaved arrays, which exists only inside the parser. Edge targets are ordinals.
 *
 * Invariants the parser guarantees (and tests check):
 * - ordinal 0 is V8's synthetic root ("(GC roots)"'s parent);
 * - the edges of ordinal o are firstEdge[o] .. firstEdge[o + 1] - 1, in V8's order;
 *   firstEdge[nodeCount] === edgeCount;
 * - every edgeTargets[e] < nodeCount; every nodeNames[o] and named edgeNames[e] < strings.length.
 */
export interface HeapGraph {
  /** Where the snapshot came from, as the caller named it (for messages). */
  readonly source: string;
  readonly nodeCount: number;
  readonly edgeCount: number;

  /** Type names in the file's own order (meta.node_types[0]); nodeTypes[o] indexes it. */
  readonly nodeTypeNames: readonly string[];
  /** Type names in the file's own order (meta.edge_types[0]); edgeTypes[e] indexes it. */
  readonly edgeTypeNames: readonly string[];
  /** Type ids resolved once from meta; -1 where the file has no such type. */
  readonly nodeType: NodeTypeIds;
  readonly edgeType: EdgeTypeIds;

  /** By ordinal: index into nodeTypeNames. */
  readonly nodeTypes: Uint8Array;
  /** By ordinal: index into strings (class name for objects, function name for closures, …). */
  readonly nodeNames: Uint32Array;
  /** By ordinal: V8 object id. */
  readonly nodeIds: Uint32Array;
  /** By ordinal: shallow size in bytes (Float64 because external backing stores can pass 4 GiB). */
  readonly selfSizes: Float64Array;
  /** By ordinal: V8's detachedness (0 unknown, 1 attached, 2 detached); all 0 when the file has no such field. */
  readonly detachedness: Uint8Array;
  /** nodeCount + 1 entries: CSR start of each node's outgoing edges. */
  readonly firstEdge: Uint32Array;

  /** By edge: index into edgeTypeNames. */
  readonly edgeTypes: Uint8Array;
  /** By edge: string index for named types (property, context, internal, shortcut, weak); element index for element and hidden. */
  readonly edgeNames: Uint32Array;
  /** By edge: target node ordinal. */
  readonly edgeTargets: Uint32Array;

  /** The string table, decoded one string at a time while streaming. */
  readonly strings: readonly string[];

  /** Source locations V8 recorded (closures and some objects), see LocationTable. */
  readonly locations: LocationTable;

  /** By ordinal: the allocation trace node (0: allocated before tracking began); empty when `allocationTraces` is null. */
  readonly traceNodeIds: Uint32Array;
  /** Allocation stacks by trace node id, when the snapshot was taken under V8's allocation tracker (leakcheck run --track-allocations). */
  readonly allocationTraces: AllocationTraceTable | null;
}

export interface NodeTypeIds {
  readonly hidden: number;
  readonly array: number;
  readonly string: number;
  readonly object: number;
  readonly code: number;
  readonly closure: number;
  readonly regexp: number;
  readonly number: number;
  readonly native: number;
  readonly synthetic: number;
  readonly concatenatedString: number;
  readonly slicedString: number;
  readonly symbol: number;
  readonly bigint: number;
  readonly objectShape: number;
}

export interface EdgeTypeIds {
  readonly context: number;
  readonly element: number;
  readonly property: number;
  readonly internal: number;
  readonly hidden: number;
  readonly shortcut: number;
  readonly weak: number;
}

/**
 * The snapshot's `locations` section, one row per located node, rows sorted by ordinal.
 * locationRowByOrdinal[o] is the row of ordinal o, or -1 when V8 recorded no location for it.
 * Lines and columns are 0-based as V8 writes them; renderers add 1.
 */
export interface LocationTable {
  readonly count: number;
  readonly ordinals: Uint32Array;
  readonly scriptIds: Uint32Array;
  readonly lines: Uint32Array;
  readonly columns: Uint32Array;
  readonly locationRowByOrdinal: Int32Array;
}
