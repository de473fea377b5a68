/**
 * `npm run bench:faults`: the long sweep of the fault suite (test/faults/ runs the fast half in
 * npm test). Three parts, each case classified:
 *   1. damaged snapshots in process: every damage of test/faults/damage.ts applied to a real Node
 *      snapshot (the bundled listener-per-request base, 5.2 MiB) with BENCH_TRUNCATIONS (1000)
 *      cuts, and to the small builder graph cut at every byte; read in chunks of 8 MiB, 64 KiB and
 *      4093 bytes in turn, through the whole load pipeline;
 *   2. a sample of those files (every BENCH_CLI_EVERY-th, default 40) through `leakcheck inspect`
 *      as a real process, killed after 60 s (a hang);
 *   3. every CLI misuse case of test/faults/cli-cases.ts, on the real snapshots and on the small ones;
 *   4. run endings (bench/run-endings.ts): `leakcheck run` on targets that crash at every moment
 *      (each phase's first, middle and last request, every checkpoint), SIGINT/SIGTERM/SIGHUP/SIGKILL
 *      to leakcheck, grandchildren that hold its pipes or ignore SIGTERM, blocked event loops;
 *      each checked for exit status, report, stack traces, hangs and processes left behind;
 *   5. server faults (bench/server-faults.ts): the push server's fault replays (pipelining
 *      non-readers, trickled bodies, Redis reader cuts during floods, …) run BENCH_SERVER_ROUNDS
 *      times, with the acknowledged messages lost and duplicated that the flood cases count.
 * Prints cases tried, clean errors, valid files loaded, wrong outcomes, crashes (stack traces or
 * non-LeakcheckErrors: must be 0), hangs (0) and processes left (0), with the CPU time of part 1
 * (this process) and wall time; results land in bench/results/faults.json. BENCH_PARTS (e.g.
 * "endings,server") runs only some parts: snapshots (1-2), cli (3), endings (4), server (5);
 * BENCH_ENDINGS=<text> only the run endings whose name holds it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseSnapshot, type HeapGraph } from '../src/index.js';
import { checkCase, type Outcome } from '../test/faults/check-case.js';
import { cliCases, makeCliFixtures, runAll, type CliCase, type CliOutcome, type CliResult } from '../test/faults/cli-cases.js';
import { damagedSnapshots, faultGraph, type FaultCase } from '../test/faults/damage.js';
import { fixturesDir } from '../test/helpers/paths.js';
import { endingCases, runEndingCase, type EndingCase, type EndingResult } from './run-endings.js';
import type { SuiteRow } from './fault-row.js';
import { runServerFaults } from './server-faults.js';
import { renderTable, writeResults } from './table.js';

const TRUNCATIONS = Number(process.env['BENCH_TRUNCATIONS'] ?? 1000);
const CLI_EVERY = Number(process.env['BENCH_CLI_EVERY'] ?? 40);
const CLI_TIMEOUT_MS = 60_000;
const CHUNKS = [8 * 1024 * 1024, 64 * 1024, 4093];
const PARTS = new Set((process.env['BENCH_PARTS'] ?? 'snapshots,cli,endings,server').split(',').map((part) => part.trim()));

async function inProcess(suite: string, cases: readonly FaultCase[], expected: HeapGraph): Promise<SuiteRow> {
  const started = Date.now();
  const cpu = process.cpuUsage();
  const counts: Record<Outcome, number> = { 'clean error': 0, loaded: 0, 'wrong outcome': 0, crash: 0 };
  const problems: string[] = [];
  for (const [index, fault] of cases.entries()) {
    const result = await checkCase(fault, 'damaged.heapsnapshot', CHUNKS[index % CHUNKS.length]!, expected);
    counts[result.outcome]++;
    if (result.outcome === 'crash' || result.outcome === 'wrong outcome') problems.push(`${fault.name}: ${result.outcome}: ${result.detail.split('\n')[0]}`);
  }
  const used = process.cpuUsage(cpu);
  return {
    suite, cases: cases.length, clean: counts['clean error'], loaded: counts.loaded, wrong: counts['wrong outcome'], crashes: counts.crash, hangs: 0,
    wallMs: Date.now() - started, cpuMs: (used.user + used.system) / 1000, problems,
  };
}

function cliRow(suite: string, results: ReadonlyMap<CliCase, CliResult>, started: number): SuiteRow {
  const counts: Record<CliOutcome, number> = { clean: 0, wrong: 0, crash: 0, hang: 0 };
  const problems: string[] = [];
  let loaded = 0;
  for (const [c, r] of results) {
    counts[r.outcome]++;
    if (r.outcome === 'clean' && c.status !== 2) loaded++;
    if (r.outcome !== 'clean') problems.push(`${c.name}: ${r.outcome}, exit ${r.status}: ${r.stderr.trim().split('\n')[0]}`);
  }
  return {
    suite, cases: results.size, clean: counts.clean - loaded, loaded, wrong: counts.wrong, crashes: counts.crash, hangs: counts.hang,
    wallMs: Date.now() - started, cpuMs: undefined, problems,
  };
}

/** The cases two at a time (each mostly waits on its target). */
async function endingsRow(cases: readonly EndingCase[]): Promise<SuiteRow> {
  const started = Date.now();
  const results: Array<[EndingCase, EndingResult]> = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++]!;
      const result = await runEndingCase(c);
      process.stderr.write(`  ${c.name}: ${result.outcome}, exit ${result.status}, ${result.processesLeft} left, ${(result.wallMs / 1000).toFixed(1)} s\n`);
      results.push([c, result]);
    }
  };
  await Promise.all([worker(), worker()]);
  const count = (outcome: EndingResult['outcome']) => results.filter(([, r]) => r.outcome === outcome).length;
  return {
    suite: 'run endings (leakcheck run, real targets)', cases: results.length, clean: count('clean'), loaded: 0, wrong: count('wrong'), crashes: 0, hangs: count('hang'),
    left: results.reduce((sum, [, r]) => sum + r.processesLeft, 0), wallMs: Date.now() - started, cpuMs: undefined,
    problems: results.filter(([, r]) => r.outcome !== 'clean' || r.processesLeft > 0).map(([c, r]) => `${c.name}: ${r.outcome}, ${r.processesLeft} left: ${r.detail}`),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'leakcheck-faults-'));
  try {
    const real = gunzipSync(readFileSync(join(fixturesDir, 'snapshots', 'listener-per-request-base.heapsnapshot.gz')));
    const realPath = join(dir, 'real.heapsnapshot');
    writeFileSync(realPath, real);
    const small = Buffer.from(faultGraph().toJson(), 'utf8');
    const smallPath = join(dir, 'small-good.heapsnapshot');
    writeFileSync(smallPath, small);
    const realCases = damagedSnapshots(real, { truncations: TRUNCATIONS });
    const smallCases = damagedSnapshots(small, { truncations: small.length });
    const rows: SuiteRow[] = [];
    if (PARTS.has('snapshots')) {
      rows.push(await inProcess('damaged real snapshot, in process', realCases, await parseSnapshot(realPath)));
      rows.push(await inProcess('damaged small snapshot, in process', smallCases, await parseSnapshot(smallPath)));
    }

    // A damage that may leave a valid file has no one right exit status: those stay in part 1.
    const sample = [...realCases, ...smallCases].filter((fault, index) => index % CLI_EVERY === 0 && !fault.mayLoad);
    const inspectCases: CliCase[] = sample.map((fault, index) => {
      const file = join(dir, `damaged-${index}.heapsnapshot`);
      writeFileSync(file, fault.bytes);
      return { name: `inspect: ${fault.name}`, args: ['inspect', file, '--top', '1'], status: fault.codes.length === 0 ? 0 : 2 };
    });
    let started = Date.now();
    if (PARTS.has('snapshots')) rows.push(cliRow(`damaged snapshots via leakcheck inspect (every ${CLI_EVERY}th)`, await runAll(inspectCases, 2, CLI_TIMEOUT_MS), started));

    const mkfifo = (path: string) => execFileSync('mkfifo', [path]);
    for (const kind of PARTS.has('cli') ? ['real', 'small'] as const : []) {
      const caseDir = mkdtempSync(join(dir, `cli-${kind}-`));
      started = Date.now();
      rows.push(cliRow(`CLI misuse (${kind} snapshots)`, await runAll(cliCases(makeCliFixtures(caseDir, kind), mkfifo), 2, CLI_TIMEOUT_MS), started));
    }
    const only = process.env['BENCH_ENDINGS'];
    if (PARTS.has('endings')) rows.push(await endingsRow(endingCases().filter((c) => only === undefined || c.name.includes(only))));
    if (PARTS.has('server')) rows.push(await runServerFaults());

    process.stdout.write(`${renderTable([
      { title: 'suite', cell: (r: SuiteRow) => r.suite, left: true },
      { title: 'cases', cell: (r) => String(r.cases) },
      { title: 'clean errors', cell: (r) => String(r.clean) },
      { title: 'valid, loaded', cell: (r) => String(r.loaded) },
      { title: 'wrong', cell: (r) => String(r.wrong) },
      { title: 'crashes', cell: (r) => String(r.crashes) },
      { title: 'hangs', cell: (r) => String(r.hangs) },
      { title: 'processes left', cell: (r) => (r.left === undefined ? '-' : String(r.left)) },
      { title: 'acked lost', cell: (r) => (r.lost === undefined ? '-' : String(r.lost)) },
      { title: 'duplicated', cell: (r) => (r.duplicated === undefined ? '-' : String(r.duplicated)) },
      { title: 'wall', cell: (r) => `${(r.wallMs / 1000).toFixed(1)} s` },
      { title: 'CPU', cell: (r) => (r.cpuMs === undefined ? '-' : `${(r.cpuMs / 1000).toFixed(1)} s`) },
    ], rows)}\n`);
    const total = rows.reduce((sum, r) => ({
      cases: sum.cases + r.cases, crashes: sum.crashes + r.crashes, hangs: sum.hangs + r.hangs, wrong: sum.wrong + r.wrong,
      left: sum.left + (r.left ?? 0), lost: sum.lost + (r.lost ?? 0),
    }), { cases: 0, crashes: 0, hangs: 0, wrong: 0, left: 0, lost: 0 });
    process.stdout.write(`\n${total.cases} cases: ${total.crashes} crashes, ${total.hangs} hangs, ${total.wrong} wrong outcomes, ${total.left} processes left, ${total.lost} acknowledged messages lost\n`);
    for (const row of rows) for (const problem of row.problems.slice(0, 20)) process.stdout.write(`  ${row.suite}: ${problem}\n`);
    process.stdout.write(`results: ${writeResults('faults', { node: process.version, truncations: TRUNCATIONS, cliEvery: CLI_EVERY, rows, total })}\n`);
    if (total.crashes + total.hangs + total.wrong + total.left + total.lost > 0) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
