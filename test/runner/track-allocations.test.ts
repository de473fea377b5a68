import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildLoadPlan, runTarget } from '../../src/runner/index.js';
import { fixturesDir } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const app = join(fixturesDir, 'apps', 'http-allocation-site.mjs');

test('run --track-allocations gives the growing array\'s finding the exact stack its entries were allocated at', async (t) => {
  // Small: the tracker makes every request several times slower (docs/run.md).
  const report = await runTarget({
    command: [process.execPath, app], phases: buildLoadPlan({ requests: 60, warmupRequests: 20, concurrency: 4 }),
    outDir: join(tmpDir(t), 'report'), startTimeoutMs: 15_000, trackAllocations: true,
  });
  assert.deepEqual(report.target.allocations, { sampling: true, tracking: true });
  const finding = report.analysis?.findings.find((f) => f.kind === 'growing-collections');
  assert.ok(finding, JSON.stringify(report.analysis?.findings.map((f) => f.kind)));
  const stack = finding.allocationStack;
  assert.ok(stack && stack.userFrame !== null, JSON.stringify(stack));
  const frame = stack.frames[stack.userFrame];
  assert.equal(frame?.functionName, 'rememberRequest');
  assert.equal(frame?.line, 9);
  assert.equal(frame?.script, app);
  // The handler that called it is the next user frame.
  assert.equal(stack.frames[stack.userFrame + 1]?.line, 21);
  assert.ok(stack.objectCount > stack.trackedCount / 2, `${stack.objectCount} of ${stack.trackedCount}`);
});
