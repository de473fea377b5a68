import { ErrorCode, LeakcheckError } from '../errors.js';
import type { NumberSink } from './byte-scanner.js';
import type { SnapshotLayout } from './layout.js';

/**
 * Sinks that turn the numbers of V8's interleaved arrays into leakcheck's struct-of-arrays
 * typed arrays as they are parsed: one column role per field of the file's own layout.
 */

// Role 0: a field leakcheck does not keep (trace_node_id, unknown fields).
const TYPE = 1;
const NAME = 2;
const ID = 3;
const SELF_SIZE = 4;
const EDGE_COUNT = 5;
const DETACHEDNESS = 6;
const TO_NODE = 7;
const OBJECT_INDEX = 8;
const SCRIPT_ID = 9;
const LINE = 10;
const COLUMN = 11;

function roles(fieldCount: number, assignments: [column: number, role: number][]): Uint8Array {
  const result = new Uint8Array(fieldCount);
  for (const [column, role] of assignments) if (column >= 0) result[column] = role;
  return result;
}

function inconsistent(source: string, offset: number, message: string): LeakcheckError {
  return new LeakcheckError(ErrorCode.SNAPSHOT_INCONSISTENT, message, { file: source, offset });
}

/** Fills the per-node arrays from the `nodes` array, preallocated from the header's node_count. */
export class NodeSink implements NumberSink {
  readonly nodeTypes: Uint8Array;
  readonly nodeNames: Uint32Array;
  readonly nodeIds: Uint32Array;
  readonly selfSizes: Float64Array;
  readonly detachedness: Uint8Array;
  readonly firstEdge: Uint32Array;
  /** Largest string index used as a node name (checked against the string table at the end). */
  maxName = 0;
  /** Sum of the nodes' edge_count fields: must equal the header's edge_count. */
  edgeSum = 0;
  finishedAt = -1;
  private row = 0;
  private column = 0;
  private readonly roles: Uint8Array;

  constructor(private readonly layout: SnapshotLayout, private readonly source: string) {
    const n = layout.nodeCount;
    this.nodeTypes = new Uint8Array(n);
    this.nodeNames = new Uint32Array(n);
    this.nodeIds = new Uint32Array(n);
    this.selfSizes = new Float64Array(n);
    this.detachedness = new Uint8Array(n);
    this.firstEdge = new Uint32Array(n + 1);
    this.roles = roles(layout.nodeFieldCount, [
      [layout.nodeTypeColumn, TYPE], [layout.nodeNameColumn, NAME], [layout.nodeIdColumn, ID],
      [layout.nodeSelfSizeColumn, SELF_SIZE], [layout.nodeEdgeCountColumn, EDGE_COUNT],
      [layout.nodeDetachednessColumn, DETACHEDNESS],
    ]);
  }

  accept(values: Float64Array, ends: Float64Array, count: number): void {
    const { nodeTypes, nodeNames, nodeIds, selfSizes, detachedness, firstEdge, roles } = this;
    const fieldCount = this.layout.nodeFieldCount;
    const nodeCount = this.layout.nodeCount;
    const edgeCount = this.layout.edgeCount;
    const typeCount = this.layout.nodeTypeNames.length;
    let row = this.row;
    let column = this.column;
    let maxName = this.maxName;
    let edgeSum = this.edgeSum;
    // Invariant: values[k] is field `column` of node `row`; rows 0..row-1 are complete.
    for (let k = 0; k < count; k++) {
      const value = values[k]!;
      if (row >= nodeCount) throw inconsistent(this.source, ends[k]!, `"nodes" has more entries than the header's node_count ${nodeCount}`);
      switch (roles[column]) {
        case TYPE:
          if (value >= typeCount) throw inconsistent(this.source, ends[k]!, `node ${row} has type ${value}, but meta.node_types lists ${typeCount}`);
          nodeTypes[row] = value;
          break;
        case NAME:
          nodeNames[row] = value;
          if (value > maxName) maxName = value;
          break;
        case ID:
          if (value > 0xffffffff) throw inconsistent(this.source, ends[k]!, `node ${row} has id ${value}, larger than V8's 32-bit ids`);
          nodeIds[row] = value;
          break;
        case SELF_SIZE:
          selfSizes[row] = value;
          break;
        case EDGE_COUNT:
          edgeSum += value;
          if (edgeSum > edgeCount) throw inconsistent(this.source, ends[k]!, `the nodes' edge counts add up to more than the header's edge_count ${edgeCount}`);
          firstEdge[row + 1] = edgeSum;
          break;
        case DETACHEDNESS:
          detachedness[row] = value > 255 ? 0 : value;
          break;
      }
      if (++column === fieldCount) {
        column = 0;
        row++;
      }
    }
    this.row = row;
    this.column = column;
    this.maxName = maxName;
    this.edgeSum = edgeSum;
  }

  finish(offset: number): void {
    const { nodeCount, nodeFieldCount } = this.layout;
    if (this.row !== nodeCount || this.column !== 0) {
      const have = this.row * nodeFieldCount + this.column;
      throw inconsistent(this.source, offset, `"nodes" holds ${have} numbers, but node_count ${nodeCount} × ${nodeFieldCount} fields needs ${nodeCount * nodeFieldCount}`);
    }
    this.finishedAt = offset;
  }
}

/** Fills the per-edge arrays from the `edges` array; to_node offsets become ordinals here. */
export class EdgeSink implements NumberSink {
  readonly edgeTypes: Uint8Array;
  readonly edgeNames: Uint32Array;
  readonly edgeTargets: Uint32Array;
  /** Largest string index used as the name of a named (non element/hidden) edge. */
  maxName = 0;
  private row = 0;
  private column = 0;
  private readonly roles: Uint8Array;

  constructor(private readonly layout: SnapshotLayout, private readonly source: string) {
    const e = layout.edgeCount;
    this.edgeTypes = new Uint8Array(e);
    this.edgeNames = new Uint32Array(e);
    this.edgeTargets = new Uint32Array(e);
    this.roles = roles(layout.edgeFieldCount, [
      [layout.edgeTypeColumn, TYPE], [layout.edgeNameColumn, NAME], [layout.edgeToNodeColumn, TO_NODE],
    ]);
  }

  accept(values: Float64Array, ends: Float64Array, count: number): void {
    const { edgeTypes, edgeNames, edgeTargets, roles } = this;
    const fieldCount = this.layout.edgeFieldCount;
    const nodeFieldCount = this.layout.nodeFieldCount;
    const nodeCount = this.layout.nodeCount;
    const edgeCount = this.layout.edgeCount;
    const typeCount = this.layout.edgeTypeNames.length;
    const elementType = this.layout.edgeType.element;
    const hiddenType = this.layout.edgeType.hidden;
    let row = this.row;
    let column = this.column;
    let maxName = this.maxName;
    // Invariant: values[k] is field `column` of edge `row`; edges 0..row-1 are complete.
    for (let k = 0; k < count; k++) {
      const value = values[k]!;
      if (row >= edgeCount) throw inconsistent(this.source, ends[k]!, `"edges" has more entries than the header's edge_count ${edgeCount}`);
      switch (roles[column]) {
        case TYPE:
          if (value >= typeCount) throw inconsistent(this.source, ends[k]!, `edge ${row} has type ${value}, but meta.edge_types lists ${typeCount}`);
          edgeTypes[row] = value;
          break;
        case NAME:
          if (value > 0xffffffff) throw inconsistent(this.source, ends[k]!, `edge ${row} has name_or_index ${value}, out of range`);
          edgeNames[row] = value;
          break;
        case TO_NODE: {
          const ordinal = value / nodeFieldCount;
          if (ordinal >= nodeCount || ordinal !== ordinal >>> 0) {
            throw inconsistent(this.source, ends[k]!, `edge ${row} points at to_node ${value}, which is not the start of one of the ${nodeCount} nodes`);
          }
          edgeTargets[row] = ordinal;
          break;
        }
      }
      if (++column === fieldCount) {
        const type = edgeTypes[row]!;
        if (type !== elementType && type !== hiddenType && edgeNames[row]! > maxName) maxName = edgeNames[row]!;
        column = 0;
        row++;
      }
    }
    this.row = row;
    this.column = column;
    this.maxName = maxName;
  }

  finish(offset: number): void {
    const { edgeCount, edgeFieldCount } = this.layout;
    if (this.row !== edgeCount || this.column !== 0) {
      const have = this.row * edgeFieldCount + this.column;
      throw inconsistent(this.source, offset, `"edges" holds ${have} numbers, but edge_count ${edgeCount} × ${edgeFieldCount} fields needs ${edgeCount * edgeFieldCount}`);
    }
  }
}

/** Growable Uint32Array column (the number of locations is not in the header). */
class GrowableColumn {
  values = new Uint32Array(1024);
  push(row: number, value: number): void {
    if (row === this.values.length) {
      const grown = new Uint32Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[row] = value;
  }
}

/** Collects the `locations` rows (object_index becomes an ordinal). */
export class LocationSink implements NumberSink {
  readonly ordinals = new GrowableColumn();
  readonly scriptIds = new GrowableColumn();
  readonly lines = new GrowableColumn();
  readonly columns = new GrowableColumn();
  rows = 0;
  private column = 0;
  private readonly roles: Uint8Array;

  constructor(private readonly layout: SnapshotLayout, private readonly source: string) {
    this.roles = roles(layout.locationFieldCount, [
      [layout.locationObjectColumn, OBJECT_INDEX], [layout.locationScriptColumn, SCRIPT_ID],
      [layout.locationLineColumn, LINE], [layout.locationColumnColumn, COLUMN],
    ]);
  }

  accept(values: Float64Array, ends: Float64Array, count: number): void {
    const fieldCount = this.layout.locationFieldCount;
    if (fieldCount === 0) {
      if (count > 0) throw inconsistent(this.source, ends[0]!, '"locations" has entries but meta has no location_fields');
      return;
    }
    const { nodeFieldCount, nodeCount } = this.layout;
    // Invariant: values[k] is field `column` of location row `rows`.
    for (let k = 0; k < count; k++) {
      const value = values[k]!;
      switch (this.roles[this.column]) {
        case OBJECT_INDEX: {
          const ordinal = value / nodeFieldCount;
          if (ordinal >= nodeCount || ordinal !== ordinal >>> 0) {
            throw inconsistent(this.source, ends[k]!, `location ${this.rows} names object_index ${value}, which is not the start of a node`);
          }
          this.ordinals.push(this.rows, ordinal);
          break;
        }
        case SCRIPT_ID:
          this.scriptIds.push(this.rows, value);
          break;
        case LINE:
          this.lines.push(this.rows, value);
          break;
        case COLUMN:
          this.columns.push(this.rows, value);
          break;
      }
      if (++this.column === fieldCount) {
        this.column = 0;
        this.rows++;
      }
    }
  }

  finish(offset: number): void {
    if (this.column !== 0) throw inconsistent(this.source, offset, `"locations" ends in the middle of a row of ${this.layout.locationFieldCount} fields`);
  }
}

/**
 * Keeps an array's numbers as they are when it comes before the `snapshot` header (V8 never
 * writes files that way, but JSON does not order keys); replayed into the real sink later.
 */
export class RawSink implements NumberSink {
  private values = new Float64Array(1 << 16);
  private ends = new Float64Array(1 << 16);
  private count = 0;
  private finishedAt = 0;

  accept(values: Float64Array, ends: Float64Array, count: number): void {
    if (this.count + count > this.values.length) {
      let capacity = this.values.length * 2;
      while (capacity < this.count + count) capacity *= 2;
      const grownValues = new Float64Array(capacity);
      grownValues.set(this.values.subarray(0, this.count));
      const grownEnds = new Float64Array(capacity);
      grownEnds.set(this.ends.subarray(0, this.count));
      this.values = grownValues;
      this.ends = grownEnds;
    }
    this.values.set(values.subarray(0, count), this.count);
    this.ends.set(ends.subarray(0, count), this.count);
    this.count += count;
  }

  finish(offset: number): void {
    this.finishedAt = offset;
  }

  replayInto(sink: NumberSink): void {
    sink.accept(this.values, this.ends, this.count);
    sink.finish(this.finishedAt);
  }
}
