import type { CollectionSize } from './collections.js';
import { UNREACHABLE } from './distances.js';
import type { EdgeKind } from './id-ordered-snapshot.js';
import type { Snapshot } from './snapshot.js';

/**
 * The drill-down of `leakcheck inspect`: the largest objects below the roots by property path, and
 * for one node its dominated children (DevTools' Dominators view) and its outgoing edges
 * (Containment view), largest first, paged. Data only; src/report words it.
 */

export interface InspectNode {
  readonly id: number;
  readonly className: string;
  readonly shallowSize: number;
  readonly retainedSize: number;
  /** Edges from the GC roots; null when unreachable. */
  readonly distance: number | null;
}

export interface InspectEdge {
  /** The edge's name (property, variable, internal field) or element index as text. */
  readonly edge: string;
  readonly edgeType: EdgeKind;
}

/** A large object and how a user would reach it: `global.keep`. */
export interface InspectObject extends InspectNode {
  /**
   * Where the property path starts: the first object below V8's synthetic roots on the shortest
   * retainer path (the global object, a module's scope); null when nothing reaches the object.
   */
  readonly pathRoot: InspectNode | null;
  /** The edges from `pathRoot` to the object. */
  readonly path: readonly InspectEdge[];
  /** Entries, elements or dictionary properties when the object is a collection. */
  readonly size: CollectionSize | null;
}

/** One window of a list sorted largest first: `items` are positions offset … offset + items.length - 1 of `total`. */
export interface InspectPage<T> {
  readonly total: number;
  readonly offset: number;
  readonly items: readonly T[];
}

/** A child in the dominator tree: freed with its parent. */
export interface InspectTreeNode extends InspectNode {
  /** The parent's own edge to it, when the parent refers to it directly (often it does not: it keeps it through others). */
  readonly edge: InspectEdge | null;
  /** Its own dominated children, when `depth` asked for another level. */
  readonly dominated?: InspectPage<InspectTreeNode>;
}

/** An outgoing edge and the node it reaches. */
export interface InspectEdgeRow extends InspectEdge {
  readonly to: InspectNode;
}

export interface PageOptions {
  /** Items per list (default 20). */
  readonly limit: number;
  /** Items skipped at the top level (default 0). */
  readonly offset: number;
  /** Levels of the dominator tree shown below the node (default 1); deeper levels show their first `limit` children. */
  readonly depth: number;
}

export const DEFAULT_PAGE: PageOptions = { limit: 20, offset: 0, depth: 1 };

export function describeNode(snapshot: Snapshot, ordinal: number): InspectNode {
  const distance = snapshot.distances[ordinal]!;
  return {
    id: snapshot.graph.nodeIds[ordinal]!,
    className: snapshot.className(ordinal),
    shallowSize: snapshot.graph.selfSizes[ordinal]!,
    retainedSize: snapshot.retainedSizes[ordinal]!,
    distance: distance === UNREACHABLE ? null : distance,
  };
}

/**
 * The `top` largest objects by retained size that a user would call objects: starting at the
 * root, containers the user did not write (V8's synthetic roots and hidden nodes, the global
 * object, scopes) are opened and their dominated children take their place, largest first,
 * so a 532 MiB `global` becomes `global.keep: Array, 1.5M elements`.
 */
export function largestObjects(snapshot: Snapshot, top: number): InspectObject[] {
  const { firstDominated, dominated } = snapshot.dominated;
  const sizes = snapshot.retainedSizes;
  const heap = new BinaryHeap((a, b) => sizes[a]! > sizes[b]! || (sizes[a] === sizes[b] && a < b));
  const root = 0;
  for (let slot = firstDominated[root]!; slot < firstDominated[root + 1]!; slot++) heap.push(dominated[slot]!);
  const out: InspectObject[] = [];
  while (out.length < top && heap.size > 0) {
    const ordinal = heap.pop();
    if (!isContainer(snapshot, ordinal)) {
      out.push(describeObject(snapshot, ordinal));
      continue;
    }
    for (let slot = firstDominated[ordinal]!; slot < firstDominated[ordinal + 1]!; slot++) heap.push(dominated[slot]!);
  }
  return out;
}

/** Containers a user did not write: opened by largestObjects rather than listed. */
function isContainer(snapshot: Snapshot, ordinal: number): boolean {
  const graph = snapshot.graph;
  const type = graph.nodeTypes[ordinal];
  if (type === graph.nodeType.synthetic || type === graph.nodeType.hidden) return true;
  if (type !== graph.nodeType.object) return false;
  const name = snapshot.nodeName(ordinal);
  return name === 'global' || name.startsWith('Window') || name === 'system / Context' || name === 'system / NativeContext';
}

function describeObject(snapshot: Snapshot, ordinal: number): InspectObject {
  const graph = snapshot.graph;
  const retainerPath = snapshot.retainerPath(ordinal);
  const steps = retainerPath?.steps ?? [];
  // The path starts at the first object that is not one of V8's synthetic roots.
  const start = steps.findIndex((step) => graph.nodeTypes[step.from] !== graph.nodeType.synthetic);
  const kept = start < 0 ? [] : steps.slice(start);
  return {
    ...describeNode(snapshot, ordinal),
    pathRoot: kept.length > 0 ? describeNode(snapshot, kept[0]!.from) : null,
    path: kept.map((step) => ({ edge: snapshot.edgeName(step.edge), edgeType: snapshot.edgeKind(step.edge) })),
    size: snapshot.collectionSize(ordinal) ?? null,
  };
}

/** The node's children in the dominator tree, largest retained size first, paged, `depth` levels deep. */
export function dominatedChildren(snapshot: Snapshot, ordinal: number, page: PageOptions): InspectPage<InspectTreeNode> {
  const { firstDominated, dominated } = snapshot.dominated;
  const children = dominated.subarray(firstDominated[ordinal]!, firstDominated[ordinal + 1]!);
  const retainedSizes = snapshot.retainedSizes;
  const window = largestWindow(children, (child) => retainedSizes[child]!, page.offset, page.limit);
  const edgeTo = directEdges(snapshot, ordinal, window);
  const deeper: PageOptions = { ...page, offset: 0, depth: page.depth - 1 };
  return {
    total: children.length,
    offset: page.offset,
    items: window.map((child) => {
      const edge = edgeTo.get(child);
      return {
        ...describeNode(snapshot, child),
        edge: edge === undefined ? null : { edge: snapshot.edgeName(edge), edgeType: snapshot.edgeKind(edge) },
        ...(deeper.depth > 0 ? { dominated: dominatedChildren(snapshot, child, deeper) } : {}),
      };
    }),
  };
}

/** The node's outgoing edges, by the retained size of what they reach, largest first, paged. */
export function outgoingEdges(snapshot: Snapshot, ordinal: number, page: PageOptions): InspectPage<InspectEdgeRow> {
  const graph = snapshot.graph;
  const first = graph.firstEdge[ordinal]!;
  const edges = new Uint32Array(graph.firstEdge[ordinal + 1]! - first);
  for (let k = 0; k < edges.length; k++) edges[k] = first + k;
  const retainedSizes = snapshot.retainedSizes;
  const window = largestWindow(edges, (edge) => retainedSizes[graph.edgeTargets[edge]!]!, page.offset, page.limit);
  return {
    total: edges.length,
    offset: page.offset,
    items: window.map((edge) => ({ edge: snapshot.edgeName(edge), edgeType: snapshot.edgeKind(edge), to: describeNode(snapshot, graph.edgeTargets[edge]!) })),
  };
}

/** Edges from `owner` to any of `targets` (the first such edge for each). */
function directEdges(snapshot: Snapshot, owner: number, targets: readonly number[]): Map<number, number> {
  const graph = snapshot.graph;
  const wanted = new Set(targets);
  const found = new Map<number, number>();
  const end = graph.firstEdge[owner + 1]!;
  for (let edge = graph.firstEdge[owner]!; edge < end && found.size < wanted.size; edge++) {
    const target = graph.edgeTargets[edge]!;
    if (wanted.has(target) && !found.has(target)) found.set(target, edge);
  }
  return found;
}

/**
 * Items offset … offset + limit - 1 of `items` sorted by descending size (ties: lower value first),
 * without sorting all of them: a bounded heap keeps the offset + limit largest (an Array of 1.5 M
 * elements has 1.5 M children to page through).
 */
function largestWindow(items: ArrayLike<number>, sizeOf: (item: number) => number, offset: number, limit: number): number[] {
  const keep = offset + limit;
  if (keep === 0 || items.length <= offset) return [];
  const smaller = (a: number, b: number): boolean => sizeOf(a) < sizeOf(b) || (sizeOf(a) === sizeOf(b) && a > b);
  // The largest `keep` seen so far, smallest on top.
  const heap = new BinaryHeap(smaller);
  for (let k = 0; k < items.length; k++) {
    const item = items[k]!;
    if (heap.size < keep) heap.push(item);
    else if (smaller(heap.peek(), item)) heap.replaceTop(item);
  }
  const window: number[] = [];
  while (heap.size > 0) window.push(heap.pop());
  return window.reverse().slice(offset);
}

/** A binary heap of numbers; `before(a, b)` puts a nearer the top. */
class BinaryHeap {
  readonly #before: (a: number, b: number) => boolean;
  readonly #items: number[] = [];

  constructor(before: (a: number, b: number) => boolean) {
    this.#before = before;
  }

  get size(): number {
    return this.#items.length;
  }

  peek(): number {
    return this.#items[0]!;
  }

  push(item: number): void {
    const items = this.#items;
    items.push(item);
    for (let at = items.length - 1; at > 0;) {
      const parent = (at - 1) >> 1;
      if (!this.#before(items[at]!, items[parent]!)) break;
      [items[at], items[parent]] = [items[parent]!, items[at]!];
      at = parent;
    }
  }

  pop(): number {
    const items = this.#items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) this.replaceTop(last);
    return top;
  }

  replaceTop(item: number): void {
    const items = this.#items;
    items[0] = item;
    for (let at = 0; ;) {
      const left = 2 * at + 1;
      const right = left + 1;
      let first = at;
      if (left < items.length && this.#before(items[left]!, items[first]!)) first = left;
      if (right < items.length && this.#before(items[right]!, items[first]!)) first = right;
      if (first === at) return;
      [items[at], items[first]] = [items[first]!, items[at]!];
      at = first;
    }
  }
}
