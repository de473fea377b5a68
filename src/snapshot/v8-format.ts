/**
 * The `snapshot` header exactly as V8 writes it (Node 18–22, Chrome). snake_case lives only here;
 * layout.ts turns it into a SnapshotLayout once. Every field is optional because the header comes
 * from an untrusted file: layout.ts checks what it needs and names what is missing.
 */
export interface V8SnapshotHeader {
  meta?: V8SnapshotMeta;
  node_count?: number;
  edge_count?: number;
  trace_function_count?: number;
  extra_native_bytes?: number;
  title?: string;
  uid?: number;
}

/**
 * `node_types[0]` / `edge_types[0]` are the type-name lists; the other entries describe the other
 * fields ("string", "number", "node", …) and are not needed.
 */
export interface V8SnapshotMeta {
  node_fields?: string[];
  node_types?: unknown[];
  edge_fields?: string[];
  edge_types?: unknown[];
  location_fields?: string[];
  trace_function_info_fields?: string[];
  trace_node_fields?: string[];
  sample_fields?: string[];
}

/** Top-level keys of a snapshot file that the parser reads; any other key is skipped bytewise. */
export const SNAPSHOT_KEY = 'snapshot';
export const NODES_KEY = 'nodes';
export const EDGES_KEY = 'edges';
export const LOCATIONS_KEY = 'locations';
export const STRINGS_KEY = 'strings';
export const TRACE_FUNCTIONS_KEY = 'trace_function_infos';
export const TRACE_TREE_KEY = 'trace_tree';
