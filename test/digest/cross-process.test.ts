import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { before, describe, test } from 'node:test';
import {
  analyzeSnapshots, digestSnapshotFile, ErrorCode, isDigestFile, readDigest, type AnalysisResult, type LeakcheckError,
} from '../../src/index.js';
import { runFixture, type FixtureSnapshots } from '../detectors/fixture-snapshots.js';
import { fixturesDir } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';

/** Findings without what only one snapshot can say (the V8 ids of an example object). */
function comparable(result: AnalysisResult): unknown {
  return result.findings.map((finding) => ({ ...finding, subject: { ...finding.subject, nodeId: 0, emitterId: 0 } }));
}

describe('cross-process diff and digests (issue 10 items 5 and 6)', () => {
  // Two separate processes of each app: V8 ids of one mean nothing in the other.
  let leakyA: FixtureSnapshots;
  let leakyB: FixtureSnapshots;
  let cleanA: FixtureSnapshots;
  let cleanB: FixtureSnapshots;
  let workDir: string;
  const digestOf = new Map<string, string>();
  // The full-snapshot results, computed once: loading snapshots is the slow part.
  let leakyTwo: AnalysisResult;
  let leakyThree: AnalysisResult;
  let cleanTwo: AnalysisResult;
  before(async () => {
    [leakyA, leakyB, cleanA, cleanB] = await Promise.all([runFixture('growing-map'), runFixture('growing-map'), runFixture('clean'), runFixture('clean')]);
    workDir = mkdtempSync(join(tmpdir(), 'leakcheck-digest-'));
    process.once('exit', () => rmSync(workDir, { recursive: true, force: true }));
    const inputs = { 'leaky-a-base': leakyA.base, 'leaky-b-target': leakyB.target, 'leaky-b-final': leakyB.final, 'leaky-a-final': leakyA.final, 'clean-a-base': cleanA.base, 'clean-b-final': cleanB.final };
    for (const [name, snapshot] of Object.entries(inputs)) {
      const output = join(workDir, `${name}.digest.json.gz`);
      await digestSnapshotFile(snapshot, output);
      digestOf.set(snapshot, output);
    }
    leakyTwo = await analyzeSnapshots([leakyA.base, leakyB.final], { crossProcess: true });
    leakyThree = await analyzeSnapshots([leakyA.base, leakyB.target, leakyA.final], { crossProcess: true });
    cleanTwo = await analyzeSnapshots([cleanA.base, cleanB.final], { crossProcess: true });
  });

  test('two runs of a leaky app: the growing Map is a leak, matched by its holder path, and the method says what it cannot prove', () => {
    const result = leakyTwo;
    assert.equal(result.method, 'cross-process');
    assert.equal(result.verdict.leak, true);
    const map = result.findings.find((finding) => finding.kind === 'growing-collections' && finding.severity === 'leak');
    assert.ok(map, JSON.stringify(result.findings));
    assert.deepEqual(map.kind === 'growing-collections' && map.subject.holder, { root: { kind: 'variable', name: 'sessionCache' }, steps: [] });
    assert.ok(map.growth.count >= 400, `the Map grew by ${map.growth.count} entries`);
    assert.equal(map.evidence.survivingCount, null, 'no survivor rule across processes');
    assert.equal(result.survivingCount, null);
    assert.equal(result.newInTarget, null);
    assert.deepEqual(result.warnings, [{
      kind: 'cross-process', unproven: ['survivors', 'same-objects', 'order', 'retainer-paths'], notRun: ['live-handles'],
      minCounts: { classes: 8, collections: 8, listeners: 2, closures: 8 },
    }]);
    // What the Map holds (its entries' objects, arrays and strings) is the Map's growth, not findings of their own.
    assert.deepEqual(result.findings.filter((f) => f.severity === 'leak').map((f) => f.kind), ['growing-collections']);
  });

  test('three snapshots from two processes: grew in every interval is a leak', () => {
    const map = leakyThree.findings.find((finding) => finding.kind === 'growing-collections');
    assert.equal(map?.severity, 'leak');
    assert.equal(map.evidence.counts.length, 3);
    assert.ok(map.evidence.counts[0]! < map.evidence.counts[1]! && map.evidence.counts[1]! < map.evidence.counts[2]!, String(map.evidence.counts));
  });

  test('two runs of a clean app are clean; the CLI exits 0 on their digests and 1 on the leaky ones', async () => {
    assert.equal(cleanTwo.verdict.leak, false, JSON.stringify(cleanTwo.findings.filter((f) => f.severity === 'leak')));
    const leaky = await runCli(['diff', digestOf.get(leakyA.base)!, digestOf.get(leakyB.final)!]);
    assert.equal(leaky.status, 1, leaky.stdout + leaky.stderr);
    assert.match(leaky.stdout, /^LEAK +sessionCache: Map of [\d,]+ entries \(\+[\d,]+\) keeps growing/m);
    const result = await runCli(['diff', digestOf.get(cleanA.base)!, digestOf.get(cleanB.final)!]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^leakcheck diff \(cross-process\)/);
    assert.match(result.stdout, /warning: cross-process: .*cannot prove that the growth outlived a round of work/);
    assert.match(result.stdout, /^clean: nothing crossed the thresholds/m);
  });

  test('a digest of a 4-5 MB fixture snapshot (growing-map final, ~50k objects) is at most 1 % of it', () => {
    const snapshotBytes = statSync(leakyB.final).size;
    const digestBytes = statSync(digestOf.get(leakyB.final)!).size;
    assert.ok(snapshotBytes > 3_000_000, `a realistic snapshot: ${snapshotBytes} bytes`);
    assert.ok(digestBytes <= snapshotBytes / 100, `digest ${digestBytes} bytes of a ${snapshotBytes}-byte snapshot`);
    assert.equal((statSync(digestOf.get(leakyB.final)!).mode & 0o777).toString(8), '600');
  });

  test('digests give the same findings and verdict as the full snapshots, leaky and clean, two and three inputs', async () => {
    const cases: [string[], AnalysisResult][] = [
      [[leakyA.base, leakyB.final], leakyTwo], [[leakyA.base, leakyB.target, leakyA.final], leakyThree], [[cleanA.base, cleanB.final], cleanTwo],
    ];
    for (const [inputs, full] of cases) {
      const digests = inputs.map((input) => digestOf.get(input)!);
      assert.ok(await isDigestFile(digests[0]!));
      const fromDigests = await analyzeSnapshots(digests);
      assert.equal(fromDigests.method, 'cross-process', 'a digest implies the cross-process method');
      assert.deepEqual(fromDigests.verdict, full.verdict);
      assert.deepEqual(comparable(fromDigests), comparable(full));
      assert.deepEqual(fromDigests.classGrowth, full.classGrowth);
      assert.ok(fromDigests.snapshots.every((s) => s.input === 'digest'));
    }
    // A digest and a snapshot mix, detected by content whatever the file is called.
    const renamed = join(workDir, 'pod-a.heapsnapshot');
    writeFileSync(renamed, readFileSync(digestOf.get(leakyA.base)!));
    const mixed = await runCli(['diff', renamed, leakyB.final, '--json']);
    assert.equal(mixed.status, 1, mixed.stderr);
    const parsed = JSON.parse(mixed.stdout) as AnalysisResult;
    assert.deepEqual(parsed.snapshots.map((s) => s.input ?? 'snapshot'), ['digest', 'snapshot']);
  });

  test('asking only for a detector the method cannot run is a usage error, not a clean verdict', async () => {
    const digests = [digestOf.get(leakyA.base)!, digestOf.get(leakyB.final)!];
    await assert.rejects(analyzeSnapshots(digests, { detectors: ['live-handles'] }), (error: LeakcheckError) => error.code === ErrorCode.USAGE && /live-handles cannot run across processes/.test(error.message));
    const some = await analyzeSnapshots(digests, { detectors: ['live-handles', 'growing-collections'] });
    assert.deepEqual(some.detectors, ['growing-collections']);
    assert.deepEqual(some.warnings[0]?.kind === 'cross-process' && some.warnings[0].notRun, ['live-handles']);
  });

  test('the bundled listener-per-request snapshots: the listener leak is found by emitter path and function, from digests too', async () => {
    const bundled = ['base', 'target', 'final'].map((phase) => join(fixturesDir, 'snapshots', `listener-per-request-${phase}.heapsnapshot.gz`));
    const digests = bundled.map((_, k) => join(workDir, `bundled-${k}.digest.json.gz`));
    for (const [k, snapshot] of bundled.entries()) await digestSnapshotFile(snapshot, digests[k]!);
    const result = await analyzeSnapshots(digests);
    const listeners = result.findings.find((finding) => finding.kind === 'duplicate-listeners');
    assert.equal(listeners?.severity, 'leak', JSON.stringify(result.findings.map((f) => [f.kind, f.severity])));
    assert.equal(listeners.kind === 'duplicate-listeners' && listeners.subject.event, 'error');
    assert.equal(listeners.location?.functionName, 'onQueueError');
    // The closures that are those listeners are the listeners' finding, not a second one.
    assert.ok(!result.findings.some((f) => f.kind === 'retained-closures' && f.subject.functionName === 'onQueueError' && f.severity === 'leak'));
  });

  test('a digest of the same heap twice is refused like the same snapshot twice', async () => {
    const copy = join(workDir, 'copy.digest.json.gz');
    writeFileSync(copy, readFileSync(digestOf.get(cleanA.base)!));
    const result = await runCli(['diff', digestOf.get(cleanA.base)!, copy]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /copy\.digest\.json\.gz: .*holds the same heap as/);
  });

  test('a truncated, damaged or foreign-version digest is one line and exit 2', async () => {
    const good = readFileSync(digestOf.get(cleanA.base)!);
    const text = gunzipSync(good).toString('utf8');
    const cases: [string, Buffer, RegExp][] = [
      ['truncated.digest.json.gz', good.subarray(0, Math.floor(good.length / 2)), /gzip stream is truncated or damaged/],
      ['cut-json.digest.json', Buffer.from(text.slice(0, text.length - 40)), /JSON is truncated or damaged/],
      ['future.digest.json.gz', gzipSync(text.replace('"schemaVersion":1', '"schemaVersion":99')), /schemaVersion 99; this leakcheck reads version 1/],
      ['bad-field.digest.json.gz', gzipSync(text.replace(/"collections":\[\{"holder":/, '"collections":[{"holder":7,"was":')), /collections\[0\]\.holder is not an object/],
    ];
    for (const [name, bytes, message] of cases) {
      const file = join(workDir, name);
      writeFileSync(file, bytes);
      await assert.rejects(readDigest(file), (error: LeakcheckError) => error.code === ErrorCode.DIGEST_INVALID && message.test(error.message));
    }
    // From the command line (two of the cases: every spawn costs a second on a loaded machine).
    for (const args of [['diff', join(workDir, cases[0]![0]), digestOf.get(cleanB.final)!], ['inspect', join(workDir, cases[2]![0])]]) {
      const result = await runCli(args);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stdout}`);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, /\.digest\.json\.gz: is not a valid leakcheck digest: /);
    }
  });

  test('inspect reads a digest and says what it cannot show: one object\'s retainer path', async () => {
    const digest = digestOf.get(leakyB.final)!;
    const summary = await runCli(['inspect', digest, '--json']);
    assert.equal(summary.status, 0, summary.stderr);
    const report = JSON.parse(summary.stdout) as { classes: unknown[]; topDominators: { id: number }[]; digest: { snapshot: string } };
    assert.equal(report.digest.snapshot, leakyB.final);
    assert.ok(report.classes.length > 0 && report.topDominators.length > 0);
    const node = await runCli(['inspect', digest, '--node', `@${report.topDominators[0]!.id}`]);
    assert.equal(node.status, 2);
    assert.match(node.stderr, /is a digest: it keeps groups, not objects, so it cannot show the retainer path of @\d+; run inspect --node on the snapshot it was made from/);
  });

  test('two runs of one program: the id-based diff refuses, although their startup objects share ids', async () => {
    for (const inputs of [[leakyA.base, leakyB.final], [leakyA.base, leakyB.target, leakyB.final], [cleanA.base, cleanB.final]]) {
      await assert.rejects(analyzeSnapshots(inputs), (error: LeakcheckError) => {
        assert.equal(error.code, ErrorCode.SNAPSHOTS_INCOMPARABLE);
        assert.match(error.message, /is not from the process that wrote .*run diff --cross-process/);
        return true;
      });
    }
  });

  test('snapshots of different programs: the id-based diff refuses and names --cross-process', async () => {
    const other = join(fixturesDir, 'snapshots', 'listener-per-request-base.heapsnapshot.gz');
    const result = await runCli(['diff', other, leakyB.final]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /ERR_SNAPSHOTS_INCOMPARABLE|run diff --cross-process/);
    assert.match(result.stderr, /run diff --cross-process/);
  });
});
