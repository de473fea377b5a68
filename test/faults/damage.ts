import { gzipSync } from 'node:zlib';
import { ErrorCode, type ErrorCodeValue } from '../../src/errors.js';
import { SnapshotBuilder } from '../helpers/snapshot-builder.js';

/**
 * A generator of damaged heap snapshots, made from one good snapshot's bytes (a builder graph in
 * the fast tests, a real Node snapshot in bench/faults.bench.ts). Each case says what a correct
 * reader does with it: fail with one of `codes` (a clean one-line error), or load (`ok`, for a
 * damage that leaves a valid snapshot, such as consistently permuted fields).
 */
export interface FaultCase {
  readonly name: string;
  readonly bytes: Buffer;
  /** Error codes a correct reader may fail with; empty: the file is valid and must load. */
  readonly codes: readonly ErrorCodeValue[];
  /** The damage may leave a valid snapshot of another graph: loading is fine too. */
  readonly mayLoad?: boolean;
}

export interface DamageOptions {
  /** How many truncation points, spread over the file (plus the edges of every section). */
  readonly truncations: number;
}

const SNAPSHOT_ERRORS = [ErrorCode.NOT_A_SNAPSHOT, ErrorCode.SNAPSHOT_INCONSISTENT, ErrorCode.SNAPSHOT_TRUNCATED] as const;
const INCONSISTENT = [ErrorCode.SNAPSHOT_INCONSISTENT] as const;

/** The parts of a V8-written snapshot text that the damages rewrite. */
interface Parts {
  readonly header: Record<string, unknown> & { meta: Record<string, unknown>; node_count: number };
  /** Text before the header value, after it up to the nodes array's '[', and so on. */
  readonly headerStart: number;
  readonly headerEnd: number;
  readonly nodes: Section;
  readonly edges: Section;
}

interface Section {
  /** Offsets of '[' + 1 and of the closing ']'. */
  readonly start: number;
  readonly end: number;
}

/** A small graph with every section V8 writes: locations, shared strings, each edge type. */
export function faultGraph(): SnapshotBuilder {
  const b = new SnapshotBuilder();
  const roots = b.addNode('synthetic', '(GC roots)');
  b.addEdge(b.root, roots, 'element', 1);
  let previous = roots;
  for (let k = 0; k < 40; k++) {
    const object = b.addNode('object', `Widget${k % 5}`, 32 + k, { detachedness: k % 3 });
    const closure = b.addNode('closure', 'onData', 48, { location: { scriptId: 3, line: k, column: 7 } });
    const text = b.addNode('string', `text ${k} é`, 20);
    b.addEdge(previous, object, 'element', k).addEdge(object, closure, 'property', 'handler');
    b.addEdge(closure, object, 'context', 'self').addEdge(object, text, 'internal', 'name').addEdge(object, roots, 'weak', 'w');
    previous = object;
  }
  return b;
}

export function damagedSnapshots(good: Buffer, options: DamageOptions): FaultCase[] {
  const text = good.toString('latin1');
  const parts = locate(text);
  const cases: FaultCase[] = [];
  const add = (name: string, bytes: Buffer | string, codes: readonly ErrorCodeValue[] = SNAPSHOT_ERRORS, mayLoad = false) =>
    cases.push({ name, bytes: typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes, codes, ...(mayLoad ? { mayLoad } : {}) });

  // Truncation: evenly spread cuts, and the bytes around every section boundary.
  const cuts = new Set<number>();
  for (let k = 0; k < options.truncations; k++) cuts.add(Math.floor((good.length * k) / options.truncations));
  for (const edge of [parts.headerStart, parts.headerEnd, parts.nodes.start, parts.nodes.end, parts.edges.start, parts.edges.end, good.length - 1]) {
    for (const delta of [-2, -1, 0, 1, 2]) if (edge + delta >= 0 && edge + delta < good.length) cuts.add(edge + delta);
  }
  for (const cut of [...cuts].sort((a, b) => a - b)) add(`truncated at byte ${cut}`, good.subarray(0, cut));
  add('truncated gzip', gzipSync(good).subarray(0, Math.floor(gzipSync(good).length / 2)));

  // Not a snapshot at all.
  for (const [name, foreign] of Object.entries(FOREIGN)) add(`foreign: ${name}`, foreign);
  add('gzip of something else', gzipSync(Buffer.from('{"name":"not-a-snapshot","version":"1.0.0"}')));

  // Bad meta.
  const withHeader = (name: string, edit: (header: Parts['header']) => void, codes: readonly ErrorCodeValue[] = SNAPSHOT_ERRORS, mayLoad = false) => {
    const header = structuredClone(parts.header);
    edit(header);
    add(name, text.slice(0, parts.headerStart) + JSON.stringify(header) + text.slice(parts.headerEnd), codes, mayLoad);
  };
  const meta = (header: Parts['header']) => header.meta as Record<string, unknown[]>;
  withHeader('meta missing', (h) => { delete (h as Partial<typeof h>).meta; });
  withHeader('node_fields missing', (h) => { delete h.meta['node_fields']; });
  withHeader('node_fields not a list', (h) => { h.meta['node_fields'] = 'type,name'; });
  withHeader('node_fields without id', (h) => { meta(h)['node_fields'] = meta(h)['node_fields']!.map((f) => (f === 'id' ? 'ident' : f)); });
  withHeader('edge_fields without to_node', (h) => { meta(h)['edge_fields'] = meta(h)['edge_fields']!.map((f) => (f === 'to_node' ? 'target' : f)); });
  withHeader('node_types empty', (h) => { h.meta['node_types'] = []; });
  withHeader('node type list not a list', (h) => { meta(h)['node_types']![0] = 'hidden'; });
  for (const [from, to] of [['closure', 'function'], ['object', 'obj'], ['native', 'embedder'], ['synthetic', 'root']]) {
    withHeader(`node type "${from}" renamed`, (h) => { renameType(meta(h)['node_types']!, from!, to!); }, INCONSISTENT);
  }
  withHeader('edge type "weak" renamed', (h) => { renameType(meta(h)['edge_types']!, 'weak', 'soft'); }, INCONSISTENT);
  for (const [name, value] of [['negative', -1], ['fractional', 1.5], ['2^53 + 2', 2 ** 53 + 2], ['a string', '12'], ['1e300', 1e300], ['zero', 0]] as const) {
    withHeader(`node_count ${name}`, (h) => { (h as Record<string, unknown>)['node_count'] = value; });
  }
  withHeader('node_count one too many', (h) => { h.node_count += 1; }, INCONSISTENT);
  withHeader('node_count one too few', (h) => { h.node_count -= 1; }, INCONSISTENT);
  withHeader('edge_count one too many', (h) => { (h as Record<string, number>)['edge_count']! += 1; }, INCONSISTENT);

  // Permuted fields: consistent (data rewritten to match) must load; meta alone permuted may
  // load as a different, still valid graph or fail, but never crash.
  add('node and edge fields consistently permuted', permuteFields(text, parts, [3, 0, 4, 1, 2], [2, 0, 1]), []);
  add('node fields consistently reversed', permuteFields(text, parts, 'reverse', undefined), []);
  withHeader('node_fields permuted, data not', (h) => { meta(h)['node_fields'] = rotate(meta(h)['node_fields']!); meta(h)['node_types'] = rotate(meta(h)['node_types']!); }, SNAPSHOT_ERRORS, true);

  // Numbers that no field can hold.
  const fields = parts.header.meta['node_fields'] as string[];
  const column = (name: string) => fields.indexOf(name);
  const nodeValue = (row: number, name: string, value: string, codes: readonly ErrorCodeValue[] = INCONSISTENT) =>
    add(`node ${row} ${name} = ${value.length > 24 ? `${value.length} digits` : value}`, replaceNumber(text, parts.nodes, row * fields.length + column(name), value), codes);
  for (const row of [0, 1]) {
    nodeValue(row, 'self_size', String(2 ** 53 + 2));
    nodeValue(row, 'self_size', '9'.repeat(400));
    nodeValue(row, 'id', String(2 ** 32));
    nodeValue(row, 'type', '9999');
    nodeValue(row, 'name', '4294967296');
    nodeValue(row, 'edge_count', '1'.padEnd(30, '0'));
    if (column('detachedness') >= 0) nodeValue(row, 'detachedness', '300');
    nodeValue(row, 'self_size', '-1', SNAPSHOT_ERRORS);
    nodeValue(row, 'self_size', '1.5', SNAPSHOT_ERRORS);
    nodeValue(row, 'self_size', '1e3', SNAPSHOT_ERRORS);
  }
  nodeValue(0, 'self_size', '9'.repeat(1024 * 1024));
  const edgeFields = parts.header.meta['edge_fields'] as string[];
  add('edge 0 to_node beyond the nodes', replaceNumber(text, parts.edges, edgeFields.indexOf('to_node'), String(parts.header.node_count * fields.length)), INCONSISTENT);
  add('edge 0 to_node not a row start', replaceNumber(text, parts.edges, edgeFields.indexOf('to_node'), '1'), INCONSISTENT);
  add('edge 0 name_or_index 2^40', replaceNumber(text, parts.edges, edgeFields.indexOf('name_or_index'), String(2 ** 40)), INCONSISTENT);
  return cases;
}

/** The snapshot with its node and edge fields consistently permuted (meta and data): the same graph. */
export function permutedSnapshot(good: Buffer): Buffer {
  const text = good.toString('latin1');
  return Buffer.from(permuteFields(text, locate(text), [3, 0, 4, 1, 2], [2, 0, 1]), 'latin1');
}

const FOREIGN: Readonly<Record<string, string>> = {
  'empty file': '',
  'whitespace only': ' \n\t \n',
  'JSON array': '[1,2,3]',
  'JSON null': 'null',
  'JSON string': '"snapshot"',
  'empty object': '{}',
  'package.json': '{"name":"app","version":"1.0.0","dependencies":{"yargs":"^18"}}',
  'a Chrome trace': '{"traceEvents":[{"name":"X","ph":"B","ts":1}],"metadata":{}}',
  'snapshot is a number': '{"snapshot":5,"nodes":[],"edges":[],"strings":[]}',
  'nodes is an object': '{"snapshot":{},"nodes":{},"edges":[],"strings":[]}',
  'binary garbage': '\u0000\u0001\u0002\u00ff\u00fe{"snapshot"',
  'a text file': 'hello, world\n',
  'nested without end': '{"snapshot":{"meta":{"node_fields":["type"',
  'duplicate keys': '{"snapshot":{},"snapshot":{}}',
};

function renameType(types: unknown[], from: string, to: string): void {
  const list = types.find((entry): entry is string[] => Array.isArray(entry))!;
  list[list.indexOf(from)] = to;
}

function rotate<T>(list: readonly T[]): T[] {
  return [...list.slice(1), list[0]!];
}

/** Offsets of the header value and of the nodes and edges arrays, in V8's key order. */
function locate(text: string): Parts {
  const headerStart = text.indexOf('{', 1);
  const nodesKey = text.indexOf('"nodes":[');
  const edgesKey = text.indexOf('"edges":[');
  if (!text.startsWith('{"snapshot":') || nodesKey < 0 || edgesKey < 0) throw new Error('damagedSnapshots needs a snapshot in V8\'s key order');
  const headerEnd = text.lastIndexOf('}', nodesKey) + 1;
  const nodes = { start: nodesKey + 9, end: text.indexOf(']', nodesKey) };
  const edges = { start: edgesKey + 9, end: text.indexOf(']', edgesKey) };
  return { header: JSON.parse(text.slice(headerStart, headerEnd)) as Parts['header'], headerStart, headerEnd, nodes, edges };
}

/** The text with the index-th number of `section` replaced by `value`. */
function replaceNumber(text: string, section: Section, index: number, value: string): string {
  const numbers = /\d+/g;
  numbers.lastIndex = section.start;
  let match: RegExpExecArray | null = null;
  for (let k = 0; k <= index; k++) match = numbers.exec(text);
  if (match === null || match.index >= section.end) throw new Error(`section has no number ${index}`);
  return text.slice(0, match.index) + value + text.slice(match.index + match[0].length);
}

/**
 * Rewrites the snapshot with its node fields in the order `nodeOrder` (new column k holds old
 * column nodeOrder[k]; 'reverse' reverses them) and likewise its edge fields, meta included.
 */
function permuteFields(text: string, parts: Parts, nodeOrder: readonly number[] | 'reverse', edgeOrder: readonly number[] | undefined): string {
  const header = structuredClone(parts.header);
  const meta = header.meta as Record<string, unknown[]>;
  const nodeFieldCount = meta['node_fields']!.length;
  const edgeFieldCount = meta['edge_fields']!.length;
  const nodes = nodeOrder === 'reverse' ? [...Array(nodeFieldCount).keys()].reverse() : completeOrder(nodeOrder, nodeFieldCount);
  const edges = completeOrder(edgeOrder ?? [], edgeFieldCount);
  meta['node_fields'] = nodes.map((k) => meta['node_fields']![k]);
  meta['node_types'] = nodes.map((k) => meta['node_types']![k]);
  meta['edge_fields'] = edges.map((k) => meta['edge_fields']![k]);
  meta['edge_types'] = edges.map((k) => meta['edge_types']![k]);
  const rows = (section: Section, order: number[]) => {
    const values = text.slice(section.start, section.end).split(',').map((v) => v.trim());
    const out: string[] = [];
    for (let at = 0; at < values.length; at += order.length) out.push(order.map((k) => values[at + k]).join(','));
    return out.join(',\n');
  };
  return text.slice(0, parts.headerStart) + JSON.stringify(header) + text.slice(parts.headerEnd, parts.nodes.start)
    + rows(parts.nodes, nodes) + text.slice(parts.nodes.end, parts.edges.start)
    + rows(parts.edges, edges) + text.slice(parts.edges.end);
}

/** `order` followed by the columns it leaves out, in their order. */
function completeOrder(order: readonly number[], count: number): number[] {
  const first = order.filter((k) => k < count);
  return [...first, ...[...Array(count).keys()].filter((k) => !first.includes(k))];
}
