import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { formatBytes } from '../../src/report/units.js';
import { cliPath } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp-dir.js';
import { SnapshotBuilder } from '../helpers/snapshot-builder.js';
import { writeLiveSnapshot } from '../helpers/live-snapshot.js';

function runCli(args: string[]) {
  return spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
}

function builtSnapshot(): SnapshotBuilder {
  const b = new SnapshotBuilder();
  const roots = b.addNode('synthetic', '(GC roots)');
  const cache = b.addNode('object', 'Cache', 40);
  const map = b.addNode('object', 'Map', 32);
  b.addEdge(b.root, roots, 'element', 1).addEdge(roots, cache, 'element', 0).addEdge(cache, map, 'property', 'entries');
  for (let i = 0; i < 30; i++) {
    const entry = b.addNode('object', 'Entry', 24);
    const text = b.addNode('string', `value ${i}`, 20);
    b.addEdge(map, entry, 'element', i).addEdge(entry, text, 'property', 'text');
  }
  return b;
}

test('inspect --json prints one object with counts, sizes and classes sorted by retained size', (t) => {
  const path = builtSnapshot().writeTo(join(tmpDir(t), 'built.heapsnapshot'));
  const result = runCli(['inspect', path, '--json', '--top', '3']);
  assert.equal(result.status, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.equal(report.nodeCount, 64);
  assert.equal(report.edgeCount, 63);
  assert.equal(report.totalSize, 40 + 32 + 30 * 24 + 30 * 20);
  assert.deepEqual(report.classes, [
    { name: 'Cache', count: 1, shallowSize: 40, retainedSize: 1392 },
    { name: 'Map', count: 1, shallowSize: 32, retainedSize: 1352 },
    { name: 'Entry', count: 30, shallowSize: 720, retainedSize: 1320 },
  ]);
  assert.equal(report.classCount, 4);
  assert.equal(report.topDominators[0].className, 'Cache');
  assert.equal(result.stderr, '');
});

test('inspect prints a human summary, and --node @id the retainer path', (t) => {
  const b = builtSnapshot();
  const path = b.writeTo(join(tmpDir(t), 'built.heapsnapshot'));
  const summary = runCli(['inspect', path]);
  assert.equal(summary.status, 0, summary.stderr);
  assert.match(summary.stdout, /Top 4 classes by retained size/);
  assert.match(summary.stdout, /1\.36 KiB .* Cache/);
  const report = JSON.parse(runCli(['inspect', path, '--json']).stdout);
  const entryId = 9; // ids are odd and increasing: root 1, (GC roots) 3, Cache 5, Map 7, first Entry 9
  const explained = runCli(['inspect', path, '--node', `@${entryId}`]);
  assert.equal(explained.status, 0, explained.stderr);
  assert.match(explained.stdout, /Node Entry @9/);
  assert.match(explained.stdout, /Cache @5 → entries\n\s+Map @7 → \[0\]\n\s+Entry @9/);
  assert.equal(report.node, undefined);
  const json = JSON.parse(runCli(['inspect', path, '--json', '--node', '9']).stdout);
  assert.deepEqual(json.node.retainerPath.map((step: { edge: string; edgeType: string }) => [step.edge, step.edgeType]),
    [['1', 'element'], ['0', 'element'], ['entries', 'property'], ['0', 'element']]);
  assert.equal(json.node.retainedSize, 44);
});

test('inspect works on a snapshot written by a real node', async (t) => {
  const path = await writeLiveSnapshot(t, 'class Order { constructor(i) { this.i = i; } }\nglobalThis.orders = Array.from({ length: 2000 }, (_, i) => new Order(i));');
  const result = runCli(['inspect', path, '--json', '--top', '500']);
  assert.equal(result.status, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  const order = report.classes.find((row: { name: string }) => row.name === 'Order');
  assert.equal(order.count, 2000);
  assert.ok(order.retainedSize >= order.shallowSize);
  assert.ok(report.nodeCount > 10_000 && report.edgeCount > report.nodeCount);
});

test('bad input exits 2 with one line naming the file and the problem, no stack', (t) => {
  const dir = tmpDir(t);
  const good = builtSnapshot().toJson();
  const cases: [string, string | Buffer, RegExp][] = [
    ['empty.heapsnapshot', '', /empty/],
    ['text.heapsnapshot', 'this is not json', /not a JSON object/],
    ['package.json', '{"name":"x","version":"1.0.0"}', /no "snapshot" header/],
    ['truncated.heapsnapshot', good.slice(0, Math.floor(good.length / 2)), /truncated/],
    ['counts.heapsnapshot', builtSnapshot().toJson({ nodeCount: 65 }), /node_count 65/],
    ['edges.heapsnapshot', builtSnapshot().toJson({ edgeCount: 62 }), /edge_count 62/],
  ];
  for (const [name, content, problem] of cases) {
    const path = join(dir, name);
    writeFileSync(path, content);
    const result = runCli(['inspect', path]);
    assert.equal(result.status, 2, `${name}: ${result.stderr}`);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.ok(lines[0]!.includes(path), lines[0]);
    assert.match(lines[0]!, problem);
    assert.match(lines[0]!, /at byte \d+/);
    assert.doesNotMatch(result.stderr, /at .*\.js:\d+/);
    assert.equal(result.stdout, '');
  }
  const missing = runCli(['inspect', join(dir, 'missing.heapsnapshot')]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /missing\.heapsnapshot: cannot read the snapshot: no such file/);
  const folder = join(dir, 'folder.heapsnapshot');
  mkdirSync(folder);
  const directory = runCli(['inspect', folder]);
  assert.equal(directory.status, 2);
  assert.match(directory.stderr, /folder\.heapsnapshot: cannot read the snapshot: is a directory/);
});

test('--node with an unknown id or a malformed one is a usage error', (t) => {
  const path = builtSnapshot().writeTo(join(tmpDir(t), 'built.heapsnapshot'));
  const unknown = runCli(['inspect', path, '--node', '@4']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /no node @4/);
  const malformed = runCli(['inspect', path, '--node', 'abc']);
  assert.equal(malformed.status, 2);
  assert.match(malformed.stderr, /--node wants a V8 object id/);
  assert.ok(readFileSync(path).length > 0);
});

// Issue 11, item 8: inspect drills down like DevTools' Containment and Dominators views.
test('--top lists the largest objects below the roots by property path, and --node pages through what one keeps', async (t) => {
  const count = 50_000;
  const path = await writeLiveSnapshot(t, `class Item { constructor(i) { this.i = i; this.label = 'item-' + i; } }
globalThis.keep = Array.from({ length: ${count} }, (_, i) => new Item(i));
globalThis.keep[7].label = 'x'.repeat(5000);`);
  const report = JSON.parse(runCli(['inspect', path, '--json', '--top', '5']).stdout);
  const [largest] = report.largestObjects;
  assert.equal(largest.pathRoot.className, 'global');
  assert.deepEqual(largest.path, [{ edge: 'keep', edgeType: 'property' }]);
  assert.equal(largest.className, 'Array');
  assert.deepEqual(largest.size, { kind: 'Array', size: count });
  assert.ok(largest.retainedSize > count * 32, String(largest.retainedSize));
  const text = runCli(['inspect', path, '--top', '5']);
  assert.match(text.stdout, new RegExp(`Largest objects below the roots, by property path\\n.*\\n\\s+[\\d.]+ (KiB|MiB)\\s+\\S+ \\S+\\s+global\\.keep: Array, 50,000 elements @${largest.id}\\n`));

  const first = JSON.parse(runCli(['inspect', path, '--json', '--top', '0', '--node', `@${largest.id}`, '--limit', '10']).stdout).node;
  // Every Item, the elements store and the Items' own hidden-class map are freed with the array.
  assert.ok(first.dominated.total > count && first.dominated.total <= count + 3, String(first.dominated.total));
  assert.equal(first.dominated.items.length, 10);
  const sizes = first.dominated.items.map((item: { retainedSize: number }) => item.retainedSize);
  assert.deepEqual(sizes, [...sizes].sort((a, b) => b - a));
  const big = first.dominated.items.find((item: { className: string }) => item.className === 'Item');
  assert.deepEqual(big.edge, { edge: '7', edgeType: 'element' }, 'the Item with the long label is the largest Item');
  assert.equal(first.edges.total >= count, true);
  const edgeSizes = first.edges.items.map((row: { to: { retainedSize: number } }) => row.to.retainedSize);
  assert.deepEqual(edgeSizes, [...edgeSizes].sort((a, b) => b - a));

  const second = JSON.parse(runCli(['inspect', path, '--json', '--top', '0', '--node', `@${largest.id}`, '--limit', '5', '--offset', '5', '--depth', '2']).stdout).node;
  assert.equal(second.dominated.offset, 5);
  assert.deepEqual(second.dominated.items.map((item: { id: number }) => item.id), first.dominated.items.slice(5).map((item: { id: number }) => item.id));
  const nested = second.dominated.items.find((item: { className: string }) => item.className === 'Item');
  assert.ok(nested.dominated.items.some((child: { edge: { edge: string } | null }) => child.edge?.edge === 'label'), JSON.stringify(nested.dominated));
  const drilled = runCli(['inspect', path, '--top', '0', '--node', `@${largest.id}`, '--limit', '3']);
  assert.match(drilled.stdout, /Dominated objects \(freed with it\): 1–3 of 50,00\d, largest first/);
  assert.match(drilled.stdout, /Outgoing edges: 1–3 of [\d,]+, largest target first/);
  assert.match(drilled.stdout, /\[7\] → Item @\d+/);
});

test('--node lists dominated children and edges of a built graph exactly; bad paging flags are usage errors', (t) => {
  const path = builtSnapshot().writeTo(join(tmpDir(t), 'built.heapsnapshot'));
  const json = JSON.parse(runCli(['inspect', path, '--json', '--node', '@5', '--depth', '2', '--limit', '2']).stdout).node;
  assert.deepEqual(json.edges, { total: 1, offset: 0, items: [{ edge: 'entries', edgeType: 'property', to: { id: 7, className: 'Map', shallowSize: 32, retainedSize: 1352, distance: 3 } }] });
  assert.equal(json.dominated.total, 1);
  const [map] = json.dominated.items;
  assert.deepEqual(map.edge, { edge: 'entries', edgeType: 'property' });
  assert.equal(map.dominated.total, 30);
  assert.deepEqual(map.dominated.items.map((entry: { retainedSize: number; edge: { edge: string } }) => [entry.retainedSize, entry.edge.edge]), [[44, '0'], [44, '1']]);
  assert.equal(map.dominated.items[0].dominated, undefined, 'depth 2 stops below the second level');
  for (const args of [['--depth', '0'], ['--limit', '-1'], ['--offset', 'x'], ['--depth', '99']]) {
    const result = runCli(['inspect', path, '--node', '@5', ...args]);
    assert.equal(result.status, 2, args.join(' '));
    assert.match(result.stderr, new RegExp(`--${args[0]!.slice(2)}`));
  }
});

test('inspect of a pipe says it read a stream and how many bytes (a file says its size on disk)', (t) => {
  const path = builtSnapshot().writeTo(join(tmpDir(t), 'built.heapsnapshot'));
  const bytes = readFileSync(path);
  const gzipped = gzipSync(bytes);
  const run = (args: string[], input?: Buffer) => spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000, ...(input ? { input } : {}) });

  const piped = run(['inspect', '-'], bytes);
  assert.equal(piped.status, 0, piped.stderr);
  assert.equal(piped.stdout.split('\n')[0], `/dev/stdin  read from a stream, ${formatBytes(bytes.length)}`);
  const pipedJson = JSON.parse(run(['inspect', '-', '--json'], gzipped).stdout);
  assert.deepEqual([pipedJson.readFrom, pipedJson.fileBytes], ['stream', gzipped.length], 'a gzip stream counts the compressed bytes read');

  const file = run(['inspect', path]);
  assert.equal(file.stdout.split('\n')[0], `${path}  ${formatBytes(bytes.length)} on disk`);
  const fileJson = JSON.parse(run(['inspect', path, '--json']).stdout);
  assert.deepEqual([fileJson.readFrom, fileJson.fileBytes], ['file', bytes.length]);
});
