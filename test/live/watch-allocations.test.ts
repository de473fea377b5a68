import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { WatchResult } from '../../src/live/index.js';
import { runCli } from '../helpers/run-cli.js';
import { tmpDir } from '../helpers/tmp-dir.js';
import { portOpen, startLiveTarget } from './live-target.js';

// From this helper's port range (43000–43999).
const PORT = 43101;

// A module-scope array filled by one named function: the snapshot locates the array at some
// function capturing its scope, the sampled sites at fillRecords, the function that pushes. It
// pushes itself rather than through a helper: the sampling profiler sees a function that V8
// inlined into its hot caller as the caller (docs/run.md), and a helper called 300 times a tick is.
const SOURCE = `const records = [];
function count() { return records.length; }
setInterval(function fillRecords() {
  for (let k = 0; k < 300; k++) records.push({ k, trail: new Array(64).fill(k) });
  count();
}, 100);`;

test('watch samples allocations between snapshots: the growing array names the function that fills it, and sampling is stopped after', async (t) => {
  const target = await startLiveTarget(t, SOURCE, { nodeArgs: [`--inspect-port=${PORT}`] });
  const result = await runCli(['watch', String(target.pid), '--interval', '1s', '--count', '3', '--dir', join(tmpDir(t), 'w'), '--json']);
  assert.equal(result.status, 1, result.stdout + result.stderr);
  const json = JSON.parse(result.stdout) as WatchResult;
  assert.deepEqual(json.allocationSites?.checkpoints.map((c) => c.phase), ['snapshot 1', 'snapshot 2', 'snapshot 3']);
  const finding = json.analysis?.findings.find((f) => f.kind === 'growing-collections');
  const site = finding?.allocationSites?.[0];
  assert.ok(site && site.userFrame !== null, JSON.stringify(json.allocationSites));
  assert.equal(site.frames[site.userFrame]!.functionName, 'fillRecords');
  assert.equal(site.frames[site.userFrame]!.line, 3);
  assert.equal(await portOpen(PORT), false, 'no inspector port stays open');
});
