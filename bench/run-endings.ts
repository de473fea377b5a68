/**
 * Part 4 of `npm run bench:faults`: how `leakcheck run` ends when the run does not go to plan.
 * Each case runs the CLI as a real process on a small HTTP target written for it, and checks:
 * the exit status it must have; the report it must write (report.json with one of the expected
 * outcomes, 'not-measured' for a target that never got ready; none only after SIGKILL to leakcheck); no stack trace on stderr; no hang (killed after
 * CASE_TIMEOUT_MS); and processes left 0. Every process of a case carries a marker in its
 * environment (LEAKCHECK_FAULT_CASE=<id>, inherited by the target and whatever it starts), so the
 * ones still alive 5 s after leakcheck ended are found in /proc by that marker, counted, and
 * killed by pid.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from '../test/helpers/paths.js';

export interface EndingCase {
  readonly name: string;
  /** Statements of the target: `onStart` runs before it listens, `onRequest` on each request (`n` counts them). */
  readonly onStart?: string;
  readonly onRequest?: string;
  readonly flags?: readonly string[];
  /** Send this signal to leakcheck once stderr matches `after` (plus `delayMs`). */
  readonly signal?: { readonly name: NodeJS.Signals; readonly after: RegExp; readonly delayMs?: number };
  readonly exits: readonly number[];
  /** Outcomes report.json may have; undefined: no report is expected (SIGKILL to leakcheck). */
  readonly outcomes?: readonly string[];
  /** What the last line on stderr must say. */
  readonly lastLine?: RegExp;
}

export type EndingOutcome = 'clean' | 'wrong' | 'hang';

export interface EndingResult {
  readonly outcome: EndingOutcome;
  readonly status: number | null;
  readonly processesLeft: number;
  readonly detail: string;
  readonly wallMs: number;
}

const CASE_TIMEOUT_MS = 150_000;
const LEFTOVER_GRACE_MS = 5_000;
const MARKER = 'LEAKCHECK_FAULT_CASE';
/** Small phases: a case is about how the run ends, not what it measures. */
const PLAN = ['--requests', '400', '--warmup-requests', '200', '--concurrency', '4'];
const TOTAL_REQUESTS = 200 + 2 * 400;

function targetSource(c: EndingCase): string {
  return `import { createServer } from 'node:http';
import { spawn } from 'node:child_process';
import { PerformanceObserver, constants } from 'node:perf_hooks';
void spawn; void PerformanceObserver; void constants;
let n = 0;
${c.onStart ?? ''}
const server = createServer((req, res) => {
  n++;
  ${c.onRequest ?? ''}
  res.end('ok');
});
server.listen(0, '127.0.0.1');
`;
}

/** Every moment a run can end early, and the ways it can be stopped. */
export function endingCases(): EndingCase[] {
  const crashed = { exits: [2], outcomes: ['crashed'] } as const;
  const cases: EndingCase[] = [
    {
      name: 'crash before listening', onStart: 'process.exit(3);', exits: [2], outcomes: ['not-measured'],
      lastLine: /^leakcheck: the target exited with code 3 before it was ready$/,
    },
  ];
  // Requests 1-200 are the warm-up, 201-600 load1, 601-1000 load2: the first, a middle and the last of each.
  for (const at of [1, 100, 199, 200, 201, 400, 600, 601, 800, TOTAL_REQUESTS - 1]) {
    cases.push({ name: `crash at request ${at}`, onRequest: `if (n === ${at}) process.exit(3);`, ...crashed });
  }
  cases.push({ name: 'SIGKILL itself at request 300', onRequest: "if (n === 300) process.kill(process.pid, 'SIGKILL');", ...crashed });
  // Forced GCs: the checkpoints (4 per load phase, 1 after the warm-up, each with its snapshot at a boundary).
  for (let k = 1; k <= 9; k++) {
    cases.push({
      name: `crash at forced GC ${k} (checkpoint)`, flags: ['--no-memwatch'],
      onStart: `let forced = 0; new PerformanceObserver((list) => { for (const e of list.getEntries()) if (e.detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED && ++forced === ${k}) process.exit(3); }).observe({ entryTypes: ['gc'] });`,
      ...crashed,
    });
  }
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    cases.push({ name: `${name} to leakcheck in the warm-up`, signal: { name, after: /phase warmup…/ }, exits: [2], outcomes: ['interrupted'] });
    cases.push({ name: `${name} to leakcheck in load1`, signal: { name, after: /phase load1…/, delayMs: 300 }, exits: [2], outcomes: ['interrupted'] });
    // The target is stopped by then: the run may finish its verdict, or report the interruption.
    cases.push({ name: `${name} to leakcheck during the analysis`, signal: { name, after: /comparing heap snapshots/ }, exits: [0, 2], outcomes: ['clean', 'interrupted'] });
  }
  cases.push({
    name: 'SIGTERM to leakcheck before the target listens', onStart: 'await new Promise((resolve) => setTimeout(resolve, 60_000));',
    signal: { name: 'SIGTERM', after: /started target/, delayMs: 300 }, exits: [2], outcomes: ['not-measured'],
  });
  cases.push({ name: 'SIGKILL to leakcheck in load1', signal: { name: 'SIGKILL', after: /phase load1…/, delayMs: 300 }, exits: [137, -9] });
  cases.push(
    {
      name: 'detached grandchild holding stdout', exits: [0], outcomes: ['clean'],
      onStart: "spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: ['ignore', 'inherit', 'inherit'] }).unref();",
    },
    {
      name: 'child that ignores SIGTERM', exits: [0], outcomes: ['clean'],
      onStart: "spawn(process.execPath, ['-e', \"process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)\"], { stdio: 'ignore' });",
    },
    {
      name: 'target exits mid-run, its child stays', ...crashed,
      onStart: "spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });",
      onRequest: 'if (n === 300) process.exit(3);',
    },
    { name: 'event loop blocked before listening', onStart: 'for (;;) {}', flags: ['--start-timeout', '5'], exits: [2], outcomes: ['not-measured'], lastLine: /^leakcheck: / },
    { name: 'event loop blocked at request 300', onRequest: 'if (n === 300) for (;;) {}', flags: ['--phase-timeout', '15'], exits: [2], outcomes: ['inconclusive'] },
  );
  return cases;
}

export async function runEndingCase(c: EndingCase): Promise<EndingResult> {
  const dir = mkdtempSync(join(tmpdir(), 'leakcheck-ending-'));
  const marker = randomUUID();
  const started = Date.now();
  try {
    const app = join(dir, 'target.mjs');
    writeFileSync(app, targetSource(c));
    const out = join(dir, 'r');
    const child = spawn(process.execPath, [cliPath, 'run', ...PLAN, ...(c.flags ?? []), '--out', out, '--', process.execPath, app], {
      cwd: dir, env: { ...process.env, NO_COLOR: '1', GITHUB_ACTIONS: '', [MARKER]: marker }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let signalled = false;
    child.stdout!.resume();
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
      if (c.signal && !signalled && c.signal.after.test(stderr)) {
        signalled = true;
        setTimeout(() => child.kill(c.signal!.name), c.signal.delayMs ?? 0);
      }
    });
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, CASE_TIMEOUT_MS);
    const status = await new Promise<number | null>((resolve) => child.once('close', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? -9 : null))));
    clearTimeout(timer);
    const processesLeft = await leftovers(marker);
    const wallMs = Date.now() - started;
    const wrong = (detail: string): EndingResult => ({ outcome: 'wrong', status, processesLeft, detail, wallMs });
    if (hung) return { outcome: 'hang', status, processesLeft, detail: `no exit within ${CASE_TIMEOUT_MS / 1000} s`, wallMs };
    if (c.signal && !signalled) return wrong(`never reached ${c.signal.after}: ${lastLine(stderr)}`);
    if (!c.exits.includes(status ?? -1)) return wrong(`exit ${status} (expected ${c.exits.join(' or ')}): ${lastLine(stderr)}`);
    if (/\n\s+at .+:\d+:\d+\)?\n/.test(stderr)) return wrong(`a stack trace on stderr: ${lastLine(stderr)}`);
    if (c.lastLine && !c.lastLine.test(lastLine(stderr))) return wrong(`last line on stderr does not match ${c.lastLine}: ${lastLine(stderr)}`);
    const reportFile = join(out, 'report.json');
    if (c.outcomes !== undefined) {
      if (!existsSync(reportFile)) return wrong(`no report.json: ${lastLine(stderr)}`);
      const outcome = (JSON.parse(readFileSync(reportFile, 'utf8')) as { verdict: { outcome: string } }).verdict.outcome;
      if (!c.outcomes.includes(outcome)) return wrong(`outcome ${outcome} (expected ${c.outcomes.join(' or ')})`);
    }
    return { outcome: 'clean', status, processesLeft, detail: lastLine(stderr), wallMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1) ?? '';
}

/** Processes whose environment holds this case's marker, once they had LEFTOVER_GRACE_MS to go; killed by pid. */
async function leftovers(marker: string): Promise<number> {
  const deadline = Date.now() + LEFTOVER_GRACE_MS;
  let alive = markedPids(marker);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    alive = markedPids(marker);
  }
  for (const pid of alive) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  return alive.length;
}

function markedPids(marker: string): number[] {
  const needle = `${MARKER}=${marker}\0`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(needle)) pids.push(Number(entry));
    } catch {
      // another user's process, or one that just ended
    }
  }
  return pids;
}
