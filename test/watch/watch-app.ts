import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fixturesDir, repoRoot } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp-dir.js';

export const watchLeakApp = join(fixturesDir, 'apps', 'watch-leak.mjs');
export const watchCleanApp = join(fixturesDir, 'apps', 'watch-clean.mjs');

/**
 * A temp dir whose node_modules/leakcheck is this checkout, so `import 'leakcheck/watch'` and
 * `--import leakcheck/watch` resolve through package.json's exports as they do for a user.
 */
export function projectDir(t: Pick<TestContext, 'after'>): string {
  const dir = tmpDir(t, 'leakcheck-watch-');
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(repoRoot, join(dir, 'node_modules', 'leakcheck'), 'dir');
  return dir;
}

/** Env without the variables that would change what the child does (an outer NODE_OPTIONS, a leftover LEAKCHECK_*). */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (key !== 'NODE_OPTIONS' && !key.startsWith('LEAKCHECK_')) env[key] = value;
  return { ...env, ...extra };
}

export function writeScript(dir: string, name: string, source: string): string {
  const path = join(dir, name);
  writeFileSync(path, source);
  return path;
}

/** Runs a child to its end (bounded), stdout split into JSON lines. */
export function runJsonLines(args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 30_000): { lines: Array<Record<string, any>>; result: SpawnSyncReturns<string> } {
  const result = spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8', timeout: timeoutMs });
  const lines = result.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);
  return { lines, result };
}

/** Starts a child and resolves when `done()` says so about the file it writes, or rejects after `timeoutMs`; the child is killed either way. */
export async function runUntil(args: string[], cwd: string, env: NodeJS.ProcessEnv, done: () => boolean, timeoutMs = 30_000): Promise<{ stderr: string; exitCode: number | null }> {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  while (!done() && exitCode === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (exitCode === undefined) child.kill('SIGKILL');
  await exited;
  return { stderr, exitCode: exitCode ?? null };
}

// The user's side of leakcheck/watch: a script that imports it by its package name, starts a
// fixture app in the same process and prints every event as a JSON line. Exits at the first leak
// event (LEAK=stop), after RUN_MS, or once the heap diff is printed.
export const apiDriver = `
import { watchMemory } from 'leakcheck/watch';
const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const watcher = watchMemory({ memwatch: process.env.MW !== '0' });
out({ type: 'hello', source: watcher.source, memwatch: watcher.memwatch });
watcher.on('stats', (stats) => out({ type: 'stats', stats }));
watcher.on('leak', (leak) => { out({ type: 'leak', leak }); if (process.env.LEAK === 'stop') process.exit(0); });
await import(process.env.APP);
if (process.env.DIFF) {
  await new Promise((r) => setTimeout(r, 200));
  const diff = watcher.heapDiff();
  await new Promise((r) => setTimeout(r, 400));
  out({ type: 'diff', diff: await diff.end() });
  process.exit(0);
}
setTimeout(() => { watcher.stop(); process.exit(0); }, Number(process.env.RUN_MS ?? 4000));
`;

// No code change: the fixture apps know nothing of leakcheck; NODE_OPTIONS brings the watcher in
// by the package name the issue gives, `--import leakcheck/watch`.
export const importEnv = (extra: Record<string, string>) => cleanEnv({ NODE_OPTIONS: '--import leakcheck/watch', ...extra });
export const readLog = (path: string): Array<Record<string, any>> => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
