// Node 20's `node --test <dir>` runs every .js file in the dir (helpers too) and has no globs,
// so this lists dist/test/**/*.test.js and hands them to the built-in runner.
// `node scripts/run-tests.mjs snapshot cli` runs only test files whose path contains a word.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const testDir = join(root, 'dist', 'test');
const filters = process.argv.slice(2);

function walk(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const files = walk(testDir).filter((f) => filters.length === 0 || filters.some((w) => relative(testDir, f).includes(w)));
if (files.length === 0) {
  process.stderr.write(`no test files under ${testDir} match ${filters.join(' ')}\n`);
  process.exit(2);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
