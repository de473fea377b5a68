import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadSnapshot, parseSnapshot } from '../../src/snapshot/index.js';
import { ErrorCode, LeakcheckError } from '../../src/errors.js';
import { SnapshotBuilder } from '../helpers/snapshot-builder.js';
import { writeLiveSnapshot } from '../helpers/live-snapshot.js';
import { tmpDir } from '../helpers/tmp-dir.js';

function sampleGraph(): SnapshotBuilder {
  const b = new SnapshotBuilder();
  const roots = b.addNode('synthetic', '(GC roots)');
  const holder = b.addNode('object', 'Holder', 40);
  b.addEdge(b.root, roots, 'element', 1).addEdge(roots, holder, 'element', 0);
  for (let i = 0; i < 50; i++) {
    const item = b.addNode('object', 'Item', 24);
    b.addEdge(holder, item, 'element', i).addEdge(item, b.addNode('string', `text ${i} é 😀`, 20), 'property', 'text');
  }
  return b;
}

async function loadError(path: string): Promise<LeakcheckError> {
  try {
    await parseSnapshot(path);
  } catch (error) {
    assert.ok(error instanceof LeakcheckError, `expected a LeakcheckError, got ${String(error)}`);
    return error;
  }
  assert.fail(`${path} was accepted`);
}

test('a gzipped live snapshot parses and loads to exactly the graph and indexes of the plain file', async (t) => {
  const plain = await writeLiveSnapshot(t, `
    globalThis.sessions = new Map();
    for (let i = 0; i < 2000; i++) globalThis.sessions.set('s' + i, { id: i, tags: ['a' + i], at: () => i });`);
  const gz = `${plain}.gz`;
  writeFileSync(gz, gzipSync(readFileSync(plain), { level: 6 }));
  const [a, b] = [await loadSnapshot(plain), await loadSnapshot(gz)];
  assert.equal(b.graph.source, gz);
  assert.deepEqual({ ...b.graph, source: plain }, a.graph);
  assert.deepEqual(b.retainedSizes, a.retainedSizes);
  assert.deepEqual(b.dominators, a.dominators);
  assert.deepEqual(b.distances, a.distances);
  assert.equal(b.totalSize, a.totalSize);
});

test('gzip is told by its magic bytes, not the file name', async (t) => {
  const dir = tmpDir(t);
  const b = sampleGraph();
  const plainNamedGz = b.writeTo(join(dir, 'plain.heapsnapshot.gz'));
  const gzNamedPlain = join(dir, 'packed.heapsnapshot');
  writeFileSync(gzNamedPlain, gzipSync(readFileSync(plainNamedGz)));
  const [x, y] = [await parseSnapshot(plainNamedGz), await parseSnapshot(gzNamedPlain)];
  assert.equal(x.nodeCount, 103);
  assert.deepEqual({ ...y, source: plainNamedGz }, x);
});

test('a concatenated (multi-member) gzip file is one stream', async (t) => {
  const dir = tmpDir(t);
  const plain = sampleGraph().writeTo(join(dir, 'a.heapsnapshot'));
  const bytes = readFileSync(plain);
  const half = Math.floor(bytes.length / 2);
  const gz = join(dir, 'a.heapsnapshot.gz');
  writeFileSync(gz, Buffer.concat([gzipSync(bytes.subarray(0, half)), gzipSync(bytes.subarray(half))]));
  assert.deepEqual({ ...(await parseSnapshot(gz)), source: plain }, await parseSnapshot(plain));
});

test('a truncated gzip file is ERR_SNAPSHOT_TRUNCATED at the file\'s end, whatever the cut', async (t) => {
  const dir = tmpDir(t);
  const packed = gzipSync(readFileSync(sampleGraph().writeTo(join(dir, 'a.heapsnapshot'))));
  for (const cut of [2, 3, 10, Math.floor(packed.length / 2), packed.length - 8, packed.length - 1]) {
    const path = join(dir, `cut-${cut}.heapsnapshot.gz`);
    writeFileSync(path, packed.subarray(0, cut));
    const error = await loadError(path);
    assert.equal(error.code, ErrorCode.SNAPSHOT_TRUNCATED, `cut at ${cut}: ${error.message}`);
    assert.equal(error.file, path);
    assert.equal(error.offset, cut);
    assert.match(error.oneLine(), /: the gzip stream ends before its end marker: the file is truncated \(at byte \d+\)$/);
  }
});

test('corrupt gzip data (bad deflate block, bad CRC, bad length) is ERR_NOT_A_SNAPSHOT naming the file', async (t) => {
  const dir = tmpDir(t);
  const packed = gzipSync(readFileSync(sampleGraph().writeTo(join(dir, 'a.heapsnapshot'))));
  const damage: Array<[string, (bytes: Buffer) => void]> = [
    ['block', (bytes) => { for (let i = 12; i < 40; i++) bytes[i] ^= 0x5a; }],
    ['crc', (bytes) => { bytes[bytes.length - 6]! ^= 0xff; }],
    ['length', (bytes) => { bytes[bytes.length - 2]! ^= 0xff; }],
    ['method', (bytes) => { bytes[2] = 0x07; }],
  ];
  for (const [name, corrupt] of damage) {
    const bytes = Buffer.from(packed);
    corrupt(bytes);
    const path = join(dir, `${name}.heapsnapshot.gz`);
    writeFileSync(path, bytes);
    const error = await loadError(path);
    assert.ok(error.code === ErrorCode.NOT_A_SNAPSHOT || error.code === ErrorCode.SNAPSHOT_INCONSISTENT, `${name}: ${error.code} ${error.message}`);
    assert.equal(error.file, path);
    if (error.code === ErrorCode.NOT_A_SNAPSHOT && error.offset === undefined) assert.match(error.message, /^the gzip data is corrupt \(zlib: .+\)$/);
  }
});

test('a well-formed gzip of a bad snapshot reports the parser\'s error at a decompressed byte offset', async (t) => {
  const dir = tmpDir(t);
  const json = Buffer.from(sampleGraph().toJson());
  const cutAt = Math.floor(json.length * 0.6);
  const truncated = join(dir, 'cut-inside.heapsnapshot.gz');
  writeFileSync(truncated, gzipSync(json.subarray(0, cutAt)));
  const error = await loadError(truncated);
  assert.equal(error.code, ErrorCode.SNAPSHOT_TRUNCATED);
  assert.equal(error.offset, cutAt);
  assert.equal(error.offsetIn, 'decompressed');
  assert.match(error.oneLine(), new RegExp(`^${truncated.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*truncated \\(at decompressed byte ${cutAt}\\)$`));

  const text = join(dir, 'text.gz');
  writeFileSync(text, gzipSync('hello'));
  const notSnapshot = await loadError(text);
  assert.equal(notSnapshot.code, ErrorCode.NOT_A_SNAPSHOT);
  assert.match(notSnapshot.oneLine(), /\(at decompressed byte 0\)$/);

  const empty = join(dir, 'empty.gz');
  writeFileSync(empty, gzipSync(Buffer.alloc(0)));
  assert.equal((await loadError(empty)).code, ErrorCode.NOT_A_SNAPSHOT);
});

test('a file that is just the gzip magic, or one byte of it, is refused without a hang', async (t) => {
  const dir = tmpDir(t);
  const magic = join(dir, 'magic.gz');
  writeFileSync(magic, Buffer.from([0x1f, 0x8b]));
  assert.equal((await loadError(magic)).code, ErrorCode.SNAPSHOT_TRUNCATED);
  const oneByte = join(dir, 'one.gz');
  writeFileSync(oneByte, Buffer.from([0x1f]));
  assert.equal((await loadError(oneByte)).code, ErrorCode.NOT_A_SNAPSHOT);
  const copy = join(dir, 'copy.heapsnapshot');
  copyFileSync(magic, copy);
  assert.equal((await loadError(copy)).file, copy);
});
