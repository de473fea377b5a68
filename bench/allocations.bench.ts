// npm run bench:allocations — what allocation sampling and the allocation tracker cost a program,
// measured in CPU time, not throughput: on the shared 2-core machine (load averages of 20–60 from
// other work) wall-clock throughput swings by more than the effect, while a process's own CPU time
// for a fixed amount of work moves much less. Each arm runs the same allocation-heavy workload
// (objects, arrays, strings, JSON round trips, a retained tail like a cache) in a fresh child
// process, arms alternating round by round: `off`, `sampling` (the sampling heap profiler at the
// interval `leakcheck run` uses, through an in-process inspector session as the agent does),
// `tracking` (sampling + V8's allocation tracker, as --track-allocations). Reported per arm: CPU ms
// (user + system) of the workload, and heap used / RSS after it, mean ± s.e. over rounds.
// Env: ROUNDS (default 5), WORK (iterations, default 200000), ARMS (default off,sampling,tracking).
import { spawnSync } from 'node:child_process';
import { renderTable, writeResults } from './table.js';

const rounds = Number(process.env['ROUNDS'] ?? 5);
const work = Number(process.env['WORK'] ?? 200_000);
const arms = (process.env['ARMS'] ?? 'off,sampling,tracking').split(',');
const samplingBytes = 64 * 1024;

// The child: starts the profiler the way the agent does, then the workload, then prints its figures.
const child = `
const { Session } = require('node:inspector');
const arm = process.argv[1];
const work = Number(process.argv[2]);
const session = new Session();
if (arm !== 'off') {
  session.connect();
  session.post('HeapProfiler.enable');
  session.post('HeapProfiler.startSampling', { samplingInterval: ${samplingBytes}, includeObjectsCollectedByMajorGC: false, includeObjectsCollectedByMinorGC: false });
  if (arm === 'tracking') session.post('HeapProfiler.startTrackingHeapObjects', { trackAllocations: true });
}
const kept = [];
const start = process.cpuUsage();
for (let i = 0; i < work; i++) {
  const request = { id: i, path: '/items/' + i, headers: { accept: 'application/json', 'x-request': String(i) } };
  const body = JSON.parse(JSON.stringify({ request, items: [i, i + 1, i + 2].map((n) => ({ n, label: 'item ' + n })) }));
  if (i % 10 === 0) kept.push(body);
  if (kept.length > 5000) kept.shift();
}
const cpu = process.cpuUsage(start);
const memory = process.memoryUsage();
process.stdout.write(JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, heapUsedBytes: memory.heapUsed, rssBytes: memory.rss }));
// The tracker's 50 ms heap-stats timer keeps the event loop alive until the session ends.
if (arm !== 'off') session.disconnect();
`;

interface Row { arm: string; round: number; cpuMs: number; heapUsedBytes: number; rssBytes: number }
const rows: Row[] = [];
for (let round = 0; round < rounds; round++) {
  const order = arms.map((_, k) => arms[(k + round) % arms.length]!);
  for (const arm of order) {
    const run = spawnSync(process.execPath, ['-e', child, arm, String(work)], { encoding: 'utf8', timeout: 600_000 });
    if (run.status !== 0) throw new Error(`${arm}: ${run.stderr}`);
    const figures = JSON.parse(run.stdout) as Omit<Row, 'arm' | 'round'>;
    rows.push({ arm, round, ...figures });
    process.stderr.write(`round ${round + 1}/${rounds} ${arm.padEnd(8)} ${figures.cpuMs.toFixed(0)} ms CPU\n`);
  }
}

const stats = (values: number[]) => {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = values.length > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, stdError: sd / Math.sqrt(values.length) };
};
const offCpu = stats(rows.filter((r) => r.arm === 'off').map((r) => r.cpuMs)).mean;
const summary = arms.map((arm) => {
  const mine = rows.filter((r) => r.arm === arm);
  const cpu = stats(mine.map((r) => r.cpuMs));
  return { arm, cpu, slowdown: cpu.mean / offCpu, heap: stats(mine.map((r) => r.heapUsedBytes)), rss: stats(mine.map((r) => r.rssBytes)) };
});
const mib = (s: { mean: number; stdError: number }) => `${(s.mean / 2 ** 20).toFixed(1)} ± ${(s.stdError / 2 ** 20).toFixed(1)}`;
process.stdout.write(`\nallocation profiling cost, ${rounds} rounds × ${work} iterations, node ${process.version}\n\n`);
process.stdout.write(`${renderTable([
  { title: 'arm', cell: (r: (typeof summary)[number]) => r.arm, left: true },
  { title: 'CPU ms', cell: (r) => `${r.cpu.mean.toFixed(0)} ± ${r.cpu.stdError.toFixed(0)}` },
  { title: '× off', cell: (r) => r.slowdown.toFixed(2) },
  { title: 'heap used MiB', cell: (r) => mib(r.heap) },
  { title: 'RSS MiB', cell: (r) => mib(r.rss) },
], summary)}\n`);
process.stdout.write(`results: ${writeResults('allocations', { node: process.version, rounds, work, samplingBytes, summary, rows })}\n`);
