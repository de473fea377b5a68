/**
 * Part 5 of `npm run bench:faults`: the push server's fault replays, repeated. The replays live in
 * test/server (one test per fault of issue 14, each with a real server process, real sockets and,
 * for the bus, a private redis-server): a client that pipelines and never reads, trickled and
 * endless bodies, bad heads, auth, Redis down at start, Redis reader cuts during a flood, a node
 * behind the bus window, slow stream consumers. npm test runs each once; here they run
 * BENCH_SERVER_ROUNDS times (default 3), so a fault that holds only most of the time shows. The
 * flood cases print "<n> lost, <n> duplicated" as a test diagnostic: those are summed.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../test/helpers/paths.js';
import type { SuiteRow } from './fault-row.js';

const ROUNDS = Number(process.env['BENCH_SERVER_ROUNDS'] ?? 3);
const ROUND_TIMEOUT_MS = 300_000;
const FILES = ['faults', 'fanout', 'slow-consumer', 'bad-requests'].map((name) => join(repoRoot, 'dist', 'test', 'server', `${name}.test.js`));

export async function runServerFaults(): Promise<SuiteRow> {
  const started = Date.now();
  let cases = 0;
  let passed = 0;
  let failed = 0;
  let hangs = 0;
  let lost = 0;
  let duplicated = 0;
  const problems: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const { tap, timedOut } = await runTap(FILES);
    if (timedOut) {
      hangs++;
      problems.push(`round ${round}: no end within ${ROUND_TIMEOUT_MS / 1000} s`);
    }
    const count = (key: string) => Number(new RegExp(`^# ${key} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
    cases += count('tests');
    passed += count('pass');
    failed += count('fail');
    const floods = [...tap.matchAll(/(\d+) lost, (\d+) duplicated/g)];
    for (const match of floods) {
      lost += Number(match[1]);
      duplicated += Number(match[2]);
    }
    // A flood that printed no count would make "0 lost" say nothing.
    if (floods.length === 0) {
      failed++;
      problems.push(`round ${round}: no flood case reported its lost and duplicated messages`);
    }
    for (const match of tap.matchAll(/^not ok \d+ - (.*)$/gm)) problems.push(`round ${round}: ${match[1]}`);
    process.stderr.write(`  server faults round ${round}: ${count('pass')} of ${count('tests')} passed\n`);
  }
  return {
    suite: `server faults (test/server replays x${ROUNDS})`, cases, clean: passed, loaded: 0, wrong: failed, crashes: 0, hangs, lost, duplicated,
    wallMs: Date.now() - started, cpuMs: undefined, problems,
  };
}

function runTap(files: readonly string[]): Promise<{ tap: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--test', '--test-reporter=tap', ...files], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'ignore'] });
    let tap = '';
    let timedOut = false;
    child.stdout!.setEncoding('utf8').on('data', (text: string) => { tap += text; });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, ROUND_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', () => {
      clearTimeout(timer);
      resolve({ tap, timedOut });
    });
  });
}
