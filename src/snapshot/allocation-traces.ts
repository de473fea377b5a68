import { ErrorCode, LeakcheckError } from '../errors.js';

/**
 * V8's allocation tracker in a snapshot (taken while HeapProfiler.startTrackingHeapObjects with
 * trackAllocations ran): `trace_function_infos` (one row per function), `trace_tree` (the call
 * tree of allocations, nested rows [id, function_info_index, count, size, children]) and each
 * node's `trace_node_id` (0 for objects allocated before tracking began). Every column is read
 * from the file's meta, as for nodes and edges.
 */

export interface TraceLayout {
  readonly functionFieldCount: number;
  readonly functionNameColumn: number;
  readonly functionScriptNameColumn: number;
  readonly functionScriptIdColumn: number;
  readonly functionLineColumn: number;
  readonly functionColumnColumn: number;
  readonly treeFieldCount: number;
  readonly treeIdColumn: number;
  readonly treeFunctionColumn: number;
  readonly treeChildrenColumn: number;
}

/** One frame of an allocation stack; line and column 1-based as V8 writes them here, 0 when unknown (builtins). */
export interface TraceFrame {
  readonly functionName: string;
  /** The script as V8 names it (a path, a file:// URL, node:…); '' for builtins. */
  readonly scriptName: string;
  readonly scriptId: number;
  readonly line: number;
  readonly column: number;
}

export class AllocationTraceTable {
  /** By trace node id: its parent's id (0 at the root) and its function's row; -1 for ids the tree does not hold. */
  readonly #parentById: Int32Array;
  readonly #functionById: Int32Array;
  readonly #functions: readonly TraceFrame[];

  constructor(parentById: Int32Array, functionById: Int32Array, functions: readonly TraceFrame[]) {
    this.#parentById = parentById;
    this.#functionById = functionById;
    this.#functions = functions;
  }

  /** The allocation stack of a trace node, innermost frame first (the tree's synthetic root left out); [] for 0 or an unknown id. */
  stack(traceNodeId: number): TraceFrame[] {
    const frames: TraceFrame[] = [];
    let id = traceNodeId;
    // Bounded by the tree's size: a malformed file with a parent cycle must not loop forever.
    for (let steps = 0; id > 0 && id < this.#parentById.length && steps < this.#parentById.length; steps++) {
      const parent = this.#parentById[id]!;
      const fn = this.#functionById[id]!;
      // A top-level row (parent 0) is V8's "(root)", not a frame.
      if (fn < 0 || parent <= 0) break;
      frames.push(this.#functions[fn]!);
      id = parent;
    }
    return frames;
  }
}

/** Resolves the trace columns from meta; null when the file holds no tracker data (trace_function_count 0 or absent). */
export function resolveTraceLayout(functionFields: readonly string[] | undefined, treeFields: readonly string[] | undefined, functionCount: number, fail: (message: string) => LeakcheckError): TraceLayout | null {
  if (functionCount === 0 || functionFields === undefined || treeFields === undefined) return null;
  const column = (fields: readonly string[], name: string, where: string): number => {
    const at = fields.indexOf(name);
    if (at < 0) throw fail(`${where} has no "${name}" field`);
    return at;
  };
  const fn = 'snapshot.meta.trace_function_info_fields';
  const tree = 'snapshot.meta.trace_node_fields';
  return {
    functionFieldCount: functionFields.length,
    functionNameColumn: column(functionFields, 'name', fn),
    functionScriptNameColumn: column(functionFields, 'script_name', fn),
    functionScriptIdColumn: column(functionFields, 'script_id', fn),
    functionLineColumn: column(functionFields, 'line', fn),
    functionColumnColumn: column(functionFields, 'column', fn),
    treeFieldCount: treeFields.length,
    treeIdColumn: column(treeFields, 'id', tree),
    treeFunctionColumn: column(treeFields, 'function_info_index', tree),
    treeChildrenColumn: column(treeFields, 'children', tree),
  };
}

/**
 * Builds the table from the parsed sections. `tree` is trace_tree as JSON.parse gives it; walked
 * with an explicit stack (a deep recursion in the program makes a deep tree).
 */
export function buildAllocationTraces(layout: TraceLayout, functionValues: Float64Array, tree: unknown, strings: readonly string[], source: string): AllocationTraceTable {
  const fail = (message: string) => new LeakcheckError(ErrorCode.SNAPSHOT_INCONSISTENT, message, { file: source });
  const fields = layout.functionFieldCount;
  if (functionValues.length % fields !== 0) throw fail(`"trace_function_infos" holds ${functionValues.length} numbers, not a multiple of its ${fields} fields`);
  const string = (index: number): string => {
    const text = strings[index];
    if (text === undefined) throw fail(`"trace_function_infos" names string ${index}, but "strings" holds ${strings.length}`);
    return text;
  };
  const functions: TraceFrame[] = [];
  for (let k = 0; k < functionValues.length; k += fields) {
    functions.push({
      functionName: string(functionValues[k + layout.functionNameColumn]!),
      scriptName: string(functionValues[k + layout.functionScriptNameColumn]!),
      scriptId: functionValues[k + layout.functionScriptIdColumn]!,
      line: Math.max(0, functionValues[k + layout.functionLineColumn]!),
      column: Math.max(0, functionValues[k + layout.functionColumnColumn]!),
    });
  }
  const rows: Array<{ id: number; fn: number; parent: number }> = [];
  let maxId = 0;
  const pending: Array<{ list: unknown; parent: number }> = [{ list: tree, parent: 0 }];
  while (pending.length > 0) {
    const { list, parent } = pending.pop()!;
    if (!Array.isArray(list) || list.length % layout.treeFieldCount !== 0) throw fail('"trace_tree" is not a list of rows of trace_node_fields');
    for (let k = 0; k < list.length; k += layout.treeFieldCount) {
      const id = list[k + layout.treeIdColumn];
      const fn = list[k + layout.treeFunctionColumn];
      if (!Number.isSafeInteger(id) || id <= 0 || !Number.isSafeInteger(fn) || fn < 0 || fn >= functions.length) {
        throw fail(`"trace_tree" row ${rows.length} has id ${String(id)} and function_info_index ${String(fn)} (of ${functions.length} functions)`);
      }
      rows.push({ id, fn, parent });
      if (id > maxId) maxId = id;
      pending.push({ list: list[k + layout.treeChildrenColumn], parent: id });
    }
  }
  if (maxId > rows.length * 4 + 1024) throw fail(`"trace_tree" ids reach ${maxId} for ${rows.length} rows`);
  const parentById = new Int32Array(maxId + 1).fill(-1);
  const functionById = new Int32Array(maxId + 1).fill(-1);
  for (const { id, fn, parent } of rows) {
    parentById[id] = parent;
    functionById[id] = fn;
  }
  return new AllocationTraceTable(parentById, functionById, functions);
}
