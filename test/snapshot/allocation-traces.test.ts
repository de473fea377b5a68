import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadSnapshot } from '../../src/snapshot/index.js';
import { writeLiveSnapshot } from '../helpers/live-snapshot.js';
import { tmpDir } from '../helpers/tmp-dir.js';
import { join } from 'node:path';

const tracked = `
import { Session } from 'node:inspector';
const session = new Session();
session.connect();
session.post('HeapProfiler.enable');
session.post('HeapProfiler.startTrackingHeapObjects', { trackAllocations: true });
globalThis.kept = [];
function remember(i) {
  globalThis.kept.push({ i, tag: 'kept-' + i });
}
for (let i = 0; i < 500; i++) remember(i);
snapshot();
session.disconnect();
`;

function rememberLine(path: string): number {
  const lines = readFileSync(path, 'utf8').split('\n');
  return lines.findIndex((l) => l.startsWith('function remember')) + 1;
}

test("a snapshot taken under V8's allocation tracker gives each object its allocation stack through trace_node_id", async (t) => {
  const path = await writeLiveSnapshot(t, tracked);
  const snapshot = await loadSnapshot(path);
  const { graph } = snapshot;
  assert.ok(graph.allocationTraces, 'the trace sections are read');
  assert.equal(graph.traceNodeIds.length, graph.nodeCount);
  const kept = snapshot.ordinalById(findGlobalArrayId(snapshot));
  const stacks = new Map<string, number>();
  for (let edge = graph.firstEdge[kept]!; edge < graph.firstEdge[kept + 1]!; edge++) {
    if (graph.edgeTypes[edge] !== graph.edgeType.element) continue;
    const frames = graph.allocationTraces.stack(graph.traceNodeIds[graph.edgeTargets[edge]!]!);
    const top = frames[0];
    const key = top ? `${top.functionName}:${top.line}` : '(none)';
    stacks.set(key, (stacks.get(key) ?? 0) + 1);
  }
  const program = join(path, '..', 'program.mjs');
  const expected = `remember:${rememberLine(program)}`;
  assert.ok((stacks.get(expected) ?? 0) >= 400, `${expected} in ${JSON.stringify([...stacks])}`);
});

test('a snapshot without the tracker has no allocation traces and keeps no trace ids', async (t) => {
  const snapshot = await loadSnapshot(await writeLiveSnapshot(t, 'globalThis.kept = [{ a: 1 }];'));
  assert.equal(snapshot.graph.allocationTraces, null);
  assert.equal(snapshot.graph.traceNodeIds.length, 0);
});

test("the trace columns come from meta, not from V8's usual order", async (t) => {
  // The same snapshot with trace_function_info_fields reversed (and every row rewritten to match):
  // a parser that assumed V8's order would name the wrong function or line.
  const path = await writeLiveSnapshot(t, tracked);
  const json = JSON.parse(readFileSync(path, 'utf8')) as { snapshot: { meta: { trace_function_info_fields: string[] } }; trace_function_infos: number[] };
  const fields = json.snapshot.meta.trace_function_info_fields;
  const width = fields.length;
  const rows: number[] = [];
  for (let k = 0; k < json.trace_function_infos.length; k += width) rows.push(...json.trace_function_infos.slice(k, k + width).reverse());
  json.snapshot.meta.trace_function_info_fields = [...fields].reverse();
  json.trace_function_infos = rows;
  const reordered = join(tmpDir(t), 'reordered.heapsnapshot');
  writeFileSync(reordered, JSON.stringify(json));
  const [a, b] = [await loadSnapshot(path), await loadSnapshot(reordered)];
  const someTraced = Array.from(a.graph.traceNodeIds).findIndex((id) => id > 0 && a.graph.allocationTraces!.stack(id).length > 1);
  assert.ok(someTraced >= 0);
  assert.deepEqual(b.graph.allocationTraces!.stack(b.graph.traceNodeIds[someTraced]!), a.graph.allocationTraces!.stack(a.graph.traceNodeIds[someTraced]!));
});

/** The V8 id of the array held by globalThis.kept. */
function findGlobalArrayId(snapshot: Awaited<ReturnType<typeof loadSnapshot>>): number {
  const { graph } = snapshot;
  for (let edge = 0; edge < graph.edgeCount; edge++) {
    if (graph.edgeTypes[edge] === graph.edgeType.property && graph.strings[graph.edgeNames[edge]!] === 'kept') {
      const target = graph.edgeTargets[edge]!;
      if (graph.strings[graph.nodeNames[target]!] === 'Array') return graph.nodeIds[target]!;
    }
  }
  throw new Error('no kept array in the snapshot');
}
