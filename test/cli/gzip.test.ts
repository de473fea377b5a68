import assert from 'node:assert/strict';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { before, describe, test } from 'node:test';
import { createGzip, gzipSync } from 'node:zlib';
import { runFixture, type FixtureSnapshots } from '../detectors/fixture-snapshots.js';
import { writeLiveSnapshot } from '../helpers/live-snapshot.js';
import { runCli, type CliResult } from '../helpers/run-cli.js';

async function gzipFile(from: string, to: string): Promise<string> {
  await pipeline(createReadStream(from), createGzip({ level: 6 }), createWriteStream(to));
  return to;
}

/** exit 2, exactly one stderr line that names the file and has no stack; on stdout nothing, or with --json the same error as JSON. */
function assertOneLineError(result: CliResult, file: string, pattern: RegExp, json = false): void {
  assert.equal(result.status, 2, result.stderr);
  const lines = result.stderr.trimEnd().split('\n');
  if (json) assert.equal((JSON.parse(result.stdout) as { error: { message: string } }).error.message, lines[0]!.replace(/^leakcheck: /, ''));
  else assert.equal(result.stdout, '');
  assert.equal(lines.length, 1, result.stderr);
  assert.ok(lines[0]!.includes(file), result.stderr);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
}

describe('gzip-compressed snapshots through the CLI', () => {
  let dir: string;
  let plain: string;
  let gz: string;
  let leaky: FixtureSnapshots;
  let leakyGz: string[];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leakcheck-cli-gzip-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    // writeLiveSnapshot removes its dir through the hook object it is given: keep it to process exit.
    const exitHooks = { after: (fn: () => void) => { process.once('exit', fn); } };
    [plain, leaky] = await Promise.all([
      writeLiveSnapshot(exitHooks, `globalThis.kept = Array.from({ length: 3000 }, (_, i) => ({ i, name: 'n' + i }));`),
      runFixture('listener-per-request'),
    ]);
    gz = await gzipFile(plain, join(dir, 'live.heapsnapshot.gz'));
    leakyGz = await Promise.all(leaky.all.map((path) => gzipFile(path, join(dir, `${basename(path)}.gz`))));
  });

  test('inspect --json on the .gz prints what it prints for the plain file (but file and fileBytes)', async () => {
    const [a, b] = await Promise.all([runCli(['inspect', plain, '--json', '--top', '15']), runCli(['inspect', gz, '--json', '--top', '15'])]);
    assert.equal(a.status, 0, a.stderr);
    assert.equal(b.status, 0, b.stderr);
    const [fromPlain, fromGz] = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
    assert.equal(fromGz.file, gz);
    assert.ok(fromGz.fileBytes < fromPlain.fileBytes / 2, `${fromGz.fileBytes} vs ${fromPlain.fileBytes}`);
    for (const report of [fromPlain, fromGz]) {
      delete report.file;
      delete report.fileBytes;
    }
    assert.deepEqual(fromGz, fromPlain);
    const human = await runCli(['inspect', gz, '--top', '3']);
    assert.equal(human.status, 0, human.stderr);
    assert.match(human.stdout, /Top 3 classes by retained size/);
  });

  test('a truncated .gz exits 2 with one line naming the file', async () => {
    const bytes = readFileSync(gz);
    const cut = join(dir, 'cut.heapsnapshot.gz');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    assertOneLineError(await runCli(['inspect', cut]), cut, /the gzip stream ends before its end marker: the file is truncated \(at byte \d+\)$/);
  });

  test('a corrupt .gz exits 2 with one line naming the file', async () => {
    const bytes = Buffer.from(readFileSync(gz));
    for (let i = 200; i < 260; i++) bytes[i] ^= 0x5a;
    const corrupt = join(dir, 'corrupt.heapsnapshot.gz');
    writeFileSync(corrupt, bytes);
    assertOneLineError(await runCli(['inspect', corrupt, '--json']), corrupt, /(gzip data is corrupt|at decompressed byte \d+)/, true);
  });

  test('a well-formed .gz of a cut snapshot names the decompressed offset', async () => {
    const bytes = readFileSync(plain);
    const raw = join(dir, 'cut-raw.heapsnapshot');
    const at = Math.floor(bytes.length * 0.7);
    writeFileSync(raw, bytes.subarray(0, at));
    const packed = await gzipFile(raw, join(dir, 'cut-inside.heapsnapshot.gz'));
    assertOneLineError(await runCli(['inspect', packed]), packed, new RegExp(`truncated \\(at decompressed byte ${at}\\)$`));
  });

  test('diff on three gzipped snapshots gives the findings of the plain ones', async () => {
    const [a, b] = await Promise.all([runCli(['diff', ...leaky.all, '--json']), runCli(['diff', ...leakyGz, '--json'])]);
    assert.equal(a.status, 1, a.stderr);
    assert.equal(b.status, 1, b.stderr);
    const [fromPlain, fromGz] = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
    assert.deepEqual(fromGz.snapshots.map((s: { path: string }) => s.path), leakyGz);
    for (const result of [fromPlain, fromGz]) for (const snapshot of result.snapshots) delete snapshot.path;
    assert.ok(fromGz.findings.some((f: { kind: string }) => f.kind === 'duplicate-listeners'));
    assert.deepEqual(fromGz, fromPlain);
  });

  test('diff: a corrupt earlier .gz (loaded in the worker thread) exits 2 with one line naming it', async () => {
    const bytes = readFileSync(leakyGz[0]!);
    const cut = join(dir, 'base-cut.heapsnapshot.gz');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    assertOneLineError(await runCli(['diff', cut, leakyGz[1]!, leakyGz[2]!]), cut, /the file is truncated \(at byte \d+\)$/);
    // A parser error inside the worker keeps its "decompressed" offset across the thread handoff.
    const text = join(dir, 'text.heapsnapshot.gz');
    writeFileSync(text, gzipSync('{"nodes": 42}'));
    assertOneLineError(await runCli(['diff', text, leakyGz[1]!, leakyGz[2]!]), text, /\(at decompressed byte \d+\)$/);
  });
});
