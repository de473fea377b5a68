import { SinkError, type NumberSink } from './byte-scanner.js';
import type { SnapshotLayout } from './layout.js';

/**
 * Sinks that turn the numbers of V8's interleaved arrays into leakcheck's struct-of-arrays
 * typed arrays as they are parsed. Batches rarely start or end on a row boundary, so each sink
 * finishes a row begun in the previous batch value by value, then takes whole rows with the
 * column positions of the file's own layout, then keeps the tail for the next batch.
 */

/**
 * Cuts batches of numbers into whole rows of `fieldCount` values for `rows()`. Invariant: after
 * each accept(), `partial[0..partialCount)` holds the values of the one row the batch ended in
 * the middle of (partialCount < fieldCount), and every earlier value went to rows() exactly once.
 */
abstract class RowSink implements NumberSink {
  private readonly partial: Float64Array;
  /** Values of the unfinished row (a file that ends with one is inconsistent). */
  protected partialCount = 0;

  constructor(private readonly fieldCount: number) {
    this.partial = new Float64Array(fieldCount);
  }

  accept(values: Float64Array, count: number): void {
    const fieldCount = this.fieldCount;
    let k = 0;
    if (this.partialCount > 0) {
      while (this.partialCount < fieldCount && k < count) this.partial[this.partialCount++] = values[k++]!;
      if (this.partialCount < fieldCount) return;
      this.partialCount = 0;
      this.rows(this.partial, 0, fieldCount, k - 1);
    }
    const whole = k + Math.floor((count - k) / fieldCount) * fieldCount;
    this.rows(values, k, whole, -1);
    for (k = whole; k < count; k++) this.partial[this.partialCount++] = values[k]!;
  }

  /**
   * Stores the whole rows values[from..to). errorIndex: the batch index to blame for a bad value
   * (-1: the value's own index).
   */
  protected abstract rows(values: Float64Array, from: number, to: number, errorIndex: number): void;

  abstract finish(offset: number): void;
}

/**
 * Fills the per-node arrays from the `nodes` array, preallocated from the header's node_count.
 * Fields leakcheck does not keep (unknown ones) are skipped; trace_node_id is kept only when the
 * file holds allocation-tracker data (all zeros otherwise).
 */
export class NodeSink extends RowSink {
  readonly nodeTypes: Uint8Array;
  readonly nodeNames: Uint32Array;
  readonly nodeIds: Uint32Array;
  readonly selfSizes: Float64Array;
  readonly detachedness: Uint8Array;
  readonly firstEdge: Uint32Array;
  /** Empty unless the layout has trace data. */
  readonly traceNodeIds: Uint32Array;
  /** Largest string index used as a node name (checked against the string table at the end). */
  maxName = 0;
  /** Sum of the nodes' edge_count fields: must equal the header's edge_count. */
  edgeSum = 0;
  finishedAt = -1;
  private row = 0;
  constructor(private readonly layout: SnapshotLayout) {
    super(layout.nodeFieldCount);
    const n = layout.nodeCount;
    this.nodeTypes = new Uint8Array(n);
    this.nodeNames = new Uint32Array(n);
    this.nodeIds = new Uint32Array(n);
    this.selfSizes = new Float64Array(n);
    this.detachedness = new Uint8Array(n);
    this.firstEdge = new Uint32Array(n + 1);
    this.traceNodeIds = new Uint32Array(layout.traces ? n : 0);
  }

  protected override rows(values: Float64Array, from: number, to: number, errorIndex: number): void {
    const { nodeTypes, nodeNames, nodeIds, selfSizes, detachedness, firstEdge, layout } = this;
    const { nodeFieldCount, nodeCount, edgeCount, nodeTypeColumn, nodeNameColumn, nodeIdColumn, nodeSelfSizeColumn, nodeEdgeCountColumn, nodeDetachednessColumn } = layout;
    const typeCount = layout.nodeTypeNames.length;
    const traceNodeIds = this.traceNodeIds;
    const traceColumn = layout.traces ? layout.nodeTraceNodeIdColumn : -1;
    const blame = (k: number) => (errorIndex >= 0 ? errorIndex : k);
    let row = this.row;
    let maxName = this.maxName;
    let edgeSum = this.edgeSum;
    // Invariant: values[k .. k + nodeFieldCount) is node `row`; rows 0..row-1 are stored.
    for (let k = from; k < to; k += nodeFieldCount) {
      if (row >= nodeCount) throw new SinkError(blame(k), `has more nodes than the header's node_count ${nodeCount}`);
      const type = values[k + nodeTypeColumn]!;
      if (type >= typeCount) throw new SinkError(blame(k + nodeTypeColumn), `node ${row} has type ${type}, but meta.node_types lists ${typeCount}`);
      nodeTypes[row] = type;
      const name = values[k + nodeNameColumn]!;
      nodeNames[row] = name;
      if (name > maxName) maxName = name;
      const id = values[k + nodeIdColumn]!;
      if (id > 0xffffffff) throw new SinkError(blame(k + nodeIdColumn), `node ${row} has id ${id}, larger than V8's 32-bit ids`);
      nodeIds[row] = id;
      const selfSize = values[k + nodeSelfSizeColumn]!;
      // Digits beyond 2^53 are no longer exact (and a long enough run is Infinity): no size is that big.
      if (selfSize > Number.MAX_SAFE_INTEGER) throw new SinkError(blame(k + nodeSelfSizeColumn), `node ${row} has self_size ${selfSize}, beyond 2^53`);
      selfSizes[row] = selfSize;
      edgeSum += values[k + nodeEdgeCountColumn]!;
      if (edgeSum > edgeCount) throw new SinkError(blame(k + nodeEdgeCountColumn), `the nodes' edge counts add up to more than the header's edge_count ${edgeCount}`);
      firstEdge[row + 1] = edgeSum;
      if (nodeDetachednessColumn >= 0) {
        const state = values[k + nodeDetachednessColumn]!;
        if (state > 0xff) throw new SinkError(blame(k + nodeDetachednessColumn), `node ${row} has detachedness ${state}, more than the field holds (V8 writes 0-2)`);
        detachedness[row] = state;
      }
      if (traceColumn >= 0) traceNodeIds[row] = values[k + traceColumn]!;
      row++;
    }
    this.row = row;
    this.maxName = maxName;
    this.edgeSum = edgeSum;
  }

  override finish(offset: number): void {
    const { nodeCount, nodeFieldCount } = this.layout;
    if (this.row !== nodeCount || this.partialCount !== 0) {
      const have = this.row * nodeFieldCount + this.partialCount;
      throw new SinkError(-1, `holds ${have} numbers, but node_count ${nodeCount} × ${nodeFieldCount} fields needs ${nodeCount * nodeFieldCount}`);
    }
    this.finishedAt = offset;
  }
}

/** Fills the per-edge arrays from the `edges` array; to_node offsets become ordinals here. */
export class EdgeSink extends RowSink {
  readonly edgeTypes: Uint8Array;
  readonly edgeNames: Uint32Array;
  readonly edgeTargets: Uint32Array;
  /** Largest string index used as the name of a named (non element/hidden) edge. */
  maxName = 0;
  private row = 0;
  constructor(private readonly layout: SnapshotLayout) {
    super(layout.edgeFieldCount);
    const e = layout.edgeCount;
    this.edgeTypes = new Uint8Array(e);
    this.edgeNames = new Uint32Array(e);
    this.edgeTargets = new Uint32Array(e);
  }

  protected override rows(values: Float64Array, from: number, to: number, errorIndex: number): void {
    const { edgeTypes, edgeNames, edgeTargets, layout } = this;
    const { edgeFieldCount, nodeFieldCount, nodeCount, edgeCount, edgeTypeColumn, edgeNameColumn, edgeToNodeColumn } = layout;
    const typeCount = layout.edgeTypeNames.length;
    const elementType = layout.edgeType.element;
    const hiddenType = layout.edgeType.hidden;
    const blame = (k: number) => (errorIndex >= 0 ? errorIndex : k);
    let row = this.row;
    let maxName = this.maxName;
    // Invariant: values[k .. k + edgeFieldCount) is edge `row`; edges 0..row-1 are stored.
    for (let k = from; k < to; k += edgeFieldCount) {
      if (row >= edgeCount) throw new SinkError(blame(k), `has more edges than the header's edge_count ${edgeCount}`);
      const type = values[k + edgeTypeColumn]!;
      if (type >= typeCount) throw new SinkError(blame(k + edgeTypeColumn), `edge ${row} has type ${type}, but meta.edge_types lists ${typeCount}`);
      edgeTypes[row] = type;
      const name = values[k + edgeNameColumn]!;
      if (name > 0xffffffff) throw new SinkError(blame(k + edgeNameColumn), `edge ${row} has name_or_index ${name}, out of range`);
      edgeNames[row] = name;
      if (name > maxName && type !== elementType && type !== hiddenType) maxName = name;
      const toNode = values[k + edgeToNodeColumn]!;
      const ordinal = toNode / nodeFieldCount;
      if (ordinal >= nodeCount || ordinal !== ordinal >>> 0) {
        throw new SinkError(blame(k + edgeToNodeColumn), `edge ${row} points at to_node ${toNode}, which is not the start of one of the ${nodeCount} nodes`);
      }
      edgeTargets[row] = ordinal;
      row++;
    }
    this.row = row;
    this.maxName = maxName;
  }

  override finish(): void {
    const { edgeCount, edgeFieldCount } = this.layout;
    if (this.row !== edgeCount || this.partialCount !== 0) {
      const have = this.row * edgeFieldCount + this.partialCount;
      throw new SinkError(-1, `holds ${have} numbers, but edge_count ${edgeCount} × ${edgeFieldCount} fields needs ${edgeCount * edgeFieldCount}`);
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

/** Collects the `locations` rows (object_index becomes an ordinal), in file order. */
export class LocationSink implements NumberSink {
  readonly ordinals = new GrowableColumn();
  readonly scriptIds = new GrowableColumn();
  readonly lines = new GrowableColumn();
  readonly columns = new GrowableColumn();
  rows = 0;
  private column = 0;

  constructor(private readonly layout: SnapshotLayout) {}

  accept(values: Float64Array, count: number): void {
    const { locationFieldCount, locationObjectColumn, locationScriptColumn, locationLineColumn, locationColumnColumn, nodeFieldCount, nodeCount } = this.layout;
    if (locationFieldCount === 0) {
      if (count > 0) throw new SinkError(0, 'has entries but meta has no location_fields');
      return;
    }
    // Invariant: values[k] is field `column` of location row `rows` (few rows: no fast path).
    for (let k = 0; k < count; k++) {
      const value = values[k]!;
      const column = this.column;
      if (column === locationObjectColumn) {
        const ordinal = value / nodeFieldCount;
        if (ordinal >= nodeCount || ordinal !== ordinal >>> 0) {
          throw new SinkError(k, `location ${this.rows} names object_index ${value}, which is not the start of a node`);
        }
        this.ordinals.push(this.rows, ordinal);
      } else if (value > 0xffffffff) {
        throw new SinkError(k, `location ${this.rows} holds ${value}, more than a 32-bit script id, line or column`);
      } else if (column === locationScriptColumn) {
        this.scriptIds.push(this.rows, value);
      } else if (column === locationLineColumn) {
        this.lines.push(this.rows, value);
      } else if (column === locationColumnColumn) {
        this.columns.push(this.rows, value);
      }
      if (++this.column === locationFieldCount) {
        this.column = 0;
        this.rows++;
      }
    }
  }

  finish(): void {
    if (this.column !== 0) throw new SinkError(-1, `ends in the middle of a row of ${this.layout.locationFieldCount} fields`);
  }
}

/**
 * Keeps an array's numbers as they are when it comes before the `snapshot` header (V8 never
 * writes files that way, but JSON does not order keys); replayed into the real sink later.
 */
export class RawSink implements NumberSink {
  private values = new Float64Array(1 << 16);
  private count = 0;
  finishedAt = 0;

  accept(values: Float64Array, count: number): void {
    if (this.count + count > this.values.length) {
      let capacity = this.values.length * 2;
      while (capacity < this.count + count) capacity *= 2;
      const grown = new Float64Array(capacity);
      grown.set(this.values.subarray(0, this.count));
      this.values = grown;
    }
    this.values.set(values.subarray(0, count), this.count);
    this.count += count;
  }

  finish(offset: number): void {
    this.finishedAt = offset;
  }

  /** Every number accepted so far. */
  numbers(): Float64Array {
    return this.values.subarray(0, this.count);
  }

  replayInto(sink: NumberSink): void {
    sink.accept(this.values, this.count);
    sink.finish(this.finishedAt);
  }
}
