import type { Readable } from 'node:stream';

/** One class (constructor name, or a V8 category such as "(string)") before and after. Bytes are shallow sizes. */
export interface HeapDiffClass {
  className: string;
  beforeCount: number;
  afterCount: number;
  /** Objects in the after snapshot whose id the before snapshot did not have (allocated since, and alive). */
  addedCount: number;
  /** Objects of the before snapshot gone from the after one (collected). */
  removedCount: number;
  beforeBytes: number;
  afterBytes: number;
  /** afterBytes − beforeBytes. */
  changeBytes: number;
}

export interface HeapDiffSide {
  timeMs: number;
  nodeCount: number;
  sizeBytes: number;
}

/** memwatch's HeapDiff result, as facts: classes by id-matched objects, largest change first. */
export interface HeapDiffResult {
  before: HeapDiffSide;
  after: HeapDiffSide;
  change: { sizeBytes: number; allocatedNodes: number; freedNodes: number };
  /** Every class whose objects changed (added, removed or resized), by |changeBytes| then added count. */
  classes: HeapDiffClass[];
}

/** A snapshot reduced to what the diff needs: objects in id order with their class and size. */
interface Census {
  timeMs: number;
  /** Node ids, ascending. */
  ids: Uint32Array;
  /** By position in `ids`: index into `names`. */
  classOf: Uint32Array;
  sizes: Float64Array;
  names: readonly string[];
}

/**
 * Before/after by class, like memwatch's HeapDiff, on leakcheck's snapshot engine. Both snapshots
 * come from one isolate's heap profiler, whose object ids are stable for the life of the process,
 * so an object is matched by id: "added" and "removed" are real objects, not count differences.
 * The engine (src/snapshot) is loaded on first use only, so a process that never diffs never
 * loads it. The before snapshot is kept as 16 bytes per object until end().
 */
export class HeapDiff {
  readonly #takeSnapshot: () => Readable;
  readonly #before: Promise<Census>;
  #ended = false;

  constructor(takeSnapshot: () => Readable) {
    this.#takeSnapshot = takeSnapshot;
    this.#before = takeCensus(takeSnapshot());
    // end() reports a failure; until then an unobserved rejection must not crash the process.
    this.#before.catch(() => undefined);
  }

  async end(): Promise<HeapDiffResult> {
    if (this.#ended) throw new Error('heapDiff().end() was already called');
    this.#ended = true;
    const after = takeCensus(this.#takeSnapshot());
    return compareCensus(await this.#before, await after);
  }
}

async function takeCensus(snapshot: Readable): Promise<Census> {
  const timeMs = Date.now();
  const { parseSnapshot, computeClassIds, sortOrdinalsById } = await import('../snapshot/index.js');
  const graph = await parseSnapshot(snapshot, { name: `heap snapshot of pid ${process.pid}` });
  const { classIds, names } = computeClassIds(graph);
  // V8's synthetic nodes (the root, the "(GC roots)" groups) are bookkeeping, not objects.
  const synthetic = graph.nodeType.synthetic;
  const order = sortOrdinalsById(graph.nodeIds);
  let count = 0;
  for (const ordinal of order) if (graph.nodeTypes[ordinal] !== synthetic) count++;
  const ids = new Uint32Array(count);
  const classOf = new Uint32Array(count);
  const sizes = new Float64Array(count);
  let k = 0;
  for (const ordinal of order) {
    if (graph.nodeTypes[ordinal] === synthetic) continue;
    ids[k] = graph.nodeIds[ordinal]!;
    classOf[k] = classIds[ordinal]!;
    sizes[k] = graph.selfSizes[ordinal]!;
    k++;
  }
  return { timeMs, ids, classOf, sizes, names };
}

/** Merge-walks the two id-sorted censuses: an id in both with the same class is a survivor; otherwise removed and/or added. */
function compareCensus(before: Census, after: Census): HeapDiffResult {
  const rows = new Map<string, HeapDiffClass>();
  const row = (className: string): HeapDiffClass => {
    let r = rows.get(className);
    if (!r) {
      r = { className, beforeCount: 0, afterCount: 0, addedCount: 0, removedCount: 0, beforeBytes: 0, afterBytes: 0, changeBytes: 0 };
      rows.set(className, r);
    }
    return r;
  };
  const beforeRows = before.names.map(row);
  const afterRows = after.names.map(row);
  let i = 0;
  let j = 0;
  let allocatedNodes = 0;
  let freedNodes = 0;
  while (i < before.ids.length || j < after.ids.length) {
    const beforeId = i < before.ids.length ? before.ids[i]! : Number.POSITIVE_INFINITY;
    const afterId = j < after.ids.length ? after.ids[j]! : Number.POSITIVE_INFINITY;
    const inBefore = beforeId <= afterId;
    const inAfter = afterId <= beforeId;
    // V8 keeps ids by address and drops dead entries only when it takes a snapshot, so a new object
    // allocated where a dead one was can inherit its id (2 of 1000 in one run of the clean fixture's test).
    // An id whose class changed is two objects; rows are shared per class name, so === compares names.
    const survivor = inBefore && inAfter && beforeRows[before.classOf[i]!] === afterRows[after.classOf[j]!];
    if (inBefore) {
      const r = beforeRows[before.classOf[i]!]!;
      r.beforeCount++;
      r.beforeBytes += before.sizes[i]!;
      if (!survivor) {
        r.removedCount++;
        freedNodes++;
      }
      i++;
    }
    if (inAfter) {
      const r = afterRows[after.classOf[j]!]!;
      r.afterCount++;
      r.afterBytes += after.sizes[j]!;
      if (!survivor) {
        r.addedCount++;
        allocatedNodes++;
      }
      j++;
    }
  }
  const classes: HeapDiffClass[] = [];
  for (const r of rows.values()) {
    r.changeBytes = r.afterBytes - r.beforeBytes;
    if (r.addedCount > 0 || r.removedCount > 0 || r.changeBytes !== 0) classes.push(r);
  }
  classes.sort((a, b) => Math.abs(b.changeBytes) - Math.abs(a.changeBytes) || b.addedCount - a.addedCount || (a.className < b.className ? -1 : 1));
  const side = (c: Census): HeapDiffSide => ({ timeMs: c.timeMs, nodeCount: c.ids.length, sizeBytes: c.sizes.reduce((a, b) => a + b, 0) });
  const beforeSide = side(before);
  const afterSide = side(after);
  return { before: beforeSide, after: afterSide, change: { sizeBytes: afterSide.sizeBytes - beforeSide.sizeBytes, allocatedNodes, freedNodes }, classes };
}
