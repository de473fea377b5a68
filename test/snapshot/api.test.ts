import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cliPath } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp-dir.js';
import { SnapshotBuilder } from '../helpers/snapshot-builder.js';

// Through the package name, as a user imports it (self-reference via package.json "exports").
const packageName = 'leakcheck';

test("loadSnapshot and inspectSnapshot are exported from 'leakcheck', and inspectSnapshot is what --json prints", async (t) => {
  const api = await import(packageName) as typeof import('../../src/index.js');
  const b = new SnapshotBuilder();
  const a = b.addNode('object', 'Alpha', 10);
  const c = b.addNode('closure', 'handler', 20);
  b.addEdge(b.root, a).addEdge(a, c, 'property', 'onData');
  const path = b.writeTo(join(tmpDir(t), 'api.heapsnapshot'));

  const snapshot = await api.loadSnapshot(path);
  assert.equal(snapshot.graph.nodeCount, 3);
  assert.equal(snapshot.retainedSizes[a.ordinal], 30);
  assert.equal(snapshot.className(c.ordinal), '(closure) handler');
  assert.equal(snapshot.dominators[c.ordinal], a.ordinal);

  const report = await api.inspectSnapshot(path, { top: 5, nodeId: c.id });
  const printed = spawnSync(process.execPath, [cliPath, 'inspect', path, '--json', '--top', '5', '--node', `@${c.id}`], { encoding: 'utf8' });
  assert.equal(printed.status, 0, printed.stderr);
  assert.deepEqual(JSON.parse(printed.stdout), JSON.parse(JSON.stringify(report)));
  assert.deepEqual(report.classes.map((row) => row.name), ['Alpha', '(closure) handler']);
});
