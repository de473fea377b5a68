// npm run bench:live — what a snapshot of a live process costs it, two ways, in the same run:
//   leakcheck: SIGUSR1 → inspector → HeapProfiler.takeHeapSnapshot streamed into gzip (what `leakcheck snapshot <pid>` does);
//   signal:    node --heapsnapshot-signal=SIGUSR2, which writes an uncompressed .heapsnapshot next to the target.
// Each snapshot gets a fresh target with a ~SIZE_MIB heap (default 500), so neither method reuses
// pages the other freed; ROUNDS rounds alternate the order. Per snapshot: wall time until the file is complete, extra peak RSS of the target
// (VmHWM after clear_refs reset, minus RSS before), the target's CPU time, the file size; for leakcheck
// also its own CPU time. Then the signal's raw file is gzipped at levels 1 and 6 here, to show what the
// compression level costs (the choice behind SNAPSHOT_GZIP_LEVEL).
// Env: SIZE_MIB (default 500), ROUNDS (default 1), PORT (inspector port, default 45900).
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGzip } from 'node:zlib';
import { snapshotLiveProcess, SNAPSHOT_MEMORY_FACTOR } from '../src/live/index.js';
import { formatMiB, formatSeconds, MIB, renderTable, writeResults } from './table.js';

const sizeMiB = Number(process.env['SIZE_MIB'] ?? 500);
const rounds = Number(process.env['ROUNDS'] ?? 1);
const port = Number(process.env['PORT'] ?? 45900);
const CLOCK_TICKS = 100;

// The target grows its heap in steps until the used heap reaches the size asked for, then idles.
const TARGET_SOURCE = `
const v8 = require('node:v8');
globalThis.items = [];
while (v8.getHeapStatistics().used_heap_size < ${sizeMiB} * 1024 * 1024) {
  for (let k = 0; k < 100000; k++) { const i = globalThis.items.length; globalThis.items.push({ id: i, name: 'item-' + i, tags: [i % 7, i % 11] }); }
}
process.on('message', (message) => process.send(message));
setInterval(() => {}, 1000);
process.send({ ready: true, usedHeapBytes: v8.getHeapStatistics().used_heap_size, items: globalThis.items.length });
`;

interface Measurement {
  method: 'leakcheck' | 'signal';
  round: number;
  wallMs: number;
  extraPeakRssBytes: number;
  rssBeforeBytes: number;
  targetCpuMs: number;
  /** leakcheck's own CPU time (this process); undefined for the signal. */
  toolCpuMs: number | undefined;
  fileBytes: number;
  rawBytes: number;
}

function status(pid: number): { rssBytes: number; hwmBytes: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
  return { rssBytes: kib('VmRSS'), hwmBytes: kib('VmHWM') };
}

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** Resets the peak-RSS mark (Linux clear_refs 5), so VmHWM afterwards is the peak of what follows. */
function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

async function roundTrip(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve) => {
    child.once('message', () => resolve());
    child.send({ ping: true });
  });
}

async function measure(method: Measurement['method'], round: number, child: ChildProcess, dir: string): Promise<Measurement> {
  const pid = child.pid!;
  await sleep(1000);
  const before = status(pid);
  resetPeak(pid);
  const cpuBefore = cpuMs(pid);
  const started = performance.now();
  let fileBytes: number;
  let rawBytes: number;
  let toolCpuMs: number | undefined;
  if (method === 'leakcheck') {
    const ownBefore = process.cpuUsage();
    const result = await snapshotLiveProcess({ pid, inspectPort: port, path: join(dir, `live-${round}.heapsnapshot.gz`) });
    const own = process.cpuUsage(ownBefore);
    toolCpuMs = (own.user + own.system) / 1000;
    fileBytes = result.fileBytes;
    rawBytes = result.rawBytes;
  } else {
    const existing = new Set(readdirSync(dir));
    process.kill(pid, 'SIGUSR2');
    let name: string | undefined;
    while (name === undefined) {
      await sleep(20);
      name = readdirSync(dir).find((entry) => entry.endsWith('.heapsnapshot') && !existing.has(entry));
    }
    // The write is synchronous on the target's main thread: an IPC echo returns once it is done.
    await roundTrip(child);
    fileBytes = statSync(join(dir, name)).size;
    rawBytes = fileBytes;
  }
  const wallMs = performance.now() - started;
  const after = status(pid);
  return {
    method, round, wallMs, rssBeforeBytes: before.rssBytes, extraPeakRssBytes: after.hwmBytes - before.rssBytes,
    targetCpuMs: cpuMs(pid) - cpuBefore, toolCpuMs, fileBytes, rawBytes,
  };
}

async function gzipCost(file: string, level: number): Promise<{ level: number; ms: number; bytes: number; ratio: number; mibPerCpuSecond: number }> {
  const out = `${file}.${level}.gz`;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await pipeline(createReadStream(file), createGzip({ level }), createWriteStream(out));
  const cpu = process.cpuUsage(cpuBefore);
  const bytes = statSync(out).size;
  const raw = statSync(file).size;
  rmSync(out);
  return { level, ms: performance.now() - started, bytes, ratio: raw / bytes, mibPerCpuSecond: raw / MIB / ((cpu.user + cpu.system) / 1e6) };
}

interface Ready { usedHeapBytes: number; items: number }

async function startTarget(dir: string): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = spawn(process.execPath, ['--heapsnapshot-signal=SIGUSR2', `--inspect-port=${port}`, '--max-old-space-size=4096', '-e', TARGET_SOURCE], {
    cwd: dir, stdio: ['ignore', 'inherit', 'ignore', 'ipc'], env: { ...process.env, NODE_OPTIONS: '' },
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (message) => resolve(message as Ready));
    child.once('exit', (code) => reject(new Error(`target exited with ${code}`)));
  });
  return { child, ready };
}

const dir = mkdtempSync(join(tmpdir(), 'leakcheck-bench-live-'));
let current: ChildProcess | undefined;
try {
  const measurements: (Measurement & { usedHeapBytes: number })[] = [];
  for (let round = 1; round <= rounds; round++) {
    const order: Measurement['method'][] = round % 2 === 1 ? ['leakcheck', 'signal'] : ['signal', 'leakcheck'];
    for (const method of order) {
      const { child, ready } = await startTarget(dir);
      current = child;
      const m = { ...(await measure(method, round, child, dir)), usedHeapBytes: ready.usedHeapBytes };
      child.kill('SIGKILL');
      measurements.push(m);
      process.stdout.write(`round ${round} ${method}: ${formatMiB(ready.usedHeapBytes)} used heap (${ready.items.toLocaleString('en-US')} items), ${formatSeconds(m.wallMs)}, +${formatMiB(m.extraPeakRssBytes)} peak RSS\n`);
    }
  }
  const rawFile = readdirSync(dir).find((entry) => entry.endsWith('.heapsnapshot'));
  const gzip = rawFile === undefined ? [] : [await gzipCost(join(dir, rawFile), 1), await gzipCost(join(dir, rawFile), 6)];

  process.stdout.write(`\n${renderTable<Measurement & { usedHeapBytes: number }>([
    { title: 'method', cell: (m) => m.method, left: true },
    { title: 'round', cell: (m) => String(m.round) },
    { title: 'used heap', cell: (m) => formatMiB(m.usedHeapBytes) },
    { title: 'wall', cell: (m) => formatSeconds(m.wallMs) },
    { title: 'target CPU', cell: (m) => formatSeconds(m.targetCpuMs) },
    { title: 'tool CPU', cell: (m) => (m.toolCpuMs === undefined ? '-' : formatSeconds(m.toolCpuMs)) },
    { title: 'RSS before', cell: (m) => formatMiB(m.rssBeforeBytes) },
    { title: 'extra peak RSS', cell: (m) => formatMiB(m.extraPeakRssBytes) },
    { title: 'peak ÷ used heap', cell: (m) => (m.extraPeakRssBytes / m.usedHeapBytes).toFixed(2) },
    { title: 'file', cell: (m) => formatMiB(m.fileBytes) },
    { title: 'raw JSON', cell: (m) => formatMiB(m.rawBytes) },
  ], measurements)}\n`);
  if (gzip.length > 0) {
    process.stdout.write(`\ngzip of the raw snapshot here: ${gzip.map((g) => `level ${g.level}: ${g.ratio.toFixed(1)}× smaller, ${g.mibPerCpuSecond.toFixed(0)} MiB per CPU second`).join('; ')}\n`);
  }
  process.stdout.write(`memory check estimate: used heap × ${SNAPSHOT_MEMORY_FACTOR}\n`);
  const latest = writeResults('live-snapshot', { sizeMiB, rounds, measurements, gzip, node: process.version });
  process.stdout.write(`results: ${latest}\n`);
} finally {
  current?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
