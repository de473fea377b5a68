import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliPath, fixturesDir, repoRoot } from '../helpers/paths.js';
import { runProcess, type CliResult } from '../helpers/run-cli.js';
import { tmpDir } from '../helpers/tmp-dir.js';
import { elementsNamed, parseXml, type XmlElement } from '../helpers/xml.js';

const snapshots = ['base', 'target', 'final'].map((k) => join(fixturesDir, 'snapshots', `listener-per-request-${k}.heapsnapshot.gz`));
const app = (name: string) => join(fixturesDir, 'apps', `${name}.mjs`);
const small = ['--requests', '300', '--warmup-requests', '300', '--concurrency', '4'];

/** The CLI with GitHub's variables cleared (the tests may themselves run in GitHub Actions), then `env`. */
function leakcheck(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const clear = { GITHUB_ACTIONS: '', GITHUB_WORKSPACE: '', GITHUB_STEP_SUMMARY: '', CI_PROJECT_DIR: '' };
  return runProcess(process.execPath, [cliPath, ...args], { cwd: repoRoot, env: { ...clear, ...env } });
}

const testcases = (xml: XmlElement) => elementsNamed(xml, 'testcase');
const outcome = (testcase: XmlElement) => testcase.children.find((c) => c.name !== 'system-out')?.name ?? 'passed';

test('a leaking diff writes every reporter; one that cannot be written is one line on stderr and the exit stays 1', async (t) => {
  const dir = tmpDir(t);
  // GITHUB_ACTIONS=true alone turns the annotations on; with --json they go to stderr and stdout stays one JSON object.
  const json = await leakcheck(['diff', ...snapshots, '--json'], { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: dir });
  assert.equal(json.status, 1, json.stderr);
  const script: string = JSON.parse(json.stdout).findings[0].location.script;
  assert.match(json.stderr, /^::error title=leakcheck%3A JobQueue 'error' listeners from onQueueError::leak: JobQueue 'error': 320 listeners/m,
    'a script outside the workspace gets no file=');
  // The workspace the bundled snapshots were taken in: their paths are relative to it.
  const workspace = script.slice(0, script.indexOf('/fixtures/apps/'));

  const summary = join(dir, 'summary.md');
  writeFileSync(summary, '## an earlier step\n');
  writeFileSync(join(dir, 'plain-file'), '');
  const junit = join(dir, 'new', 'folder', 'junit.xml');
  const markdown = join(dir, 'leaks.md');
  const blocked = join(dir, 'plain-file', 'junit.xml');
  const result = await leakcheck(
    ['diff', ...snapshots, '--reporter', `junit=${junit}`, '--reporter', `markdown=${markdown}`, '--reporter', 'github', '--reporter', `junit=${blocked}`],
    { GITHUB_WORKSPACE: workspace, GITHUB_STEP_SUMMARY: summary },
  );
  assert.equal(result.status, 1, 'a leak stays exit 1 when a report cannot be written');
  assert.equal(result.stderr, `leakcheck: ${blocked}: cannot write the JUnit report: a part of the path is not a directory (ENOTDIR)\n`);
  assert.match(result.stdout, /^LEAK: 1 finding crossed the thresholds/m, 'the summary is still printed');

  const xml = parseXml(readFileSync(junit, 'utf8'));
  const [suite] = elementsNamed(xml, 'testsuite');
  assert.deepEqual(['tests', 'failures', 'errors'].map((k) => suite!.attributes[k]), ['5', '1', '0']);
  const leak = testcases(xml)[0]!;
  assert.deepEqual([leak.attributes['classname'], leak.attributes['file'], leak.attributes['line']], ['leakcheck.duplicate-listeners', 'fixtures/apps/listener-per-request.mjs', '23']);
  assert.equal(outcome(leak), 'failure');
  assert.match(leak.children[0]!.text, /at onQueueError .*listener-per-request\.mjs:23:42\nretainer path: .*JobQueue\._events\.error\[\d+\] → onQueueError\(\)/);
  assert.deepEqual(testcases(xml).slice(1).map(outcome), ['passed', 'passed', 'passed', 'passed']);

  const annotation = result.stdout.split('\n').find((line) => line.startsWith('::'));
  assert.match(annotation!, /^::error file=fixtures\/apps\/listener-per-request\.mjs,line=23,col=42,title=leakcheck%3A JobQueue 'error' listeners from onQueueError::leak: .*%0Aretainer path: /);
  const md = readFileSync(markdown, 'utf8');
  assert.match(md, /^### ❌ leakcheck diff .*: LEAK: 1 finding crossed the thresholds/);
  assert.match(md, /^\| ❌ \| JobQueue 'error' listeners from onQueueError \| leak: /m);
  assert.equal(readFileSync(summary, 'utf8'), `## an earlier step\n${md}\n`, 'the job summary is appended to, never replaced');
});

test('a clean diff whose report cannot be written exits 2 with one line; its JUnit report passes', async (t) => {
  const junit = join(tmpDir(t), 'junit.xml');
  const result = await leakcheck(['diff', ...snapshots, '--detector', 'class-growth', '--reporter', `junit=${junit}`, '--reporter', 'markdown=/dev/full']);
  assert.equal(result.status, 2);
  assert.equal(result.stderr, 'leakcheck: /dev/full: cannot write the Markdown report: no space left on the device (ENOSPC)\n');
  assert.match(result.stdout, /^clean: nothing crossed the thresholds/m);
  const xml = parseXml(readFileSync(junit, 'utf8'));
  assert.deepEqual(['failures', 'errors'].map((k) => xml.attributes[k]), ['0', '0']);
  assert.ok(testcases(xml).every((tc) => outcome(tc) === 'passed'));
});

test('a bad --reporter is a usage error before any work: exit 2, one line', async (t) => {
  const dir = tmpDir(t);
  const cases: Array<[string[], RegExp]> = [
    [['--reporter', 'junit'], /--reporter junit needs a file: junit=<file>/],
    [['--reporter', 'markdown='], /--reporter markdown needs a file/],
    [['--reporter', 'sarif=x.json'], /--reporter: unknown reporter 'sarif' \(known: junit=<file>, markdown=<file>, github, none\)/],
    [['--reporter', 'github=x'], /--reporter github takes no file/],
    [['--reporter', `junit=${dir}/a.xml`, '--reporter', `markdown=${dir}/a.xml`], /--reporter: junit and markdown would both write/],
    [['--reporter', 'junit=-'], /write it to a file/],
    [['--reporter', 'none', '--reporter', 'github'], /--reporter none and --reporter github contradict each other/],
  ];
  for (const [flags, message] of cases) {
    // A missing snapshot would be the error if the spec were checked after the inputs.
    const result = await leakcheck(['diff', join(dir, 'missing-a'), join(dir, 'missing-b'), ...flags]);
    assert.equal(result.status, 2, flags.join(' '));
    assert.match(result.stderr, message);
    assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
  }
  const run = await leakcheck(['run', '--reporter', 'xml', '--', process.execPath, app('http-clean')]);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /unknown reporter 'xml'/);
  assert.equal(existsSync(join(dir, 'a.xml')), false);
});

test('--reporter none turns off the automatic github reporter under GITHUB_ACTIONS=true; named reporters still write', async (t) => {
  const dir = tmpDir(t);
  const summary = join(dir, 'summary.md');
  const github = { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: repoRoot, GITHUB_STEP_SUMMARY: summary };
  const automatic = await leakcheck(['diff', ...snapshots], github);
  assert.equal(automatic.status, 1, automatic.stderr);
  assert.match(automatic.stdout, /^::error /m, 'the automatic reporter is on, so the opt-out below is what silences it');
  rmSync(summary);

  const markdown = join(dir, 'leaks.md');
  const result = await leakcheck(['diff', ...snapshots, '--reporter', 'none', '--reporter', `markdown=${markdown}`], github);
  assert.equal(result.status, 1, result.stderr);
  assert.doesNotMatch(result.stdout, /^::/m);
  assert.equal(existsSync(summary), false, 'no job summary either');
  assert.match(readFileSync(markdown, 'utf8'), /JobQueue 'error' listeners from onQueueError/);
});

test('a leaking run: JUnit failures for the heap trend and the finding at its line, annotations there, the job summary', async (t) => {
  const dir = tmpDir(t);
  const junit = join(dir, 'junit.xml');
  const summary = join(dir, 'summary.md');
  const result = await leakcheck(['run', ...small, '--out', join(dir, 'r'), '--reporter', `junit=${junit}`, '--', process.execPath, app('http-listener-leak')],
    { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: repoRoot, GITHUB_STEP_SUMMARY: summary });
  assert.equal(result.status, 1, result.stderr);
  const xml = parseXml(readFileSync(junit, 'utf8'));
  const [suite] = elementsNamed(xml, 'testsuite');
  assert.match(suite!.attributes['name']!, /^leakcheck run .*http-listener-leak\.mjs$/);
  assert.ok(Number(suite!.attributes['time']) > 0);
  const byName = new Map(testcases(xml).map((tc) => [tc.attributes['name'], tc]));
  assert.equal(outcome(byName.get('heap trend')!), 'failure');
  assert.match(byName.get('heap trend')!.children[0]!.attributes['message']!, /live JS heap after GC: keeps growing/);
  assert.equal(outcome(byName.get('run')!), 'passed');
  const leak = testcases(xml).find((tc) => tc.attributes['classname'] === 'leakcheck.duplicate-listeners')!;
  assert.equal(outcome(leak), 'failure');
  assert.deepEqual([leak.attributes['file'], leak.attributes['line']], ['fixtures/apps/http-listener-leak.mjs', '12']);
  assert.match(leak.children[0]!.text, /retainer path: .*onQueueError\(\)/);
  assert.match(result.stdout, /^::error title=leakcheck%3A heap trend::live JS heap after GC: keeps growing/m);
  assert.match(result.stdout, /^::error file=fixtures\/apps\/http-listener-leak\.mjs,line=12,col=\d+,title=leakcheck%3A EventEmitter 'error' listeners from onQueueError::/m);
  assert.match(readFileSync(summary, 'utf8'), /^### ❌ leakcheck run .*: LEAK\n[^]*\| ❌ \| heap trend \|/);
});

test('a crashed run is never a passing JUnit report: <error> elements, an ::error annotation, exit 2', async (t) => {
  const dir = tmpDir(t);
  const junit = join(dir, 'junit.xml');
  const result = await leakcheck(['run', ...small, '--no-snapshots', '--out', join(dir, 'r'), '--reporter', `junit=${junit}`, '--reporter', 'github', '--',
    process.execPath, app('http-crash')]);
  assert.equal(result.status, 2);
  const xml = parseXml(readFileSync(junit, 'utf8'));
  assert.ok(Number(xml.attributes['errors']) >= 1, 'at least one error');
  const run = testcases(xml).find((tc) => tc.attributes['name'] === 'run')!;
  assert.equal(outcome(run), 'error');
  assert.match(run.children[0]!.attributes['message']!, /the target ended before the run did: exited with code 1 during warmup/);
  assert.ok(testcases(xml).every((tc) => outcome(tc) !== 'passed'), 'nothing measured passes');
  assert.match(result.stdout, /^::error title=leakcheck%3A run::the target ended before the run did/m);
});

test('a run stopped by SIGTERM (a CI timeout) gives a JUnit report with an error, not a pass', async (t) => {
  const dir = tmpDir(t);
  const junit = join(dir, 'junit.xml');
  const child = spawn(process.execPath, [cliPath, 'run', '--duration', '60', '--warmup-requests', '50', '--concurrency', '2', '--no-snapshots',
    '--out', join(dir, 'r'), '--reporter', `junit=${junit}`, '--', process.execPath, app('http-clean')], { env: { ...process.env, NO_COLOR: '1', GITHUB_ACTIONS: '' } });
  let stderr = '';
  child.stdout.resume();
  const status = new Promise<number | null>((resolve) => child.once('close', resolve));
  await new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
      if (/phase load1…/.test(stderr)) resolve();
    });
  });
  child.kill('SIGTERM');
  assert.equal(await status, 2, stderr);
  const xml = parseXml(readFileSync(junit, 'utf8'));
  const run = testcases(xml).find((tc) => tc.attributes['name'] === 'run')!;
  assert.equal(outcome(run), 'error');
  assert.match(run.children[0]!.attributes['message']!, /(stopped by SIGTERM|interrupted) during load1/);
});

test('a command that ends in an error before its verdict still writes its reports, with the error as an <error>', async (t) => {
  const dir = tmpDir(t);
  const junit = join(dir, 'run.xml');
  const run = await leakcheck(['run', '--start-timeout', '1', '--out', join(dir, 'r'), '--reporter', `junit=${junit}`, '--reporter', 'github', '--',
    process.execPath, app('http-never-listens')]);
  assert.equal(run.status, 2);
  const [testcase] = testcases(parseXml(readFileSync(junit, 'utf8')));
  assert.equal(outcome(testcase!), 'error');
  assert.match(testcase!.children[0]!.attributes['message']!, /the target did not open a listening socket within 1 s/);
  assert.match(run.stdout, /^::error title=leakcheck%3A run::the target did not open a listening socket/m);

  const truncated = join(dir, 'cut.heapsnapshot');
  writeFileSync(truncated, readFileSync(snapshots[0]!).subarray(0, 2000));
  const diffXml = join(dir, 'diff.xml');
  const diff = await leakcheck(['diff', truncated, snapshots[1]!, '--reporter', `junit=${diffXml}`]);
  assert.equal(diff.status, 2);
  const xml = parseXml(readFileSync(diffXml, 'utf8'));
  assert.equal(elementsNamed(xml, 'testsuite')[0]!.attributes['name'], 'leakcheck diff cut.heapsnapshot listener-per-request-target.heapsnapshot.gz');
  assert.equal(outcome(testcases(xml)[0]!), 'error');
  assert.match(testcases(xml)[0]!.children[0]!.attributes['message']!, /cut\.heapsnapshot: /);
});
