// The run parses its baseline and target snapshots in a background thread as each is written
// (src/runner/early-parses.ts): same results as the sequential diff, and a bad parse is an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeSnapshots, SnapshotIdLoader, type AnalysisResult } from '../../src/analyze.js';
import { ErrorCode, isLeakcheckError } from '../../src/errors.js';
import { describeReason } from '../../src/report/index.js';
import { analyzeRunSnapshots, runTarget, type RunOptions, type SnapshotAnalyzer } from '../../src/runner/index.js';
import { EarlyParses } from '../../src/runner/early-parses.js';
import { writeLiveSnapshots } from '../helpers/live-snapshot.js';
import { fixturesDir } from '../helpers/paths.js';
import { runOptions } from '../helpers/run-options.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const options = (t: Parameters<typeof tmpDir>[0], command: string[], extra: Partial<RunOptions> = {}): RunOptions =>
  runOptions(t, command, { keepSnapshots: 'always', ...extra });

test('the overlapped diff of a real run equals the sequential diff of the same snapshots', { timeout: 120_000 }, async (t) => {
  let given: Parameters<SnapshotAnalyzer>[0] | undefined;
  let overlapped: AnalysisResult | undefined;
  const analyze: SnapshotAnalyzer = async (snapshots) => {
    given = snapshots;
    overlapped = await analyzeRunSnapshots(snapshots);
    return overlapped;
  };
  const report = await runTarget(options(t, [process.execPath, join(fixturesDir, 'apps', 'http-listener-leak.mjs')], { analyze }));
  assert.equal(report.verdict.outcome, 'leak');
  // Only the final snapshot was left to load after the last phase: the other two came parsed.
  assert.deepEqual([...given!.preloaded!.keys()], [given!.baseline, given!.target]);
  assert.deepEqual(report.files.snapshots, [given!.baseline, given!.target, given!.final]);
  const sequential = await analyzeSnapshots([given!.baseline, given!.target, given!.final]);
  assert.ok(overlapped!.verdict.leak && overlapped!.findings.length > 0);
  assert.deepEqual(overlapped, sequential);
});

test('on a cluster every serving process\'s diff gets its baseline and target parsed early, and the result equals the sequential diff', { timeout: 180_000 }, async (t) => {
  const given: Array<Parameters<SnapshotAnalyzer>[0]> = [];
  const analyze: SnapshotAnalyzer = async (snapshots) => {
    given.push(snapshots);
    return analyzeRunSnapshots(snapshots);
  };
  const report = await runTarget(options(t, [process.execPath, join(fixturesDir, 'apps', 'http-cluster.mjs'), '2'], { analyze }));
  assert.equal(report.processes!.length, 2);
  assert.equal(given.length, 3, 'the primary and both workers diffed');
  for (const snapshots of given) {
    assert.deepEqual([...snapshots.preloaded!.keys()], [snapshots.baseline, snapshots.target], JSON.stringify(snapshots));
  }
  const leaky = report.processes!.find((p) => p.clusterWorkerId === 2)!;
  assert.equal(leaky.verdict.outcome, 'leak', JSON.stringify(leaky.verdict.reasons));
  const written = leaky.snapshots!;
  const [baseline, target, final] = [written[0]!, written.at(-2)!, written.at(-1)!];
  assert.deepEqual(leaky.analysis, await analyzeSnapshots([baseline, target, final]));
});

test('EarlyParses parses only the planned snapshots, within its byte budget, and hands each process its own once', async (t) => {
  const [first, second] = await writeLiveSnapshots(t, 'globalThis.list = Array.from({ length: 100 }, (_, i) => ({ i }));');
  const spec = (file: string) => ({ boundary: true, measured: true as const, snapshotFile: file });
  const schedules = [
    { chunks: 1, end: spec('00-warmup.heapsnapshot') },
    { chunks: 1, end: spec('01-load.heapsnapshot') },
    { chunks: 1, end: spec('02-load.heapsnapshot') },
  ];
  const size = statSync(first!).size;
  const early = new EarlyParses(schedules, true, size + 1);
  t.after(() => early.close());
  early.written('00-warmup.heapsnapshot', first!, size);
  // Over the budget: left for its diff to load.
  early.written('01-load.heapsnapshot', second!, size);
  // Not an input the diff loads early (the final snapshot is explained on the main thread).
  early.written('02-load.heapsnapshot', second!, size);
  const taken = early.take([first!, second!]);
  assert.deepEqual([...taken.keys()], [first]);
  assert.ok((await taken.get(first!)!).graph.nodeCount > 100);
  assert.equal(early.take([first!]).size, 0, 'handed over once');
  const disabled = new EarlyParses(schedules, false);
  disabled.written('00-warmup.heapsnapshot', first!, size);
  assert.equal(disabled.take([first!]).size, 0);
});

test('a snapshot that fails its background parse makes the diff fail with the file named, not a clean verdict', { timeout: 120_000 }, async (t) => {
  const dir = tmpDir(t);
  const app = join(dir, 'cut-first-snapshot.mjs');
  // The target's first heap snapshot stream ends after 64 KiB, as a disk-full write would leave it;
  // syncBuiltinESMExports carries the patch into the agent's `import { getHeapSnapshot }`.
  writeFileSync(app, `import v8 from 'node:v8';
import { syncBuiltinESMExports } from 'node:module';
import { Readable } from 'node:stream';
import { createServer } from 'node:http';
const real = v8.getHeapSnapshot;
let written = 0;
v8.getHeapSnapshot = (...args) => {
  const stream = real(...args);
  if (written++ > 0) return stream;
  return Readable.from((async function* () {
    let bytes = 0;
    for await (const chunk of stream) {
      if (bytes >= 65536) continue;
      yield chunk.subarray(0, 65536 - bytes);
      bytes += chunk.length;
    }
  })());
};
syncBuiltinESMExports();
const kept = [];
createServer((req, res) => { kept.push({ url: req.url, pad: 'x'.repeat(1024) + Math.random() }); res.end('ok'); }).listen(0, '127.0.0.1');
`);
  const report = await runTarget(options(t, [process.execPath, app]));
  const baseline = report.files.snapshots[0]!;
  assert.ok(statSync(baseline).size <= 65536, 'the first snapshot is the cut one');
  assert.equal(report.analysis, null);
  assert.match(report.analysisNote ?? '', /^snapshot analysis failed: .*00-warmup\.heapsnapshot/);
  assert.equal(report.verdict.outcome, 'inconclusive', JSON.stringify(report.verdict));
  const failed = report.verdict.reasons.find((r) => r.kind === 'analysis-failed');
  assert.ok(failed && failed.kind === 'analysis-failed');
  // Cut mid-array, the parser tells "truncated" or "inconsistent" by where the cut fell.
  assert.match(failed.code ?? '', /^ERR_SNAPSHOT_(TRUNCATED|INCONSISTENT)$/);
  assert.equal(failed.file, baseline);
  assert.match(describeReason(failed, []), /snapshot diff failed \(ERR_SNAPSHOT_\w+\): .*00-warmup.*not clean/);
});

test('SnapshotIdLoader: loads in order, rejects a truncated file with its name, goes on, and close() ends what is pending', { timeout: 60_000 }, async (t) => {
  const [whole] = await writeLiveSnapshots(t, 'globalThis.list = Array.from({ length: 1000 }, (_, i) => ({ i }));');
  const cut = join(tmpDir(t), 'cut.heapsnapshot');
  copyFileSync(whole!, cut);
  truncateSync(cut, Math.floor(statSync(whole!).size / 2));
  const loader = new SnapshotIdLoader({ niceness: 10 });
  try {
    const [bad, good] = [loader.load(cut), loader.load(whole!)];
    await assert.rejects(bad, (error: unknown) => isLeakcheckError(error) && error.code === ErrorCode.SNAPSHOT_TRUNCATED && error.file === cut);
    const loaded = await good;
    assert.equal(loaded.graph.source, whole);
    assert.ok(loaded.graph.nodeCount > 1000);
    const pending = loader.load(whole!);
    await loader.close();
    await assert.rejects(pending, /closed before loading every snapshot/);
    await assert.rejects(loader.load(whole!), /closed/);
  } finally {
    await loader.close();
  }
});

/** Nice values of this process's threads, from /proc/self/task/<tid>/stat (field 19). */
function threadNiceValues(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    return Number(fields[16]);
  });
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('SnapshotIdLoader runs its thread at the nice value asked for, and setNiceness changes it', { timeout: 30_000 }, async (t) => {
  const before = threadNiceValues().filter((nice) => nice === 7).length;
  const loader = new SnapshotIdLoader({ niceness: 7 });
  t.after(() => loader.close());
  await until(() => threadNiceValues().filter((nice) => nice === 7).length === before + 1, 'a thread at nice 7');
  // Back to the process's priority needs CAP_SYS_NICE; lowering it further never does.
  loader.setNiceness(9);
  await until(() => threadNiceValues().filter((nice) => nice === 7).length === before && threadNiceValues().includes(9), 'the thread at nice 9');
});
