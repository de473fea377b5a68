import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturesDir } from '../helpers/paths.js';

/** Requests (or calls) each fixture makes per phase; growth assertions are derived from it. */
export const REQUESTS_PER_PHASE = 250;

export interface FixtureSnapshots {
  readonly base: string;
  readonly target: string;
  readonly final: string;
  readonly all: [string, string, string];
}

/**
 * Runs fixtures/apps/<name>.mjs once in a real `node --expose-gc` (`env` added to its environment) and returns the three snapshots
 * it wrote (base, target, final) into a temp dir removed when the test file's process exits. Call it from a
 * `before` hook and share the result among the file's tests: snapshots are the slow part.
 */
export async function runFixture(name: string, env: Readonly<Record<string, string>> = {}): Promise<FixtureSnapshots> {
  const dir = mkdtempSync(join(tmpdir(), `leakcheck-${name.replaceAll('/', '-')}-`));
  // Removed when the test file's process exits: node:test runs each file in its own process, and
  // an after() registered inside a before() hook can run before the suite's tests.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const app = join(fixturesDir, 'apps', `${name}.mjs`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', app, dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, FIXTURE_REQUESTS: String(REQUESTS_PER_PHASE), ...env },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => { stderr += text; });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${name}.mjs exited with ${signal ?? code}: ${stderr.trim().slice(-2000)}`));
    });
  });
  const all = ['base', 'target', 'final'].map((phase) => join(dir, `${phase}.heapsnapshot`)) as [string, string, string];
  return { base: all[0], target: all[1], final: all[2], all };
}

/** 1-based line of the first line of a fixture app that contains `text` (so tests do not hard-code lines). */
export function fixtureLine(name: string, text: string): number {
  const lines = readFileSync(join(fixturesDir, 'apps', `${name}.mjs`), 'utf8').split('\n');
  const index = lines.findIndex((line) => line.includes(text));
  if (index < 0) throw new Error(`${name}.mjs has no line containing ${JSON.stringify(text)}`);
  return index + 1;
}

export function fixturePath(name: string): string {
  return join(fixturesDir, 'apps', `${name}.mjs`);
}
