import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSnapshot } from '../../src/index.js';
import { tmpDir } from '../helpers/tmp-dir.js';
import { checkCase } from './check-case.js';
import { damagedSnapshots, faultGraph } from './damage.js';

// Issue 14 items 19-21 and the fault suite's fast half: every damage of a small snapshot, read in
// chunks of three sizes, is a clean one-line error with the right code, or (a valid rewrite) loads.
test('every damaged snapshot is a clean one-line error, or loads when the damage leaves it valid', async (t) => {
  const good = Buffer.from(faultGraph().toJson(), 'utf8');
  const dir = tmpDir(t);
  const expected = await parseSnapshot(faultGraph().writeTo(`${dir}/good.heapsnapshot`));
  const cases = damagedSnapshots(good, { truncations: 150 });
  assert.ok(cases.length > 200, `${cases.length} cases`);
  const bad: string[] = [];
  const outcomes = new Map<string, number>();
  for (const [index, fault] of cases.entries()) {
    const result = await checkCase(fault, 'damaged.heapsnapshot', [1 << 20, 7, 4096][index % 3]!, expected);
    outcomes.set(result.outcome, (outcomes.get(result.outcome) ?? 0) + 1);
    if (result.outcome === 'crash' || result.outcome === 'wrong outcome') bad.push(`${fault.name}: ${result.outcome}: ${result.detail}`);
  }
  assert.deepEqual(bad, []);
  assert.ok((outcomes.get('loaded') ?? 0) >= 2, 'the consistently permuted files load');
});

test('a self_size of a megabyte of digits is ERR_SNAPSHOT_INCONSISTENT, not a heap of Infinity bytes (issue 14 item 19)', async () => {
  const good = Buffer.from(faultGraph().toJson(), 'utf8');
  const fault = damagedSnapshots(good, { truncations: 0 }).find((c) => c.name === `node 0 self_size = ${1024 * 1024} digits`)!;
  const result = await checkCase(fault, 'huge.heapsnapshot', 1 << 16);
  assert.equal(result.outcome, 'clean error', result.detail);
  assert.match(result.detail, /self_size .* beyond 2\^53/);
});

test('a renamed node type is named as missing (issue 14 item 20)', async () => {
  const good = Buffer.from(faultGraph().toJson(), 'utf8');
  const fault = damagedSnapshots(good, { truncations: 0 }).find((c) => c.name === 'node type "closure" renamed')!;
  const result = await checkCase(fault, 'renamed.heapsnapshot', 1 << 20);
  assert.equal(result.outcome, 'clean error', result.detail);
  assert.match(result.detail, /node_types\[0\] lacks the node type "closure"/);
});

test('consistently permuted node and edge fields give the same graph (issue 14 item 21)', async (t) => {
  const builder = faultGraph();
  const dir = tmpDir(t);
  const plain = await parseSnapshot(builder.writeTo(`${dir}/plain.heapsnapshot`));
  const permuted = await parseSnapshot(builder.writeTo(`${dir}/permuted.heapsnapshot`, {
    nodeFields: ['edge_count', 'detachedness', 'self_size', 'trace_node_id', 'id', 'type', 'name'],
    edgeFields: ['to_node', 'type', 'name_or_index'],
  }));
  for (const key of ['nodeTypes', 'nodeNames', 'nodeIds', 'selfSizes', 'detachedness', 'firstEdge', 'edgeTypes', 'edgeNames', 'edgeTargets'] as const) {
    assert.deepEqual(permuted[key], plain[key], key);
  }
});
