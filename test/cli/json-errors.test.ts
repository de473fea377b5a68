import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { wantsJson } from '../../cli/exit-codes.js';
import { repoRoot } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';
import { tmpDir } from '../helpers/tmp-dir.js';

// Issue 9: with --json a CI parser reads stdout, so an error must be JSON there too (and still a line on stderr).
test('with --json an input error prints {"error":{"code","message"}} on stdout and exits 2', async (t) => {
  const missing = join(tmpDir(t), 'missing.heapsnapshot');
  const result = await runCli(['inspect', missing, '--json']);
  assert.equal(result.status, 2);
  assert.deepEqual(JSON.parse(result.stdout), { error: { code: 'ERR_FILE_UNREADABLE', message: `${missing}: cannot read the snapshot: no such file` } });
  assert.match(result.stderr, /^leakcheck: .*missing\.heapsnapshot: cannot read the snapshot/);
});

test('with --json a usage error is JSON on stdout too; without --json stdout stays empty', async () => {
  const json = await runCli(['diff', 'only-one.heapsnapshot', '--json']);
  assert.equal(json.status, 2);
  const parsed = JSON.parse(json.stdout) as { error: { code: string; message: string } };
  assert.equal(parsed.error.code, 'ERR_USAGE');
  assert.ok(parsed.error.message.length > 0 && !parsed.error.message.includes('\n'));
  const plain = await runCli(['diff', 'only-one.heapsnapshot']);
  assert.equal(plain.status, 2);
  assert.equal(plain.stdout, '');
});

test('--json counts only before `--` (the target\'s own flags are not leakcheck\'s), and the last of --json/--no-json wins', () => {
  assert.equal(wantsJson(['run', '--', 'node', 'app.js', '--json']), false);
  assert.equal(wantsJson(['run', '--json', '--', 'node', 'app.js']), true);
  assert.equal(wantsJson(['diff', '--json', '--no-json']), false);
  assert.equal(wantsJson(['diff', '--json=true']), true);
});

test('--version prints leakcheck\'s own version, not that of the project it runs in', async (t) => {
  const project = tmpDir(t);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'someone-elses-app', version: '9.8.7' }));
  const own = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
  const result = await runCli(['--version'], project);
  assert.equal(result.status, 0);
  assert.equal(result.stdout.trim(), own);
});
