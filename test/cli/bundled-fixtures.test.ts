import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixtureLine } from '../detectors/fixture-snapshots.js';
import { cliPath, fixturesDir } from '../helpers/paths.js';

// fixtures/snapshots/ holds three small gzipped snapshots of fixtures/apps/listener-per-request.mjs
// (written by fixtures/make-fixtures.mjs): real input for the CLI without writing snapshots first.
const bundled = ['base', 'target', 'final'].map((phase) => join(fixturesDir, 'snapshots', `listener-per-request-${phase}.heapsnapshot.gz`));

function runCli(args: string[]) {
  return spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });
}

test('the bundled snapshots are gzip files under 2 MB each', () => {
  for (const path of bundled) assert.ok(statSync(path).size < 2_000_000, `${path}: ${statSync(path).size} bytes`);
});

test('leakcheck diff on the bundled snapshots exits 1 and names the error listeners and onQueueError', () => {
  const result = runCli(['diff', ...bundled]);
  assert.equal(result.status, 1, result.stderr);
  const line = fixtureLine('listener-per-request', 'function onQueueError');
  assert.match(result.stdout, new RegExp(`LEAK +JobQueue 'error': [\\d,]+ listeners \\(\\+[\\d,]+\\), all onQueueError at listener-per-request\\.mjs:${line}:\\d+`));
  const json = JSON.parse(runCli(['diff', ...bundled, '--json']).stdout);
  const finding = json.findings.find((f: { kind: string }) => f.kind === 'duplicate-listeners');
  assert.ok(finding, JSON.stringify(json.findings.map((f: { title: string }) => f.title)));
  assert.equal(finding.location.functionName, 'onQueueError');
  assert.equal(finding.location.line, line);
  assert.match(finding.location.script, /listener-per-request\.mjs$/);
});

test('leakcheck inspect works on a bundled snapshot', () => {
  const result = runCli(['inspect', bundled[2]!, '--json', '--top', '5']);
  assert.equal(result.status, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.equal(report.file, bundled[2]);
  assert.ok(report.nodeCount > 10_000, String(report.nodeCount));
  assert.equal(report.classes.length, 5);
  assert.ok(report.topDominators.length > 0);
});
