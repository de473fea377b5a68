// Checks leakcheck's dominators and retained sizes against DevTools' own engine
// (heap-snapshot-toolkit, bench-only) on the same file. Run by hand:
//
//   npm run build && node dist/bench/devtools-parity.js [file.heapsnapshot]   (default: the ~20 MiB bench snapshot)
//
// Expected differences, by design: nodes the root does not reach (DevTools hangs each of them
// under the root; leakcheck keeps their own subtrees), and the retained sizes of V8 "hidden"
// and "array" nodes, whose self sizes DevTools moves to their single owner before summing.
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadSnapshot, UNREACHABLE } from '../src/snapshot/index.js';
import { ensureBigSnapshot } from './make-big-snapshot.js';
import { peersDir } from './table.js';

const file = process.argv[2] ?? ensureBigSnapshot(20);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- loaded by path, untyped
const toolkit: any = await import(pathToFileURL(join(peersDir, 'heap-snapshot-toolkit', 'index.js')).href);
const ours = await loadSnapshot(file);
const theirs = await toolkit.parse(createReadStream(file, 'utf-8'));
const { graph } = ours;
const hidden = graph.nodeType.hidden;
const array = graph.nodeType.array;
let reached = 0;
let dominatorMismatches = 0;
let comparable = 0;
let sizeMismatches = 0;
for (let ordinal = 0; ordinal < graph.nodeCount; ordinal++) {
  if (ours.distances[ordinal] === UNREACHABLE) continue;
  reached++;
  if (theirs.dominatorsTree[ordinal] !== ours.dominators[ordinal]) dominatorMismatches++;
  const type = graph.nodeTypes[ordinal];
  if (type === hidden || type === array) continue;
  comparable++;
  if (theirs.retainedSizes[ordinal] !== ours.retainedSizes[ordinal]) sizeMismatches++;
}
const result = {
  file, nodeCount: graph.nodeCount, unreachableCount: ours.unreachableCount,
  reachedNodes: reached, dominatorMismatches, retainedSizeComparable: comparable, retainedSizeMismatches: sizeMismatches,
  rootRetained: { leakcheck: ours.retainedSizes[0], devtools: theirs.retainedSizes[0] },
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
process.exitCode = dominatorMismatches === 0 && sizeMismatches === 0 ? 0 : 1;
