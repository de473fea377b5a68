import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildLoadPlan, renderRunText, runTarget, type RunReport } from '../../src/index.js';
import { createStyle } from '../../src/report/index.js';
import { fixturesDir } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp-dir.js';

// Issue 9: the addon is optional. Without it the GC stats come from Node's built-ins, and the
// verdict on the same app must not change: only HeapDiff is lost, and the report says so.
async function run(t: Parameters<typeof tmpDir>[0], name: string, memwatch: boolean): Promise<RunReport> {
  return runTarget({
    command: [process.execPath, join(fixturesDir, 'apps', `${name}.mjs`)],
    phases: buildLoadPlan({ requests: 400, warmupRequests: 300, concurrency: 4 }),
    outDir: join(tmpDir(t), 'report'),
    startTimeoutMs: 15_000,
    // HeapDiff asked for explicitly: the built-in path must say it cannot do it, not silently skip it.
    heapDiff: true,
    memwatch,
  });
}

/** What a CI gate acts on: the outcome, and which snapshot findings are called leaks. */
const decision = (report: RunReport) => ({
  outcome: report.verdict.outcome,
  leak: report.verdict.leak,
  leakFindings: (report.analysis?.findings ?? []).filter((f) => f.severity === 'leak').map((f) => f.kind).sort(),
});

for (const [name, outcome] of [['http-listener-leak', 'leak'], ['http-clean', 'clean']] as const) {
  test(`${name}: the same verdict (${outcome}) with @airbnb/node-memwatch and with Node's built-in GC stats`, async (t) => {
    const withAddon = await run(t, name, true);
    const builtIn = await run(t, name, false);
    assert.equal(withAddon.verdict.outcome, outcome, JSON.stringify(withAddon.verdict.reasons));
    assert.deepEqual(decision(builtIn), decision(withAddon), JSON.stringify(builtIn.verdict.reasons));

    assert.equal(withAddon.target.gcSource, 'memwatch');
    assert.equal(builtIn.target.gcSource, 'gc-profiler');
    for (const report of [withAddon, builtIn]) {
      assert.ok(report.gcs.length > 0, `${report.target.gcSource}: GC stats recorded`);
      assert.ok(report.gcs.some((g) => g.forced), `${report.target.gcSource}: the checkpoints' own GCs are marked`);
    }
    assert.ok(withAddon.phases.some((p) => p.heapDiff) && !builtIn.phases.some((p) => p.heapDiff));

    const style = createStyle({ color: false });
    assert.match(renderRunText(withAddon, style), /^ {2}GC stats: @airbnb\/node-memwatch$/m);
    assert.match(renderRunText(builtIn, style),
      /^ {2}GC stats: Node's v8\.GCProfiler .*did not load in the target: disabled by LEAKCHECK_MEMWATCH=0; no HeapDiff, which needs the addon\)$/m);
  });
}
