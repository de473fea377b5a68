import type { HeapGraph, Snapshot } from '../snapshot/index.js';

/**
 * Small read-only queries on one snapshot's arrays, shared by the diff and the detectors.
 * They allocate nothing per edge; callers that need a name pay for one string lookup.
 */

/** The string an edge is named by, or its element index as text for element and hidden edges. */
export function edgeName(graph: HeapGraph, edge: number): string {
  const type = graph.edgeTypes[edge]!;
  if (type === graph.edgeType.element || type === graph.edgeType.hidden) return String(graph.edgeNames[edge]);
  return graph.strings[graph.edgeNames[edge]!] ?? '';
}

export function isIndexEdge(graph: HeapGraph, edge: number): boolean {
  const type = graph.edgeTypes[edge]!;
  return type === graph.edgeType.element || type === graph.edgeType.hidden;
}

/** The node's own name from the string table (class name for objects, function name for closures). */
export function nodeName(graph: HeapGraph, ordinal: number): string {
  return graph.strings[graph.nodeNames[ordinal]!] ?? '';
}

/**
 * Target of the first edge of `ordinal` with this type and name, or -1. Named edges only
 * (property, internal, context, shortcut, weak): element edges are looked up by index instead.
 */
export function findEdgeTarget(graph: HeapGraph, ordinal: number, edgeType: number, name: string): number {
  const nameIndex = stringIndex(graph, name);
  if (nameIndex < 0) return -1;
  const end = graph.firstEdge[ordinal + 1]!;
  for (let edge = graph.firstEdge[ordinal]!; edge < end; edge++) {
    if (graph.edgeTypes[edge] === edgeType && graph.edgeNames[edge] === nameIndex) return graph.edgeTargets[edge]!;
  }
  return -1;
}

const stringIndexCache = new WeakMap<HeapGraph, Map<string, number>>();

/**
 * Index of a string in the snapshot's string table, or -1. V8 writes each distinct string once,
 * so edge names can be compared as numbers; lookups are cached per graph (a handful of names).
 */
export function stringIndex(graph: HeapGraph, name: string): number {
  let cache = stringIndexCache.get(graph);
  if (!cache) stringIndexCache.set(graph, (cache = new Map()));
  let index = cache.get(name);
  if (index === undefined) {
    index = graph.strings.indexOf(name);
    cache.set(name, index);
  }
  return index;
}

/** Property edge target by name, or -1. */
export function propertyTarget(graph: HeapGraph, ordinal: number, name: string): number {
  return findEdgeTarget(graph, ordinal, graph.edgeType.property, name);
}

/** Internal edge target by name (V8's hidden fields: shared, context, table, elements, …), or -1. */
export function internalTarget(graph: HeapGraph, ordinal: number, name: string): number {
  return findEdgeTarget(graph, ordinal, graph.edgeType.internal, name);
}

/**
 * The name a user would give the node: constructor name for objects, function name for closures.
 * AbortSignal instances are built by Node with EventTarget's constructor and then re-prototyped, so
 * V8 names them "EventTarget"; the prototype's own name is the truer answer there.
 */
export function displayName(snapshot: Pick<Snapshot, 'graph' | 'className'>, ordinal: number): string {
  const graph = snapshot.graph;
  const type = graph.nodeTypes[ordinal];
  const name = nodeName(graph, ordinal);
  if (type === graph.nodeType.closure) return name === '' ? '(anonymous)' : name;
  if (type === graph.nodeType.object && name === 'EventTarget') {
    const proto = propertyTarget(graph, ordinal, '__proto__');
    if (proto >= 0 && graph.nodeTypes[proto] === graph.nodeType.object) {
      const protoName = nodeName(graph, proto);
      if (protoName !== '' && protoName !== 'Object') return protoName;
    }
  }
  if (type === graph.nodeType.object || type === graph.nodeType.native) return name === '' ? 'Object' : name;
  return snapshot.className(ordinal);
}
