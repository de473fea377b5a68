import type { HeapGraph } from './heap-graph.js';

/**
 * Class names as the DevTools Summary view groups nodes: objects and native objects by their
 * constructor name (HTML-ish native names "<div id=…>" cut to "<div>"), closures as
 * "(closure) name" ("(closure)" when anonymous), and every other node by its type in
 * parentheses: "(string)", "(array)", "(compiled code)", "(system)" for V8's hidden objects, …
 */
export function className(graph: HeapGraph, ordinal: number): string {
  const type = graph.nodeTypes[ordinal]!;
  const t = graph.nodeType;
  if (type === t.object || type === t.native) return objectClassName(graph.strings[graph.nodeNames[ordinal]!] ?? '');
  if (type === t.closure) return closureClassName(graph.strings[graph.nodeNames[ordinal]!] ?? '');
  return typeClassName(graph, type);
}

function objectClassName(name: string): string {
  if (name === '') return '(anonymous object)';
  const tagStart = name.startsWith('<') ? 0 : name.startsWith('Detached <') ? 9 : -1;
  if (tagStart >= 0) {
    const space = name.indexOf(' ', tagStart + 1);
    if (space !== -1) return `${name.slice(0, space)}>`;
  }
  return name;
}

function closureClassName(name: string): string {
  return name === '' ? '(closure)' : `(closure) ${name}`;
}

function typeClassName(graph: HeapGraph, type: number): string {
  const t = graph.nodeType;
  if (type === t.hidden) return '(system)';
  if (type === t.code) return '(compiled code)';
  return `(${graph.nodeTypeNames[type] ?? 'unknown'})`;
}

export interface ClassIds {
  /** By ordinal: index into `names`. */
  readonly classIds: Uint32Array;
  /** Distinct class names, in order of first appearance. */
  readonly names: readonly string[];
}

/**
 * The class of every node as a small integer, without building a string per node: names are
 * computed once per distinct (type, name string) and cached by string index.
 */
export function computeClassIds(graph: HeapGraph): ClassIds {
  const { nodeCount, nodeTypes, nodeNames, strings } = graph;
  const t = graph.nodeType;
  const classIds = new Uint32Array(nodeCount);
  const names: string[] = [];
  const idByName = new Map<string, number>();
  const intern = (name: string): number => {
    let id = idByName.get(name);
    if (id === undefined) {
      id = names.length;
      names.push(name);
      idByName.set(name, id);
    }
    return id;
  };
  // Caches by string index (-1: not computed yet): objects and closures use different names.
  const objectIdByString = new Int32Array(strings.length).fill(-1);
  const closureIdByString = new Int32Array(strings.length).fill(-1);
  const idByType = new Int32Array(graph.nodeTypeNames.length).fill(-1);
  // Invariant: classIds[0..ordinal) are final.
  for (let ordinal = 0; ordinal < nodeCount; ordinal++) {
    const type = nodeTypes[ordinal]!;
    let id: number;
    if (type === t.object || type === t.native) {
      const name = nodeNames[ordinal]!;
      id = objectIdByString[name]!;
      if (id < 0) id = objectIdByString[name] = intern(objectClassName(strings[name]!));
    } else if (type === t.closure) {
      const name = nodeNames[ordinal]!;
      id = closureIdByString[name]!;
      if (id < 0) id = closureIdByString[name] = intern(closureClassName(strings[name]!));
    } else {
      id = idByType[type]!;
      if (id < 0) id = idByType[type] = intern(typeClassName(graph, type));
    }
    classIds[ordinal] = id;
  }
  return { classIds, names };
}
