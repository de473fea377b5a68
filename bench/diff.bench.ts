/**
 * `npm run bench:diff`: `leakcheck diff base target final` against memlab's
 * `find-leaks --baseline --target --final`, end to end (CLI process, load + analysis + output), on
 * the same three ~150 MiB snapshots of one leaking process, in the same run.
 *
 * Each measurement is a fresh child process run under /usr/bin/time, whose "%e %M %U %S" gives
 * wall seconds, the child's peak RSS (the kernel's ru_maxrss, exact, not sampled) and its CPU time.
 * leakcheck loads the earlier snapshots in a worker thread, so on a busy machine its wall time
 * depends on a second core being free; CPU time shows the work itself. Contenders
 * alternate run by run so drift on a shared machine hits both. Env knobs: BENCH_RUNS (3),
 * BENCH_SIZE_MIB (150), BENCH_SNAPSHOT_DIR, BENCH_BASELINE_CLI (another build to compare). Results land in bench/results/diff.json.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LEAKY_DIR, ensureLeakySnapshots, type LeakySnapshots } from './make-leaky-snapshots.js';
import { formatMiB, formatRatio, formatSeconds, median, peersDir, renderTable, writeResults, MIB } from './table.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const cliPath = join(repoRoot, 'dist', 'cli', 'main.js');
const memlabBin = join(peersDir, '.bin', 'memlab');
const TIME = '/usr/bin/time';
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const SIZE_MIB = Number(process.env['BENCH_SIZE_MIB'] ?? 150);
const CHILD_TIMEOUT_MS = 15 * 60_000;

interface Measurement {
  readonly ms: number;
  /** User + system CPU time: what the work costs, less sensitive than wall time to a busy machine. */
  readonly cpuMs: number;
  readonly maxRssBytes: number;
  /** What the tool concluded, checked against the known leak. */
  readonly outcome: string;
}

interface Contender {
  readonly name: string;
  readonly command: (snapshots: LeakySnapshots, workDir: string) => string[];
  /** Throws when the tool did not do the job (so a fast failure is never reported as a win). */
  readonly check: (status: number | null, stdout: string, stderr: string, snapshots: LeakySnapshots) => string;
}

/** leakcheck's CLI at `cli` (this build, or another one to compare against). */
function leakcheckContender(name: string, cli: string): Contender {
  return {
    name,
    command: (s) => [process.execPath, cli, 'diff', s.base, s.target, s.final, '--json'],
    check: (status, stdout, _stderr, s) => {
      if (status !== 1) throw new Error(`exit ${status}, expected 1 (leak found)`);
      const result = JSON.parse(stdout) as { findings: { kind: string; severity: string; growth: { count: number } }[] };
      const listeners = result.findings.find((f) => f.kind === 'duplicate-listeners' && f.severity === 'leak');
      if (!listeners || listeners.growth.count !== 2 * s.leaksPerRound) throw new Error('did not find the listener leak');
      return `${result.findings.filter((f) => f.severity === 'leak').length} leak findings (listeners +${listeners.growth.count})`;
    },
  };
}

/** BENCH_BASELINE_CLI: another build's dist/cli/main.js, measured in the same run (before/after a change). */
const baselineCli = process.env['BENCH_BASELINE_CLI'];

const contenders: Contender[] = [
  leakcheckContender('leakcheck diff', cliPath),
  ...(baselineCli ? [leakcheckContender('leakcheck diff (BENCH_BASELINE_CLI)', baselineCli)] : []),
  {
    name: 'memlab find-leaks',
    command: (s, workDir) => [memlabBin, 'find-leaks', '--baseline', s.base, '--target', s.target, '--final', s.final, '--work-dir', workDir],
    check: (status, stdout, stderr) => {
      if (status !== 0) throw new Error(`exit ${status}`);
      const found = /MemLab found (\d+) leak/.exec(stdout + stderr);
      if (!found) throw new Error('no "MemLab found N leak(s)" line');
      // memlab's default filters target browser leaks (detached DOM, unmounted Fibers), so on a
      // Node heap it reports clusters only with --trace-all-objects; the work (parse, diff,
      // dominators, traces) is done either way.
      return `${found[1]} leak cluster(s) reported`;
    },
  },
];

function measure(contender: Contender, snapshots: LeakySnapshots): Promise<Measurement> {
  const workDir = mkdtempSync(join(tmpdir(), 'leakcheck-bench-diff-'));
  const argv = contender.command(snapshots, workDir);
  return new Promise((resolve, reject) => {
    const child = spawn(TIME, ['-f', 'BENCH_TIME %e %M %U %S', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => { stdout += text; });
    child.stderr.setEncoding('utf8').on('data', (text: string) => { stderr += text; });
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      rmSync(workDir, { recursive: true, force: true });
      const timing = /BENCH_TIME ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(stderr);
      const exitMatch = /Command exited with non-zero status (\d+)/.exec(stderr);
      const toolStatus = exitMatch ? Number(exitMatch[1]) : status;
      try {
        if (!timing) throw new Error(`no timing from ${TIME}: ${stderr.slice(-500)}`);
        const outcome = contender.check(toolStatus, stdout, stderr, snapshots);
        resolve({ ms: Number(timing[1]) * 1000, cpuMs: (Number(timing[3]) + Number(timing[4])) * 1000, maxRssBytes: Number(timing[2]) * 1024, outcome });
      } catch (error) {
        reject(new Error(`${contender.name}: ${(error as Error).message}\n${stderr.slice(-1500)}`));
      }
    });
  });
}

interface Row {
  readonly name: string;
  readonly runs: Measurement[];
  readonly error?: string;
}

function spreadPercent(values: readonly number[]): string {
  if (values.length < 2) return '-';
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1);
  // Standard error of the mean, as a share of the mean.
  return `±${((Math.sqrt(variance / values.length) / mean) * 100).toFixed(1)}%`;
}

async function main(): Promise<void> {
  if (!existsSync(TIME)) throw new Error(`${TIME} is needed to measure a child's peak RSS (apt-get install time)`);
  if (!existsSync(memlabBin)) throw new Error(`memlab is not installed: run npm run bench:setup (looked for ${memlabBin})`);
  if (!existsSync(cliPath)) throw new Error('dist/cli/main.js is missing: npm run build');
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const snapshots = ensureLeakySnapshots(SIZE_MIB, process.env['BENCH_SNAPSHOT_DIR'] ?? DEFAULT_LEAKY_DIR, log);
  const rows: Row[] = contenders.map((c) => ({ name: c.name, runs: [] }));
  for (let run = 0; run < RUNS; run++) {
    const order = run % 2 === 0 ? contenders : [...contenders].reverse();
    for (const contender of order) {
      const row = rows.find((r) => r.name === contender.name)!;
      if (row.error) continue;
      log(`run ${run + 1}/${RUNS}: ${contender.name} …`);
      try {
        const m = await measure(contender, snapshots);
        row.runs.push(m);
        log(`  ${formatSeconds(m.ms)} wall, ${formatSeconds(m.cpuMs)} CPU, peak RSS ${formatMiB(m.maxRssBytes)}: ${m.outcome}`);
      } catch (error) {
        (row as { error?: string }).error = (error as Error).message;
        log(`  errored: ${(error as Error).message}`);
      }
    }
  }
  const leakcheck = rows[0]!;
  const wallOf = (row: Row) => median(row.runs.map((m) => m.ms));
  const cpuOf = (row: Row) => median(row.runs.map((m) => m.cpuMs));
  const rssOf = (row: Row) => (row.runs.length === 0 ? undefined : Math.max(...row.runs.map((m) => m.maxRssBytes)));
  const table = renderTable<Row>([
    { title: 'tool', cell: (r) => r.name, left: true },
    { title: 'runs', cell: (r) => String(r.runs.length) },
    { title: 'wall (median)', cell: (r) => (r.error ? 'errored' : formatSeconds(wallOf(r))) },
    { title: '±', cell: (r) => spreadPercent(r.runs.map((m) => m.ms)) },
    { title: 'CPU (median)', cell: (r) => (r.error ? '-' : formatSeconds(cpuOf(r))) },
    { title: 'peak RSS (max)', cell: (r) => formatMiB(rssOf(r)) },
    { title: 'time vs leakcheck', cell: (r) => formatRatio(wallOf(r), wallOf(leakcheck)) },
    { title: 'CPU vs leakcheck', cell: (r) => formatRatio(cpuOf(r), cpuOf(leakcheck)) },
    { title: 'RSS vs leakcheck', cell: (r) => formatRatio(rssOf(r), rssOf(leakcheck)) },
    { title: 'result', cell: (r) => r.error?.split('\n')[0] ?? r.runs[0]?.outcome ?? '', left: true },
  ], rows);
  const sizes = [snapshots.base, snapshots.target, snapshots.final];
  process.stdout.write(`\nleakcheck diff vs memlab find-leaks, three snapshots of one process (${sizes.map((p) => p.split('/').pop()).join(', ')} in ${sizes[0]!.slice(0, sizes[0]!.lastIndexOf('/'))})\n\n${table}\n\n`);
  const file = writeResults('diff', {
    node: process.version, sizeMiB: SIZE_MIB, runs: RUNS, snapshots: sizes,
    rows: rows.map((r) => ({ name: r.name, error: r.error, wallMsMedian: wallOf(r), cpuMsMedian: cpuOf(r), maxRssMiB: (rssOf(r) ?? 0) / MIB, runs: r.runs })),
  });
  process.stdout.write(`results: ${file}\n`);
  if (rows.some((r) => r.error)) process.exitCode = 1;
}

await main();
