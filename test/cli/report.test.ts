import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliPath, fixturesDir } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp-dir.js';

function runCli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('report re-renders a saved run as text, JSON and HTML, and exits by its verdict', async (t) => {
  const dir = tmpDir(t);
  const out = join(dir, 'r');
  const run = await runCli(['run', '--requests', '300', '--warmup-requests', '100', '--no-snapshots', '--out', out, '--', process.execPath, join(fixturesDir, 'apps', 'http-listener-leak.mjs')]);
  assert.equal(run.status, 1, run.stderr);
  const saved = join(out, 'report.json');

  const text = await runCli(['report', saved]);
  assert.equal(text.status, 1);
  assert.equal(text.stdout, run.stdout);
  const byDir = await runCli(['report', out]);
  assert.equal(byDir.stdout, run.stdout, 'the report directory works as well as report.json');

  const json = await runCli(['report', saved, '--json']);
  assert.equal(json.status, 1);
  assert.equal(json.stdout, readFileSync(saved, 'utf8'));

  const html = join(dir, 'again.html');
  const page = await runCli(['report', saved, '--html', html]);
  assert.equal(page.status, 1);
  assert.equal(readFileSync(html, 'utf8'), readFileSync(join(out, 'report.html'), 'utf8'));
});

test('report on a file that is not a run report exits 2 naming the file', async (t) => {
  const dir = tmpDir(t);
  const bad = join(dir, 'other.json');
  writeFileSync(bad, JSON.stringify({ hello: 'world' }));
  const result = await runCli(['report', bad]);
  assert.equal(result.status, 2);
  assert.match(result.stderr, new RegExp(`${bad}: not a leakcheck run report`));
  const future = join(dir, 'future.json');
  writeFileSync(future, JSON.stringify({ schemaVersion: 99, tool: { name: 'leakcheck' } }));
  const version = await runCli(['report', future]);
  assert.equal(version.status, 2);
  assert.match(version.stderr, /schema version 99 is not supported/);
  const missing = await runCli(['report', join(dir, 'nope.json')]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /nope\.json: cannot read the report: no such file/);
});

test('report on a report.json with a verdict reason kind or outcome it does not know refuses it in one line, exit 2, and writes no page', async (t) => {
  const dir = tmpDir(t);
  const saved = JSON.parse(readFileSync(join(fixturesDir, 'reports', 'leak.json'), 'utf8'));
  const cases: Array<[string, (report: { verdict: { outcome: string; reasons: Array<{ kind: string }> } }) => void, RegExp]> = [
    ['reason', (r) => { r.verdict.reasons[1]!.kind = 'heap-vibes'; }, /verdict reason 1 has kind "heap-vibes", unknown to this leakcheck \(the report was written by leakcheck [\d.]+\) \(known: heap-trend, /],
    ['outcome', (r) => { r.verdict.outcome = 'mostly-fine'; }, /verdict outcome "mostly-fine" is unknown to this leakcheck \(known: leak, clean, crashed, inconclusive, interrupted, not-measured\)/],
  ];
  for (const [name, damage, message] of cases) {
    const report = structuredClone(saved);
    damage(report);
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(report));
    const html = join(dir, `${name}.html`);
    const result = await runCli(['report', file, '--html', html]);
    assert.equal(result.status, 2, name);
    assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`^leakcheck: ${file}: `));
    assert.match(result.stderr, message);
    assert.equal(existsSync(html), false, 'no broken page');
  }
  const intact = await runCli(['report', join(fixturesDir, 'reports', 'leak.json')]);
  assert.equal(intact.status, 1, `the undamaged fixture still renders: ${intact.stderr}`);
});
