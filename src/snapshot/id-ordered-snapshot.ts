import { className, computeClassIds, type ClassIds } from './class-key.js';
import { collectionSize, mapEntries, type CollectionSize, type MapEntry } from './collections.js';
import type { EdgeTypeIds, HeapGraph, NodeTypeIds } from './heap-graph.js';
import { ordinalOfId } from './id-order.js';

/** V8's edge types by the names the engine resolves (heap-graph.ts EdgeTypeIds); 'other' for any type the file adds. */
export type EdgeKind = keyof EdgeTypeIds | 'other';
/** V8's node types by the names the engine resolves (NodeTypeIds); 'other' for any type the file adds. */
export type NodeKind = keyof NodeTypeIds | 'other';

/**
 * A parsed snapshot matched by id: its graph, its id order, and the one query vocabulary every
 * layer above the engine reads the graph through (names, edges by name, display names, collection
 * sizes). What the diff needs of its earlier snapshots; Snapshot (snapshot.ts) adds the analysis
 * indexes. Lazily built indexes are private members here, made on first use and kept as long as
 * the snapshot: no module-level caches keyed by graph.
 * The queries allocate nothing per edge; callers that need a name pay for one string lookup.
 */
export class IdOrderedSnapshot {
  readonly graph: HeapGraph;
  /** Ordinals sorted by ascending V8 id (id-order.ts): ordinalById's index and the diff's merge order. */
  readonly idOrder: Uint32Array;
  #stringIndexByName: Map<string, number> | undefined;
  #classIds: ClassIds | undefined;
  #totalSize: number | undefined;
  #edgeKinds: EdgeKind[] | undefined;
  #nodeKinds: NodeKind[] | undefined;

  constructor(graph: HeapGraph, idOrder: Uint32Array) {
    this.graph = graph;
    this.idOrder = idOrder;
  }

  /** Ordinal of a V8 object id, or -1 when the id is not in this snapshot. */
  ordinalById(id: number): number {
    return ordinalOfId(this.graph.nodeIds, this.idOrder, id);
  }

  /** The class name DevTools shows for a node ("Object", "Map", "(closure) onError", "(string)", …). */
  className(ordinal: number): string {
    return className(this.graph, ordinal);
  }

  /** Every node's class as a small integer (class-key.ts), computed once. */
  get classIds(): ClassIds {
    return (this.#classIds ??= computeClassIds(this.graph));
  }

  /** Sum of all self sizes, in bytes. */
  get totalSize(): number {
    if (this.#totalSize === undefined) {
      let total = 0;
      const { selfSizes, nodeCount } = this.graph;
      for (let ordinal = 0; ordinal < nodeCount; ordinal++) total += selfSizes[ordinal]!;
      this.#totalSize = total;
    }
    return this.#totalSize;
  }

  /**
   * Index of a string in the snapshot's string table, or -1. V8 writes each distinct string once,
   * so edge names can be compared as numbers; lookups are kept (a handful of names per analysis).
   */
  stringIndex(name: string): number {
    const cache = (this.#stringIndexByName ??= new Map());
    let index = cache.get(name);
    if (index === undefined) {
      index = this.graph.strings.indexOf(name);
      cache.set(name, index);
    }
    return index;
  }

  /** The node's own name from the string table (class name for objects, function name for closures). */
  nodeName(ordinal: number): string {
    return this.graph.strings[this.graph.nodeNames[ordinal]!] ?? '';
  }

  nodeKind(ordinal: number): NodeKind {
    const kinds = (this.#nodeKinds ??= kindsByTypeId(this.graph.nodeTypeNames.length, this.graph.nodeType));
    return kinds[this.graph.nodeTypes[ordinal]!] ?? 'other';
  }

  edgeKind(edge: number): EdgeKind {
    const kinds = (this.#edgeKinds ??= kindsByTypeId(this.graph.edgeTypeNames.length, this.graph.edgeType));
    return kinds[this.graph.edgeTypes[edge]!] ?? 'other';
  }

  /** Element and hidden edges are named by an index, the others by a string. */
  isIndexEdge(edge: number): boolean {
    const type = this.graph.edgeTypes[edge]!;
    return type === this.graph.edgeType.element || type === this.graph.edgeType.hidden;
  }

  /** The string an edge is named by, or its index as text for element and hidden edges. */
  edgeName(edge: number): string {
    const graph = this.graph;
    if (this.isIndexEdge(edge)) return String(graph.edgeNames[edge]);
    return graph.strings[graph.edgeNames[edge]!] ?? '';
  }

  /**
   * Target of the first edge of `ordinal` with this type and name, or -1. Named edges only
   * (property, internal, context, shortcut, weak): element edges are looked up by index instead.
   */
  edgeTarget(ordinal: number, edgeType: number, name: string): number {
    const edge = this.edgeNamed(ordinal, edgeType, name);
    return edge < 0 ? -1 : this.graph.edgeTargets[edge]!;
  }

  /** The first edge of `ordinal` with this type and name, or -1. */
  edgeNamed(ordinal: number, edgeType: number, name: string): number {
    const nameIndex = this.stringIndex(name);
    if (nameIndex < 0) return -1;
    const graph = this.graph;
    const end = graph.firstEdge[ordinal + 1]!;
    for (let edge = graph.firstEdge[ordinal]!; edge < end; edge++) {
      if (graph.edgeTypes[edge] === edgeType && graph.edgeNames[edge] === nameIndex) return edge;
    }
    return -1;
  }

  /** Property by name: the target of `ordinal.name`, or -1. */
  property(ordinal: number, name: string): number {
    return this.edgeTarget(ordinal, this.graph.edgeType.property, name);
  }

  /** Internal edge by name (V8's hidden fields: shared, context, table, elements, …), or -1. */
  internal(ordinal: number, name: string): number {
    return this.edgeTarget(ordinal, this.graph.edgeType.internal, name);
  }

  /**
   * The name a user would give the node: constructor name for objects, function name for closures.
   * AbortSignal instances are built by Node with EventTarget's constructor and then re-prototyped,
   * so V8 names them "EventTarget"; the prototype's own name is the truer answer there.
   */
  displayName(ordinal: number): string {
    const graph = this.graph;
    const type = graph.nodeTypes[ordinal];
    const name = this.nodeName(ordinal);
    if (type === graph.nodeType.closure) return name === '' ? '(anonymous)' : name;
    if (type === graph.nodeType.object && name === 'EventTarget') {
      const proto = this.property(ordinal, '__proto__');
      if (proto >= 0 && graph.nodeTypes[proto] === graph.nodeType.object) {
        const protoName = this.nodeName(proto);
        if (protoName !== '' && protoName !== 'Object') return protoName;
      }
    }
    if (type === graph.nodeType.object || type === graph.nodeType.native) return name === '' ? 'Object' : name;
    return this.className(ordinal);
  }

  /**
   * Nodes that only carry their owner's data (plain objects, arrays, scopes, V8's hidden backing
   * stores): a path step or a holder name through them reads as the owner's.
   */
  isPassThrough(ordinal: number): boolean {
    const graph = this.graph;
    const type = graph.nodeTypes[ordinal];
    if (type === graph.nodeType.array || type === graph.nodeType.hidden) return true;
    if (type !== graph.nodeType.object) return false;
    const name = this.nodeName(ordinal);
    return name === 'Object' || name === 'Array' || name === 'system / Context' || name === '';
  }

  /** Map/Set entries, Array elements or dictionary properties (collections.ts); undefined for other nodes. */
  collectionSize(ordinal: number): CollectionSize | undefined {
    return collectionSize(this, ordinal);
  }

  /** The heap-object entries of a Map (collections.ts). */
  mapEntries(mapOrdinal: number): MapEntry[] {
    return mapEntries(this, mapOrdinal);
  }
}

/** Type id → kind, from the ids the layout resolved (-1 for a kind the file lacks). */
function kindsByTypeId<K extends string>(typeCount: number, ids: Readonly<Record<K, number>>): (K | 'other')[] {
  const kinds = new Array<K | 'other'>(typeCount).fill('other');
  for (const [kind, id] of Object.entries(ids) as [K, number][]) if (id >= 0) kinds[id] = kind;
  return kinds;
}
