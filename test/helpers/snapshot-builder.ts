import { writeFileSync } from 'node:fs';

/**
 * Builds tiny V8-format heap snapshots in code, so a test can state a graph and assert
 * dominators, distances, retained sizes and paths exactly (DevTools' HeapSnapshotBuilder idea).
 *
 *   const b = new SnapshotBuilder();              // ordinal 0 is the synthetic root
 *   const a = b.addNode('object', 'A', 10);
 *   const c = b.addNode('closure', 'onData', 32);
 *   b.addEdge(b.root, a, 'element', 1).addEdge(a, c, 'property', 'handler');
 *   const json = b.toJson();                      // the text of a .heapsnapshot
 *   const path = b.writeTo(join(dir, 'g.heapsnapshot'));
 *
 * Nodes get V8-like ids (odd, increasing) unless given; edges keep their order per owner.
 * toJson options reorder fields and top-level keys and add unknown keys, to test that the parser
 * reads the layout from `meta` and skips what it does not know.
 */
export const NODE_TYPES = [
  'hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native', 'synthetic',
  'concatenated string', 'sliced string', 'symbol', 'bigint', 'object shape', 'wasm object',
] as const;
export const EDGE_TYPES = ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'] as const;
export type NodeTypeName = (typeof NODE_TYPES)[number];
export type EdgeTypeName = (typeof EDGE_TYPES)[number];

export const DEFAULT_NODE_FIELDS = ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'];
export const DEFAULT_EDGE_FIELDS = ['type', 'name_or_index', 'to_node'];
/** What V8 puts in meta.node_types / edge_types for each field. */
const NODE_FIELD_TYPES: Readonly<Record<string, unknown>> = { type: NODE_TYPES, name: 'string' };
const EDGE_FIELD_TYPES: Readonly<Record<string, unknown>> = { type: EDGE_TYPES, name_or_index: 'string_or_number', to_node: 'node' };
export const LOCATION_FIELDS = ['object_index', 'script_id', 'line', 'column'];

export interface BuiltNode {
  readonly ordinal: number;
  readonly id: number;
}

export interface NodeOptions {
  id?: number;
  detachedness?: number;
  location?: { scriptId: number; line: number; column: number };
}

export interface SerializeOptions {
  /** A permutation of DEFAULT_NODE_FIELDS, possibly with extra unknown fields (written as 0). */
  nodeFields?: readonly string[];
  edgeFields?: readonly string[];
  /** Top-level key order (default: V8's). Keys left out are not written. */
  keyOrder?: readonly string[];
  /** Extra top-level entries, written after the known ones unless keyOrder places them. */
  extra?: Record<string, unknown>;
  /** Type names written in meta instead of V8's (renamed or reordered lists; the numbers stay V8's). */
  nodeTypeNames?: readonly string[];
  /** Override the header counts (to build inconsistent files). */
  nodeCount?: number;
  edgeCount?: number;
}

interface NodeRecord {
  type: NodeTypeName;
  name: string;
  id: number;
  selfSize: number;
  detachedness: number;
  edges: { type: EdgeTypeName; name: string | number; to: number }[];
  location: NodeOptions['location'];
}

export class SnapshotBuilder {
  private readonly nodes: NodeRecord[] = [];
  private nextId = 1;
  readonly root: BuiltNode;

  constructor(rootName = '') {
    this.root = this.addNode('synthetic', rootName, 0);
  }

  addNode(type: NodeTypeName, name: string, selfSize = 0, options: NodeOptions = {}): BuiltNode {
    const id = options.id ?? this.nextId;
    this.nextId = Math.max(this.nextId, id) + 2;
    const ordinal = this.nodes.length;
    this.nodes.push({ type, name, id, selfSize, detachedness: options.detachedness ?? 0, edges: [], location: options.location });
    return { ordinal, id };
  }

  /** Element and hidden edges take a number (the index); the others a name. */
  addEdge(from: BuiltNode, to: BuiltNode, type: EdgeTypeName = 'property', name: string | number = `e${to.ordinal}`): this {
    this.nodes[from.ordinal]!.edges.push({ type, name, to: to.ordinal });
    return this;
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  get edgeCount(): number {
    return this.nodes.reduce((sum, node) => sum + node.edges.length, 0);
  }

  toJson(options: SerializeOptions = {}): string {
    const nodeFields = options.nodeFields ?? DEFAULT_NODE_FIELDS;
    const edgeFields = options.edgeFields ?? DEFAULT_EDGE_FIELDS;
    const strings: string[] = [];
    const stringIndex = new Map<string, number>();
    const intern = (text: string): number => {
      let index = stringIndex.get(text);
      if (index === undefined) {
        index = strings.length;
        strings.push(text);
        stringIndex.set(text, index);
      }
      return index;
    };
    intern('');
    const nodeRows: number[][] = [];
    const edgeRows: number[][] = [];
    const locationRows: number[][] = [];
    this.nodes.forEach((node, ordinal) => {
      const values: Record<string, number> = {
        type: NODE_TYPES.indexOf(node.type), name: intern(node.name), id: node.id, self_size: node.selfSize,
        edge_count: node.edges.length, trace_node_id: 0, detachedness: node.detachedness,
      };
      nodeRows.push(nodeFields.map((field) => values[field] ?? 0));
      for (const edge of node.edges) {
        const named = edge.type !== 'element' && edge.type !== 'hidden';
        const edgeValues: Record<string, number> = {
          type: EDGE_TYPES.indexOf(edge.type),
          name_or_index: named ? intern(String(edge.name)) : Number(edge.name),
          to_node: edge.to * nodeFields.length,
        };
        edgeRows.push(edgeFields.map((field) => edgeValues[field] ?? 0));
      }
      if (node.location) locationRows.push([ordinal * nodeFields.length, node.location.scriptId, node.location.line, node.location.column]);
    });
    const header = {
      meta: {
        node_fields: nodeFields,
        // As V8 writes it: entry i describes field i, so a permutation moves the type-name list too.
        node_types: nodeFields.map((field) => (field === 'type' ? options.nodeTypeNames : undefined) ?? NODE_FIELD_TYPES[field] ?? 'number'),
        edge_fields: edgeFields,
        edge_types: edgeFields.map((field) => EDGE_FIELD_TYPES[field] ?? 'number'),
        trace_function_info_fields: ['function_id', 'name', 'script_name', 'script_id', 'line', 'column'],
        trace_node_fields: ['id', 'function_info_index', 'count', 'size', 'children'],
        sample_fields: ['timestamp_us', 'last_assigned_id'],
        location_fields: LOCATION_FIELDS,
      },
      node_count: options.nodeCount ?? this.nodes.length,
      edge_count: options.edgeCount ?? edgeRows.length,
      trace_function_count: 0,
    };
    // V8 writes one row per line with a leading comma; the parser must not care.
    const rows = (list: number[][]) => list.map((row, at) => (at === 0 ? '' : ',') + row.join(',')).join('\n');
    const sections: Record<string, string> = {
      snapshot: JSON.stringify(header),
      nodes: `[${rows(nodeRows)}]`,
      edges: `[${rows(edgeRows)}]`,
      trace_function_infos: '[]',
      trace_tree: '[]',
      samples: '[]',
      locations: `[${rows(locationRows)}]`,
      strings: `[${strings.map((s) => JSON.stringify(s)).join(',\n')}]`,
    };
    for (const [key, value] of Object.entries(options.extra ?? {})) sections[key] = JSON.stringify(value);
    const order = options.keyOrder ?? [
      'snapshot', 'nodes', 'edges', 'trace_function_infos', 'trace_tree', 'samples', 'locations', 'strings',
      ...Object.keys(options.extra ?? {}),
    ];
    return `{${order.filter((key) => key in sections).map((key) => `${JSON.stringify(key)}:${sections[key]}`).join(',\n')}}`;
  }

  /** Writes toJson(options) to `path` and returns the path. */
  writeTo(path: string, options: SerializeOptions = {}): string {
    writeFileSync(path, this.toJson(options));
    return path;
  }
}
