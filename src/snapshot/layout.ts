import { ErrorCode, LeakcheckError } from '../errors.js';
import { resolveTraceLayout, type TraceLayout } from './allocation-traces.js';
import type { EdgeTypeIds, NodeTypeIds } from './heap-graph.js';
import type { V8SnapshotHeader } from './v8-format.js';

/**
 * Where each field sits in V8's interleaved rows and which number means which type, resolved
 * once from the file's own `meta` (DevTools' initialize() does the same by indexOf): nothing in
 * leakcheck assumes V8's field order. Column numbers are 0-based; -1 means "absent".
 */
export interface SnapshotLayout {
  readonly nodeCount: number;
  readonly edgeCount: number;

  readonly nodeFieldCount: number;
  readonly nodeTypeColumn: number;
  readonly nodeNameColumn: number;
  readonly nodeIdColumn: number;
  readonly nodeSelfSizeColumn: number;
  readonly nodeEdgeCountColumn: number;
  readonly nodeDetachednessColumn: number;
  /** -1 when absent; the ids are 0 unless V8's allocation tracker ran (then `traces` is set). */
  readonly nodeTraceNodeIdColumn: number;
  /** The columns of trace_function_infos and trace_tree; null when the file has no tracker data. */
  readonly traces: TraceLayout | null;

  readonly edgeFieldCount: number;
  readonly edgeTypeColumn: number;
  readonly edgeNameColumn: number;
  readonly edgeToNodeColumn: number;

  /** 0 when the file has no location_fields (snapshots older than Node 16). */
  readonly locationFieldCount: number;
  readonly locationObjectColumn: number;
  readonly locationScriptColumn: number;
  readonly locationLineColumn: number;
  readonly locationColumnColumn: number;

  readonly nodeTypeNames: readonly string[];
  readonly edgeTypeNames: readonly string[];
  readonly nodeType: NodeTypeIds;
  readonly edgeType: EdgeTypeIds;
}

/** Resolves the layout from a parsed header; `source` only names the file in errors. */
export function resolveLayout(header: unknown, source: string, headerOffset: number): SnapshotLayout {
  const fail = (code: typeof ErrorCode.NOT_A_SNAPSHOT | typeof ErrorCode.SNAPSHOT_INCONSISTENT, message: string) =>
    new LeakcheckError(code, message, { file: source, offset: headerOffset });
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw fail(ErrorCode.NOT_A_SNAPSHOT, '"snapshot" is not an object, so this is not a V8 heap snapshot');
  }
  const h = header as V8SnapshotHeader;
  const meta = h.meta;
  if (typeof meta !== 'object' || meta === null) throw fail(ErrorCode.NOT_A_SNAPSHOT, 'snapshot header has no "meta"');

  const nodeFields = stringList(meta.node_fields, 'snapshot.meta.node_fields');
  const edgeFields = stringList(meta.edge_fields, 'snapshot.meta.edge_fields');
  const column = (fields: string[], name: string, where: string): number => {
    const at = fields.indexOf(name);
    if (at < 0) throw fail(ErrorCode.SNAPSHOT_INCONSISTENT, `${where} has no "${name}" field`);
    return at;
  };
  // node_types[i] describes node_fields[i]: the list of type names sits at the "type" field's
  // position, which is 0 only in V8's own order.
  const nodeTypeColumn = column(nodeFields, 'type', 'snapshot.meta.node_fields');
  const edgeTypeColumn = column(edgeFields, 'type', 'snapshot.meta.edge_fields');
  const nodeTypeNames = stringList(entryOf(meta.node_types, nodeTypeColumn, 'snapshot.meta.node_types'), `snapshot.meta.node_types[${nodeTypeColumn}]`);
  const edgeTypeNames = stringList(entryOf(meta.edge_types, edgeTypeColumn, 'snapshot.meta.edge_types'), `snapshot.meta.edge_types[${edgeTypeColumn}]`);
  // nodeTypes and edgeTypes are Uint8Arrays.
  if (nodeTypeNames.length > 256 || edgeTypeNames.length > 256) {
    throw fail(ErrorCode.SNAPSHOT_INCONSISTENT, `meta lists ${nodeTypeNames.length} node types and ${edgeTypeNames.length} edge types; V8 has fewer than 256 of each`);
  }
  requireNames(nodeTypeNames, REQUIRED_NODE_TYPES, `snapshot.meta.node_types[${nodeTypeColumn}]`, 'node');
  requireNames(edgeTypeNames, REQUIRED_EDGE_TYPES, `snapshot.meta.edge_types[${edgeTypeColumn}]`, 'edge');
  const locationFields = meta.location_fields === undefined ? [] : stringList(meta.location_fields, 'snapshot.meta.location_fields');
  const nodeCount = count(h.node_count, 'snapshot.node_count');
  const edgeCount = count(h.edge_count, 'snapshot.edge_count');
  if (nodeCount === 0) throw fail(ErrorCode.SNAPSHOT_INCONSISTENT, 'snapshot.node_count is 0: a heap snapshot has at least its root node');
  // Typed arrays are indexed by 32-bit ordinals and edge numbers (firstEdge is a Uint32Array).
  if (nodeCount >= 2 ** 32 - 1 || edgeCount >= 2 ** 32 - 1) {
    throw fail(ErrorCode.SNAPSHOT_INCONSISTENT, `node_count ${nodeCount} / edge_count ${edgeCount} exceed what leakcheck indexes (2^32 - 2)`);
  }

  const hasLocations = locationFields.length > 0;
  return {
    nodeCount,
    edgeCount,
    nodeFieldCount: nodeFields.length,
    nodeTypeColumn,
    nodeNameColumn: column(nodeFields, 'name', 'snapshot.meta.node_fields'),
    nodeIdColumn: column(nodeFields, 'id', 'snapshot.meta.node_fields'),
    nodeSelfSizeColumn: column(nodeFields, 'self_size', 'snapshot.meta.node_fields'),
    nodeEdgeCountColumn: column(nodeFields, 'edge_count', 'snapshot.meta.node_fields'),
    nodeDetachednessColumn: nodeFields.indexOf('detachedness'),
    nodeTraceNodeIdColumn: nodeFields.indexOf('trace_node_id'),
    traces: nodeFields.includes('trace_node_id')
      ? resolveTraceLayout(meta.trace_function_info_fields, meta.trace_node_fields, h.trace_function_count ?? 0, (message) => fail(ErrorCode.SNAPSHOT_INCONSISTENT, message))
      : null,
    edgeFieldCount: edgeFields.length,
    edgeTypeColumn,
    edgeNameColumn: column(edgeFields, 'name_or_index', 'snapshot.meta.edge_fields'),
    edgeToNodeColumn: column(edgeFields, 'to_node', 'snapshot.meta.edge_fields'),
    locationFieldCount: locationFields.length,
    locationObjectColumn: hasLocations ? column(locationFields, 'object_index', 'snapshot.meta.location_fields') : -1,
    locationScriptColumn: hasLocations ? column(locationFields, 'script_id', 'snapshot.meta.location_fields') : -1,
    locationLineColumn: hasLocations ? column(locationFields, 'line', 'snapshot.meta.location_fields') : -1,
    locationColumnColumn: hasLocations ? column(locationFields, 'column', 'snapshot.meta.location_fields') : -1,
    nodeTypeNames,
    edgeTypeNames,
    nodeType: resolveNodeTypes(nodeTypeNames),
    edgeType: resolveEdgeTypes(edgeTypeNames),
  };

  function stringList(value: unknown, where: string): string[] {
    if (!Array.isArray(value)) throw fail(ErrorCode.NOT_A_SNAPSHOT, `${where} is missing or not a list`);
    if (value.length === 0 || !value.every((v) => typeof v === 'string')) {
      throw fail(ErrorCode.SNAPSHOT_INCONSISTENT, `${where} must be a non-empty list of names`);
    }
    return value as string[];
  }
  function entryOf(value: unknown, at: number, where: string): unknown {
    if (!Array.isArray(value) || value.length === 0) throw fail(ErrorCode.NOT_A_SNAPSHOT, `${where} is missing or empty`);
    return value[at];
  }
  function requireNames(names: readonly string[], required: readonly string[], where: string, kind: string): void {
    const missing = required.filter((name) => !names.includes(name));
    if (missing.length > 0) {
      throw fail(ErrorCode.SNAPSHOT_INCONSISTENT, `${where} lacks the ${kind} type${missing.length > 1 ? 's' : ''} ${missing.map((n) => `"${n}"`).join(', ')}, which leakcheck needs to tell objects apart`);
    }
  }
  function count(value: unknown, where: string): number {
    if (value === undefined) throw fail(ErrorCode.NOT_A_SNAPSHOT, `${where} is missing`);
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw fail(ErrorCode.SNAPSHOT_INCONSISTENT, `${where} is not a non-negative integer`);
    }
    return value;
  }
}

/**
 * Type names every V8 snapshot since Node 12 lists, and that the edge policy, class names and
 * detectors test for: a file that renamed one would make those tests match nothing and hide a
 * leak. "object shape" (newer V8) and "wasm object" are optional.
 */
const REQUIRED_NODE_TYPES = [
  'hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native', 'synthetic',
  'concatenated string', 'sliced string', 'symbol', 'bigint',
] as const;
const REQUIRED_EDGE_TYPES = ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'] as const;

function resolveNodeTypes(names: readonly string[]): NodeTypeIds {
  const id = (name: string) => names.indexOf(name);
  return {
    hidden: id('hidden'),
    array: id('array'),
    string: id('string'),
    object: id('object'),
    code: id('code'),
    closure: id('closure'),
    regexp: id('regexp'),
    number: id('number'),
    native: id('native'),
    synthetic: id('synthetic'),
    concatenatedString: id('concatenated string'),
    slicedString: id('sliced string'),
    symbol: id('symbol'),
    bigint: id('bigint'),
    objectShape: id('object shape'),
  };
}

function resolveEdgeTypes(names: readonly string[]): EdgeTypeIds {
  const id = (name: string) => names.indexOf(name);
  return {
    context: id('context'),
    element: id('element'),
    property: id('property'),
    internal: id('internal'),
    hidden: id('hidden'),
    shortcut: id('shortcut'),
    weak: id('weak'),
  };
}
