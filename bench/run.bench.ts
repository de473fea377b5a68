// npm run bench:run — what `leakcheck run` costs on top of the load it drives (issue 9: total wall
// time ≤ 1.5× the load time for the default plan). Runs the CLI as a user would, once per case,
// on the demo app (fixtures/apps/http-listener-leak.mjs) and on a ~50 MiB-heap app
// (bench/heap-50mib-app.mjs), each with the default plan and with --no-snapshots, the demo with
// 15 s load phases instead of 2,000 requests, and a cluster of two workers
// (fixtures/apps/http-cluster.mjs, three processes snapshotted and diffed). From the same
// run: the load alone (the HTTP driver's own time, report.json phases[].http.durationMs), the
// checkpoint pauses split into snapshot writes and the rest (forced GCs, memory samples), the
// target's start, what follows the last phase inside the run (stopping the target, the snapshot
// analysis: report.json durationMs minus the last phase's end), what the command spends outside
// the run (its own start, report.html, deleting snapshots: wall minus durationMs), and the wall
// time of the whole command. They add up to the wall time but for the gaps between phases.
// CPU: what leakcheck and its target used together (this process's reaped children, from
// /proc/self/stat), over the wall time: on 2 cores, up to 2.0.
// Env: CASES (comma-separated names, default all), REQUESTS (per load phase; default: the plan's).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunReport } from '../src/index.js';
import { formatMiB, formatRatio, formatSeconds, renderTable, writeResults } from './table.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(repoRoot, 'dist', 'cli', 'main.js');
const apps = {
  demo: join(repoRoot, 'fixtures', 'apps', 'http-listener-leak.mjs'),
  heap50: join(repoRoot, 'bench', 'heap-50mib-app.mjs'),
  // A primary and two workers (argument 0: none of them leaks): each is snapshotted and diffed.
  cluster: join(repoRoot, 'fixtures', 'apps', 'http-cluster.mjs'),
};
const TARGET_RATIO = 1.5;

interface Case { name: string; app: keyof typeof apps; flags: string[] }
const allCases: Case[] = [
  { name: 'demo', app: 'demo', flags: [] },
  { name: 'demo --no-snapshots', app: 'demo', flags: ['--no-snapshots'] },
  // The checkpoints cost about the same whatever the load's length: a longer load shows the ratio they leave.
  { name: 'demo --duration 15', app: 'demo', flags: ['--duration', '15'] },
  { name: 'heap50', app: 'heap50', flags: [] },
  { name: 'heap50 --no-snapshots', app: 'heap50', flags: ['--no-snapshots'] },
  { name: 'cluster', app: 'cluster', flags: [] },
];
const chosen = process.env['CASES']?.split(',').map((s) => s.trim());
const cases = chosen ? allCases.filter((c) => chosen.includes(c.name)) : allCases;
const requests = process.env['REQUESTS'] === undefined ? [] : ['--requests', process.env['REQUESTS']];

interface Row {
  name: string;
  exit: number | null;
  wallMs: number;
  loadMs: number;
  startMs: number;
  snapshotWriteMs: number;
  otherPauseMs: number;
  afterPhasesMs: number;
  outsideRunMs: number;
  heapBytes: number | undefined;
  snapshotBytes: number;
  ratio: number;
  cpuMs: number;
  loadAverage: number;
}

/** Clock ticks in /proc: USER_HZ, 100 on every Linux build Node runs on. */
const ticksPerSecond = 100;
/** CPU time (user + system) of this process's children that have ended and been waited for. */
function reapedChildrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /s, '').split(' ');
  // After the command name: field 3 (state) is fields[0], so cutime (16) and cstime (17) are fields[13] and [14].
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / ticksPerSecond;
}

async function measure(c: Case): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'leakcheck-bench-run-'));
  try {
    const out = join(dir, 'r');
    const loadAverage = loadavg()[0]!;
    const started = performance.now();
    const cpuBefore = reapedChildrenCpuMs();
    const exit = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [cli, 'run', ...requests, ...c.flags, '--keep-snapshots', 'always', '--out', out, '--', process.execPath, apps[c.app], '0'], {
        cwd: dir, env: { ...process.env, NO_COLOR: '1', GITHUB_ACTIONS: '' }, stdio: ['ignore', 'ignore', 'ignore'],
      });
      child.on('error', reject);
      child.on('close', (code) => resolve(code));
    });
    const wallMs = performance.now() - started;
    const cpuMs = reapedChildrenCpuMs() - cpuBefore;
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    const loadMs = sum(report.phases.map((p) => p.http?.durationMs ?? 0));
    const pauseMs = sum(report.phases.map((p) => p.pauseMs ?? 0));
    const snapshotWriteMs = sum(report.phases.map((p) => p.snapshot?.writeMs ?? 0));
    const lastPhase = report.phases[report.phases.length - 1];
    return {
      name: c.name,
      exit,
      wallMs,
      loadMs,
      startMs: report.phases[0]?.startMs ?? 0,
      snapshotWriteMs,
      otherPauseMs: pauseMs - snapshotWriteMs,
      afterPhasesMs: report.durationMs - (lastPhase?.endMs ?? 0),
      outsideRunMs: wallMs - report.durationMs,
      heapBytes: lastPhase === undefined ? undefined : report.checkpoints.filter((k) => k.phase === lastPhase.name).at(-1)?.heapUsedBytes,
      snapshotBytes: sum(report.phases.map((p) => p.snapshot?.sizeBytes ?? 0)),
      ratio: wallMs / loadMs,
      cpuMs,
      loadAverage,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
for (const c of cases) {
  process.stderr.write(`bench:run ${c.name}…\n`);
  rows.push(await measure(c));
}
const ms = (value: number) => formatSeconds(value);
process.stdout.write(`${renderTable([
  { title: 'case', cell: (r: Row) => r.name, left: true },
  { title: 'exit', cell: (r) => String(r.exit) },
  { title: 'wall', cell: (r) => ms(r.wallMs) },
  { title: 'load alone', cell: (r) => ms(r.loadMs) },
  { title: 'wall/load', cell: (r) => formatRatio(r.wallMs, r.loadMs) },
  { title: `≤ ${TARGET_RATIO}x`, cell: (r) => (r.ratio <= TARGET_RATIO ? 'yes' : 'no') },
  { title: 'target start', cell: (r) => ms(r.startMs) },
  { title: 'snapshot writes', cell: (r) => ms(r.snapshotWriteMs) },
  { title: 'other pauses', cell: (r) => ms(r.otherPauseMs) },
  { title: 'after phases', cell: (r) => ms(r.afterPhasesMs) },
  { title: 'outside run', cell: (r) => ms(r.outsideRunMs) },
  { title: 'heap', cell: (r) => formatMiB(r.heapBytes) },
  { title: 'snapshots', cell: (r) => formatMiB(r.snapshotBytes) },
  { title: 'CPU', cell: (r) => ms(r.cpuMs) },
  { title: 'CPU/wall', cell: (r) => formatRatio(r.cpuMs, r.wallMs) },
  { title: 'load avg', cell: (r) => r.loadAverage.toFixed(1) },
], rows)}\n`);
process.stdout.write(`results: ${writeResults('run', { date: new Date().toISOString(), rows })}\n`);
