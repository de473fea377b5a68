import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { tmpDir } from './tmp-dir.js';

/**
 * Runs `programSource` (an ES module body; top-level await allowed) in a child `node` and returns
 * the heap snapshots it wrote, in order, from a temp dir removed when the test ends.
 *
 * The program gets a global `snapshot()` that writes the next snapshot (v8.writeHeapSnapshot)
 * and returns its path; call it between phases to get several snapshots of one process (ids
 * are comparable across them). A program that never calls it gets one snapshot at its end.
 * Keep what should be in the heap reachable (e.g. on globalThis). `--expose-gc` is on: call
 * `gc()` when a test needs garbage gone. Rejects if the child fails or runs over `timeoutMs`.
 *
 *   const [before, after] = await writeLiveSnapshots(t, `
 *     globalThis.list = []; snapshot();
 *     for (let i = 0; i < 100; i++) globalThis.list.push({ i }); snapshot();`);
 */
export async function writeLiveSnapshots(
  t: Pick<TestContext, 'after'>,
  programSource: string,
  options: { timeoutMs?: number; nodeArgs?: string[] } = {},
): Promise<string[]> {
  const dir = tmpDir(t, 'leakcheck-live-');
  const program = join(dir, 'program.mjs');
  writeFileSync(program, `import { writeHeapSnapshot as __write } from 'node:v8';
import { join as __join } from 'node:path';
let __count = 0;
globalThis.snapshot = () => __write(__join(${JSON.stringify(dir)}, \`live-\${String(++__count).padStart(2, '0')}.heapsnapshot\`));
${programSource}
;if (__count === 0) globalThis.snapshot();
`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', ...(options.nodeArgs ?? []), program], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => { stderr += text; });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`snapshot program exited with ${signal ?? code}: ${stderr.trim().slice(-2000)}`));
    });
  });
  return readdirSync(dir).filter((name) => name.endsWith('.heapsnapshot')).sort().map((name) => join(dir, name));
}

/** One snapshot: the first one the program wrote (see writeLiveSnapshots). */
export async function writeLiveSnapshot(t: Pick<TestContext, 'after'>, programSource: string, options: { timeoutMs?: number; nodeArgs?: string[] } = {}): Promise<string> {
  const [first] = await writeLiveSnapshots(t, programSource, options);
  if (first === undefined) throw new Error('the snapshot program wrote no snapshot');
  return first;
}
