import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { parseSnapshot, type HeapGraph } from '../../src/snapshot/index.js';
import { ErrorCode, LeakcheckError } from '../../src/errors.js';
import { SnapshotBuilder, DEFAULT_NODE_FIELDS } from '../helpers/snapshot-builder.js';
import { tmpDir } from '../helpers/tmp-dir.js';

/** Feeds `text` to the parser in chunks of exactly `chunkBytes` bytes. */
function parseText(text: string | Buffer, chunkBytes = 1 << 20): Promise<HeapGraph> {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunkBytes) chunks.push(bytes.subarray(at, at + chunkBytes));
  return parseSnapshot(Readable.from(chunks), { name: 'mem.heapsnapshot' });
}

async function parseError(text: string | Buffer, chunkBytes?: number): Promise<LeakcheckError> {
  try {
    await parseText(text, chunkBytes);
  } catch (error) {
    assert.ok(error instanceof LeakcheckError, `expected a LeakcheckError, got ${String(error)}`);
    return error;
  }
  assert.fail('the parser accepted bad input');
}

const tricky = ['plain', 'é-accent', '日本語', 'emoji 😀 pair', 'quote " and \\ backslash', 'line\nbreak\ttab', '\u0001ctl', 'lone \ud800 surrogate'];

function sampleGraph(): SnapshotBuilder {
  const b = new SnapshotBuilder();
  const roots = b.addNode('synthetic', '(GC roots)');
  const obj = b.addNode('object', 'Widget', 40, { detachedness: 1 });
  const fn = b.addNode('closure', 'onData', 32, { location: { scriptId: 7, line: 12, column: 3 } });
  const strs = tricky.map((s, at) => b.addNode('string', s, 16 + at));
  b.addEdge(b.root, roots, 'element', 1).addEdge(roots, obj, 'element', 0);
  b.addEdge(obj, fn, 'property', 'handler').addEdge(fn, obj, 'context', 'self').addEdge(obj, fn, 'weak', 'w');
  strs.forEach((s, at) => b.addEdge(obj, s, 'element', at));
  return b;
}

function assertSampleGraph(graph: HeapGraph, b: SnapshotBuilder): void {
  assert.equal(graph.nodeCount, b.nodeCount);
  assert.equal(graph.edgeCount, b.edgeCount);
  const name = (ordinal: number) => graph.strings[graph.nodeNames[ordinal]!];
  assert.equal(name(2), 'Widget');
  assert.equal(graph.nodeTypeNames[graph.nodeTypes[3]!], 'closure');
  assert.deepEqual(tricky.map((_, at) => name(4 + at)), tricky);
  assert.deepEqual([...graph.selfSizes.subarray(2, 5)], [40, 32, 16]);
  assert.equal(graph.detachedness[2], 1);
  assert.deepEqual([...graph.firstEdge], [0, 1, 2, 4 + tricky.length, 5 + tricky.length, ...tricky.map(() => 5 + tricky.length)]);
  assert.deepEqual([...graph.edgeTargets.subarray(0, 5)], [1, 2, 3, 3, 4]);
  assert.equal(graph.edgeTypeNames[graph.edgeTypes[graph.firstEdge[3]!]!], 'context');
  assert.equal(graph.strings[graph.edgeNames[2]!], 'handler');
  assert.equal(graph.locations.count, 1);
  assert.equal(graph.locations.locationRowByOrdinal[3], 0);
  assert.deepEqual([graph.locations.scriptIds[0], graph.locations.lines[0], graph.locations.columns[0]], [7, 12, 3]);
  assert.equal(graph.locations.locationRowByOrdinal[2], -1);
}

test('a built snapshot parses into the typed arrays it describes', async () => {
  const b = sampleGraph();
  assertSampleGraph(await parseText(b.toJson()), b);
});

test('every chunk size from 1 to 7 bytes gives the same graph (numbers, escapes, UTF-8 and surrogate pairs split anywhere)', async () => {
  const b = sampleGraph();
  const json = b.toJson();
  for (let size = 1; size <= 7; size++) assertSampleGraph(await parseText(json, size), b);
});

test('field order comes from meta: permuted node and edge fields and unknown extra fields parse the same', async () => {
  const b = sampleGraph();
  const nodeFields = ['self_size', 'extra_field', ...[...DEFAULT_NODE_FIELDS].reverse().filter((f) => f !== 'self_size')];
  const json = b.toJson({ nodeFields, edgeFields: ['to_node', 'name_or_index', 'type'] });
  assertSampleGraph(await parseText(json, 5), b);
});

test('top-level keys in any order, unknown keys and nested unknown values are skipped', async () => {
  const b = sampleGraph();
  const json = b.toJson({
    keyOrder: ['strings', 'future', 'edges', 'locations', 'nodes', 'samples', 'snapshot', 'trace_tree', 'more'],
    extra: { future: { a: [1, { b: '}]"' }], c: null }, more: 'x]}' },
  });
  assertSampleGraph(await parseText(json, 3), b);
});

test('whitespace between tokens is accepted', async () => {
  const b = sampleGraph();
  const spaced = b.toJson().replace(/,/g, ' ,\n ').replace(/:/g, ' : ').replace(/\[/g, '[ ').replace(/\]/g, ' ]');
  // The replacements also touch string contents; compare structure only.
  const graph = await parseText(`  ${spaced}\n`, 4);
  assert.equal(graph.nodeCount, b.nodeCount);
  assert.equal(graph.edgeCount, b.edgeCount);
});

test('a string with escapes whose opening quote ends a chunk is decoded', async () => {
  const b = new SnapshotBuilder();
  const s = b.addNode('string', 'a"b', 8);
  b.addEdge(b.root, s, 'element', 0);
  const json = b.toJson();
  const quote = json.indexOf('"a\\"b"');
  assert.ok(quote > 0);
  for (const cut of [quote, quote + 1, quote + 2, quote + 3]) {
    const bytes = Buffer.from(json);
    const graph = await parseSnapshot(Readable.from([bytes.subarray(0, cut), bytes.subarray(cut)]), { name: 'split' });
    assert.equal(graph.strings[graph.nodeNames[1]!], 'a"b', `cut at ${cut}`);
  }
});

test('a long string straddling many chunks is decoded whole', async () => {
  const b = new SnapshotBuilder();
  const long = 'ü😀\\"'.repeat(5000);
  const s = b.addNode('string', long, 8);
  b.addEdge(b.root, s, 'element', 0);
  const graph = await parseText(b.toJson(), 4093);
  assert.equal(graph.strings[graph.nodeNames[1]!], long);
});

test('parsing a file path reads it with the given chunk size', async (t) => {
  const dir = tmpDir(t);
  const b = sampleGraph();
  const path = b.writeTo(join(dir, 'g.heapsnapshot'));
  assertSampleGraph(await parseSnapshot(path, { chunkBytes: 2 }), b);
  const events: number[] = [];
  await parseSnapshot(path, { onProgress: (e) => events.push(e.done) });
  assert.equal(events.at(-1), Buffer.byteLength(b.toJson()));
});

test('an empty file is not a snapshot', async () => {
  const error = await parseError('');
  assert.equal(error.code, ErrorCode.NOT_A_SNAPSHOT);
  assert.match(error.oneLine(), /^mem\.heapsnapshot: .*empty.*\(at byte 0\)$/);
});

test('non-JSON and JSON that is not a snapshot are rejected as not a snapshot', async () => {
  for (const text of ['hello world', '[1,2,3]', '{"name":"pkg","version":"1.0.0"}', '   \n', '{"snapshot": 5, "nodes": []}', '{"snapshot":{"meta":{}}}', '{"a" 1}', '{,}']) {
    const error = await parseError(text);
    assert.equal(error.code, ErrorCode.NOT_A_SNAPSHOT, `${text}: ${error.message}`);
    assert.equal(typeof error.offset, 'number');
  }
});

test('a file cut anywhere is reported as truncated with the byte offset, never hangs', async () => {
  const json = sampleGraph().toJson();
  const bytes = Buffer.from(json);
  for (let cut = 1; cut < bytes.length; cut += 7) {
    const error = await parseError(bytes.subarray(0, cut), 5);
    assert.ok(
      error.code === ErrorCode.SNAPSHOT_TRUNCATED || (error.code === ErrorCode.NOT_A_SNAPSHOT && cut < 30),
      `cut at ${cut}: ${error.code} ${error.message}`,
    );
    if (error.code === ErrorCode.SNAPSHOT_TRUNCATED) assert.equal(error.offset, cut);
  }
});

test('counts that disagree with the header are inconsistent, with the offset of the problem', async () => {
  const b = sampleGraph();
  const cases = [
    b.toJson({ nodeCount: b.nodeCount + 1 }),
    b.toJson({ nodeCount: b.nodeCount - 1 }),
    b.toJson({ edgeCount: b.edgeCount + 1 }),
    b.toJson({ edgeCount: b.edgeCount - 1 }),
  ];
  for (const json of cases) {
    const error = await parseError(json, 64);
    assert.equal(error.code, ErrorCode.SNAPSHOT_INCONSISTENT, error.message);
    assert.ok(error.offset !== undefined && error.offset > 0 && error.offset <= json.length);
    assert.match(error.message, /node_count|edge_count|edge counts/);
  }
});

test('a to_node that is not a node offset, a type out of range and a name outside the strings are inconsistent', async () => {
  const json = sampleGraph().toJson();
  const badTarget = json.replace('"edges":[1,1,7', '"edges":[1,1,8');
  const badType = json.replace('"nodes":[9,', '"nodes":[99,');
  const badName = json.replace('"nodes":[9,0,', '"nodes":[9,100000,');
  for (const [text, pattern] of [[badTarget, /to_node 8/], [badType, /type 99/], [badName, /string 100000/]] as const) {
    assert.notEqual(text, json);
    const error = await parseError(text);
    assert.equal(error.code, ErrorCode.SNAPSHOT_INCONSISTENT);
    assert.match(error.message, pattern);
  }
});

test('a header missing a required field names it', async () => {
  const json = sampleGraph().toJson().replace('"self_size"', '"self_sighs"');
  const error = await parseError(json);
  assert.equal(error.code, ErrorCode.SNAPSHOT_INCONSISTENT);
  assert.match(error.message, /node_fields has no "self_size" field/);
});

test('a missing file is unreadable, named in the error', async (t) => {
  const path = join(tmpDir(t), 'nope.heapsnapshot');
  await assert.rejects(parseSnapshot(path), (error: LeakcheckError) => error.code === ErrorCode.FILE_UNREADABLE && error.oneLine().includes(path));
  writeFileSync(path, '');
  await assert.rejects(parseSnapshot(path), (error: LeakcheckError) => error.code === ErrorCode.NOT_A_SNAPSHOT);
});

test('older and Chrome-style layouts: no detachedness, no trace_node_id, no locations', async () => {
  const b = new SnapshotBuilder();
  const a = b.addNode('object', 'Window', 64, { detachedness: 2 });
  b.addEdge(b.root, a, 'shortcut', 'window');
  const json = b.toJson({
    nodeFields: ['type', 'name', 'id', 'self_size', 'edge_count'],
    keyOrder: ['snapshot', 'nodes', 'edges', 'strings'],
  }).replace(',"location_fields":["object_index","script_id","line","column"]', '');
  assert.doesNotMatch(json, /location_fields|detachedness/);
  const graph = await parseText(json, 3);
  assert.equal(graph.nodeCount, 2);
  assert.equal(graph.detachedness[1], 0);
  assert.equal(graph.selfSizes[1], 64);
  assert.equal(graph.locations.count, 0);
  assert.equal(graph.edgeTypeNames[graph.edgeTypes[0]!], 'shortcut');
});

test('a UTF-8 byte order mark is accepted, even split across chunks', async () => {
  const b = sampleGraph();
  const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(b.toJson())]);
  assertSampleGraph(await parseText(bytes, 1), b);
  assertSampleGraph(await parseText(bytes, 2), b);
});

test('a header claiming more nodes than the file can hold fails before allocating', async (t) => {
  const path = join(tmpDir(t), 'huge.heapsnapshot');
  writeFileSync(path, sampleGraph().toJson({ nodeCount: 4_000_000_000 }));
  await assert.rejects(parseSnapshot(path), (error: LeakcheckError) =>
    error.code === ErrorCode.SNAPSHOT_INCONSISTENT && /more than a \d+-byte file can hold/.test(error.message));
});

test('corrupted files either parse or fail with a LeakcheckError, never another exception (deterministic fuzz)', async () => {
  const original = Buffer.from(sampleGraph().toJson());
  let seed = 12345;
  const random = (below: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % below;
  };
  const alphabet = Buffer.from('0123456789,[]{}":\\ \nabcu-.e\u00e9');
  let failures = 0;
  for (let round = 0; round < 400; round++) {
    const bytes = Buffer.from(original);
    const edits = 1 + random(3);
    for (let edit = 0; edit < edits; edit++) bytes[random(bytes.length)] = alphabet[random(alphabet.length)]!;
    const cut = random(4) === 0 ? random(bytes.length) : bytes.length;
    try {
      await parseText(bytes.subarray(0, cut), 1 + random(64));
    } catch (error) {
      assert.ok(error instanceof LeakcheckError, `round ${round}: ${String(error)}`);
      assert.equal(typeof error.offset, 'number', `round ${round}: ${error.message}`);
      failures++;
    }
  }
  assert.ok(failures > 100, `only ${failures} of 400 corruptions were rejected`);
});
