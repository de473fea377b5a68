import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { loadSnapshot, summarizeClasses } from '../../src/snapshot/index.js';
import { SnapshotBuilder } from '../helpers/snapshot-builder.js';

test('a class retains what its members retain, counting members under other members once', async () => {
  // root → a:Foo(10) → b:Foo(20) → c:Foo(30)   (a chain: only a's retained size counts)
  // root → d:Bar(5) → e:Foo(7)                  (e is under another class: counts for Foo)
  const b = new SnapshotBuilder();
  const a = b.addNode('object', 'Foo', 10);
  const chain1 = b.addNode('object', 'Foo', 20);
  const chain2 = b.addNode('object', 'Foo', 30);
  const d = b.addNode('object', 'Bar', 5);
  const e = b.addNode('object', 'Foo', 7);
  b.addEdge(b.root, a, 'element', 0).addEdge(a, chain1, 'property', 'next').addEdge(chain1, chain2, 'property', 'next');
  b.addEdge(b.root, d, 'element', 1).addEdge(d, e, 'property', 'child');
  const snapshot = await loadSnapshot(Readable.from([Buffer.from(b.toJson())]), { name: 'classes' });
  const totals = new Map(summarizeClasses(snapshot).map((row) => [row.name, row]));
  assert.deepEqual(totals.get('Foo'), { name: 'Foo', count: 4, shallowSize: 67, retainedSize: 10 + 20 + 30 + 7 });
  assert.deepEqual(totals.get('Bar'), { name: 'Bar', count: 1, shallowSize: 5, retainedSize: 12 });
});
