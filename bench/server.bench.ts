/**
 * `npm run bench:server`: the lean push server (dist/server.js) against the usual http + SSE server
 * (bench/naive-server.mjs), measured in the same run with the same load generator.
 *
 *   idle     N connections held: RSS, V8 heap and kernel TCP memory per connection (deltas over a
 *            GC'd baseline), then everything closed: how much of the growth is given back.
 *   max      the same at the most connections this machine allows (several server processes,
 *            several load processes and source addresses; one process holds < 20k files here).
 *   flood    10k connections, broadcasts: frames delivered per second (server-side writes and
 *            client-side counts, over a steady window), server CPU per frame.
 *   latency  10k connections, 10k messages/s to random ids: delivery p50/p99.
 *   reburst  (not in the default set) one server process: baseline, then three identical bursts of
 *            N connections (held briefly, all closed, settled with a full GC): is the RSS a burst
 *            leaves behind reused by the next burst, or does each burst grow it again?
 *   spread   (not in the default set) `--workers 2`, N connections, under cluster's two scheduling
 *            policies (NODE_CLUSTER_SCHED_POLICY rr / none): how evenly the workers share them.
 *   scale    (not in the default set; heavy) issue 13's seed scale: BENCH_SCALE (250000) SSE
 *            connections on one port (`--workers BENCH_SCALE_WORKERS`, 16), held BENCH_SCALE_HOLD_S
 *            (600) seconds with 1,000 sends/s to random ids and a broadcast every 10 s, closed,
 *            twice. Raises kernel limits with sysctl (needs root; says what it changed and puts
 *            them back).
 *
 * Server kinds: lean and lean-semi1 are one process (`--workers 1`, per-process figures as before);
 * lean-default is the command users type, `node dist/server.js` (a worker per core, each started
 * lean by the primary); its memory is summed over the workers plus the primary.
 *
 * Env knobs: BENCH_CONNECTIONS (10000), BENCH_MAX (60000, 0 skips), BENCH_ONLY (comma list of
 * scenario names), BENCH_SERVERS (lean,lean-semi1,lean-default,naive,naive-semi1). The machine is shared (2
 * cores here): figures are one run each, noisy; the JSON lands in bench/results/server.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makePlan, runLoad, type LoadSummary } from '../src/loadgen/index.js';
import { getJson, MB, perConnection, Servers, slabBytes, sleep, sourceAddresses, type ServerKind, type Snapshot } from './server-harness.js';
import { scale, printScale, scaleRows } from './server-scale.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const env = process.env;
const N = Number(env.BENCH_CONNECTIONS ?? 10_000);
const MAX = Number(env.BENCH_MAX ?? 60_000);
const only = env.BENCH_ONLY?.split(',') ?? ['idle', 'max', 'flood', 'latency'];

const leanScript = join(repoRoot, 'dist', 'server.js');
const allKinds: ServerKind[] = [
  { name: 'lean', script: leanScript, nodeFlags: [], args: ['--workers', '1'] },
  { name: 'lean-semi1', script: leanScript, nodeFlags: ['--max-semi-space-size=1'], args: ['--workers', '1'] },
  { name: 'lean-default', script: leanScript, nodeFlags: [], args: [] },
  { name: 'naive', script: join(repoRoot, 'bench', 'naive-server.mjs'), nodeFlags: [], args: [] },
  { name: 'naive-semi1', script: join(repoRoot, 'bench', 'naive-server.mjs'), nodeFlags: ['--max-semi-space-size=1'], args: [] },
];
const kinds = allKinds.filter((kind) => (env.BENCH_SERVERS?.split(',') ?? ['lean', 'lean-semi1', 'lean-default', 'naive', 'naive-semi1']).includes(kind.name));

interface Row {
  scenario: string;
  server: string;
  connections: number;
  processes: number;
  rssPerConnBytes?: number;
  heapPerConnBytes?: number;
  /** V8 heap reserved (used + free space in its pages) per connection; RSS minus this is native memory. */
  heapTotalPerConnBytes?: number;
  kernelPerConnBytes?: number;
  /** Kernel slab growth per connection, machine-wide: both ends of each loopback connection, plus noise from other processes. */
  slabPerConnBytes?: number;
  baselineRssMB?: number;
  peakRssMB?: number;
  afterDropRssMB?: number;
  returnedPercent?: number;
  deliveredPerSecond?: number;
  /** Server CPU per delivered frame (user + system): 1e6 / this = deliveries per second per core. */
  cpuPerDeliveryUs?: number;
  receivedPerSecond?: number;
  p50Ms?: number;
  p99Ms?: number;
  note?: string;
}

const rows: Row[] = [];

async function idle(kind: ServerKind, connections: number, scenario: string): Promise<void> {
  const serverCount = Math.ceil(connections / 15_000);
  const servers = await Servers.start(kind, serverCount);
  try {
    // Warm-up pulse: the first connections load and compile code paths and size the heap once;
    // measuring from after it makes the figures per connection rather than per first connection.
    const target = servers.ports.map((port) => `http://127.0.0.1:${port}`).join(',');
    await runLoad(makePlan({
      target, connections: Math.min(2000, connections), processes: 1, ramp: 8000, 'linger-ms': 500, duration: 60, close: 'rst',
      'source-addresses': sourceAddresses(2000),
    }));
    await servers.waitStreams((n) => n === 0, 30_000);
    await sleep(500);
    await servers.snapshot();
    const base = await servers.snapshot();
    const baseSlab = slabBytes();
    const abort = new AbortController();
    const plan = makePlan({
      target, connections, processes: Math.max(1, Math.ceil(connections / 15_000)), ramp: Number(env.BENCH_RAMP ?? 4000), 'linger-ms': 600_000, duration: 400, 'report-ms': 500,
      close: 'rst', 'source-addresses': sourceAddresses(connections),
    });
    let settled = false;
    const run = runLoad(plan, (p) => (settled = p.totals.connected + p.totals.failed >= connections), abort.signal);
    const reached = await servers.waitStreams((n) => n >= connections || settled, 240_000);
    await sleep(2000);
    const peak = await servers.snapshot();
    const peakSlab = slabBytes();
    abort.abort();
    const summary: LoadSummary = await run;
    await servers.waitStreams((n) => n === 0, 30_000);
    await sleep(2000);
    await servers.snapshot();
    const after = await servers.snapshot();
    const held = peak.streams;
    rows.push({
      scenario, server: kind.name, connections: held, processes: serverCount,
      ...perConnection(base, peak, baseSlab, peakSlab, held),
      baselineRssMB: +(base.rss / MB).toFixed(1),
      peakRssMB: +(peak.rss / MB).toFixed(1),
      afterDropRssMB: +(after.rss / MB).toFixed(1),
      returnedPercent: Math.round((100 * (peak.rss - after.rss)) / Math.max(1, peak.rss - base.rss)),
      note: `${reached ? '' : 'ramp incomplete; '}failed ${summary.totals.failed} dropped ${summary.totals.dropped} ${JSON.stringify(summary.errors)}; heap after drop ${((after.heapUsed - base.heapUsed) / MB).toFixed(1)} MB over baseline`,
    });
  } finally {
    await servers.stop();
  }
}

/**
 * Rates are taken over one steady window inside the hold (from 2 s after every stream is open to
 * 8 s later), not over the whole run: the flood starts before the bench sees the last stream and
 * runs on through the close. Server side: frames written (`/stats` delivered) per second of the
 * server's own uptime clock, and CPU per frame. Client side: frames the load processes counted,
 * per second, from their progress reports (every 500 ms) nearest the window's ends.
 */
async function flood(kind: ServerKind, scenario: string, mode: 'broadcast' | 'id', rate: number): Promise<void> {
  const servers = await Servers.start(kind, 1);
  try {
    const lingerMs = 12_000;
    const plan = makePlan({
      target: `http://127.0.0.1:${servers.ports[0]}`, connections: N, processes: 2, ramp: 5000, 'linger-ms': lingerMs, duration: 120,
      rate, 'flood-mode': mode, publishers: 4, pipeline: mode === 'broadcast' ? 4 : 64, 'body-bytes': 64, 'report-ms': 500,
      close: 'rst', 'source-addresses': sourceAddresses(N),
    });
    const received: { atMs: number; received: number }[] = [];
    const run = runLoad(plan, (p) => received.push({ atMs: Date.now(), received: p.totals.received }));
    await servers.waitStreams((n) => n >= N, 120_000);
    await sleep(2000);
    const startMs = Date.now();
    const start = await servers.snapshot(false);
    await sleep(8000);
    const endMs = Date.now();
    const end = await servers.snapshot(false);
    const summary = await run;
    const nearest = (atMs: number) => received.reduce((best, r) => (Math.abs(r.atMs - atMs) < Math.abs(best.atMs - atMs) ? r : best));
    const from = nearest(startMs);
    const to = nearest(endMs);
    const frames = end.delivered - start.delivered;
    rows.push({
      scenario, server: kind.name, connections: N, processes: 1,
      deliveredPerSecond: Math.round(frames / ((end.uptimeMs - start.uptimeMs) / 1000)),
      cpuPerDeliveryUs: +((end.cpuUs - start.cpuUs) / Math.max(1, frames)).toFixed(2),
      receivedPerSecond: Math.round((to.received - from.received) / Math.max(0.001, (to.atMs - from.atMs) / 1000)),
      p50Ms: +summary.p50Ms.toFixed(2), p99Ms: +summary.p99Ms.toFixed(2),
      note: `${mode} at ${rate}/s offered; window ${((end.uptimeMs - start.uptimeMs) / 1000).toFixed(1)} s (server) / ${((to.atMs - from.atMs) / 1000).toFixed(1)} s (clients); whole run: published ${summary.totals.published}, behind ${summary.totals.behind}, received ${summary.totals.received}, dropped ${summary.totals.dropped}; load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
    });
  } finally {
    await servers.stop();
  }
}

interface MemPoint {
  label: string;
  streams: number;
  rssMB: number;
  heapUsedMB: number;
  externalMB: number;
  /** /proc/net/sockstat TCP buffer pages, machine-wide. */
  tcpMemMB: number;
  /** Kernel slab, machine-wide (socket structs etc.; other processes add noise). */
  slabMB: number;
}

interface ReburstRow {
  server: string;
  connections: number;
  points: MemPoint[];
  /** Per burst: streams held at the peak reading. */
  held: number[];
  /** Growth of burst k's peak and post-close RSS over burst 1's, MB, and as % of burst 1's peak growth over baseline. */
  peakGrowthMB: number[];
  afterGrowthMB: number[];
  afterGrowthPercent: number[];
  verdict: string;
  note: string;
}

const reburstRows: ReburstRow[] = [];
/** Later bursts "reuse" what burst 1 left behind when their peak RSS exceeds burst 1's by at most this % of it. */
const REUSE_PERCENT = Number(env.BENCH_REUSE_PERCENT ?? 20);
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x}`;
/** Growth below this many MB is reading noise (page-granular RSS, GC timing), whatever its %. */
const NOISE_MB = 1;

/**
 * One server process; after the usual warm-up pulse and a GC'd baseline, `bursts` identical bursts:
 * open N connections, hold 2 s, read (GC'd), close all (RST), wait for 0 streams, settle 2 s, read
 * (GC'd). If the allocator keeps freed pages for reuse, bursts 2.. peak and settle where burst 1
 * did; a native leak or fragmentation shows as post-close RSS climbing burst after burst.
 */
async function reburst(kind: ServerKind, connections: number, bursts: number): Promise<void> {
  const servers = await Servers.start(kind, 1);
  const points: MemPoint[] = [];
  const held: number[] = [];
  const notes: string[] = [];
  const read = async (label: string) => {
    await servers.snapshot();
    const s = await servers.snapshot();
    points.push({
      label, streams: s.streams, rssMB: +(s.rss / MB).toFixed(1), heapUsedMB: +(s.heapUsed / MB).toFixed(2), externalMB: +(s.external / MB).toFixed(2),
      tcpMemMB: +(s.tcpMemBytes / MB).toFixed(2), slabMB: +(slabBytes() / MB).toFixed(1),
    });
    return s;
  };
  try {
    const target = `http://127.0.0.1:${servers.ports[0]}`;
    await runLoad(makePlan({
      target, connections: Math.min(2000, connections), processes: 1, ramp: 8000, 'linger-ms': 500, duration: 60, close: 'rst',
      'source-addresses': sourceAddresses(2000),
    }));
    await servers.waitStreams((n) => n === 0, 30_000);
    await sleep(500);
    const base = await read('baseline');
    const peaks: Snapshot[] = [];
    const afters: Snapshot[] = [];
    for (let b = 1; b <= bursts; b++) {
      const abort = new AbortController();
      const plan = makePlan({
        target, connections, processes: Math.max(1, Math.ceil(connections / 15_000)), ramp: Number(env.BENCH_RAMP ?? 4000), 'linger-ms': 600_000, duration: 200,
        'report-ms': 500, close: 'rst', 'source-addresses': sourceAddresses(connections),
      });
      let settled = false;
      const run = runLoad(plan, (p) => (settled = p.totals.connected + p.totals.failed >= connections), abort.signal);
      const reached = await servers.waitStreams((n) => n >= connections || settled, 120_000);
      await sleep(2000);
      const peak = await read(`burst ${b} held`);
      peaks.push(peak);
      held.push(peak.streams);
      abort.abort();
      const summary = await run;
      const closed = await servers.waitStreams((n) => n === 0, 30_000);
      await sleep(2000);
      afters.push(await read(`burst ${b} closed`));
      notes.push(`burst ${b}: ${reached ? '' : 'ramp incomplete, '}${closed ? '' : 'not all closed, '}failed ${summary.totals.failed} dropped ${summary.totals.dropped}`);
    }
    const burstGrowth = Math.max(1, peaks[0].rss - base.rss);
    const peakGrowthMB = peaks.map((p) => +((p.rss - peaks[0].rss) / MB).toFixed(1));
    const afterGrowthMB = afters.map((a) => +((a.rss - afters[0].rss) / MB).toFixed(1));
    const afterGrowthPercent = afters.map((a) => Math.round((100 * (a.rss - afters[0].rss)) / burstGrowth));
    const worstAfter = Math.max(...afterGrowthPercent.slice(1));
    const worstPeakMB = Math.max(...peakGrowthMB.slice(1));
    // What burst 1 left behind (post-close RSS over baseline): if it were leaked rather than kept
    // for reuse, burst k would peak that much higher than burst 1. The share of it that does
    // reappear as extra peak is the verdict's number.
    const retained = Math.max(1, afters[0].rss - base.rss);
    const reappeared = Math.max(...peaks.slice(1).map((p) => Math.round((100 * (p.rss - peaks[0].rss)) / retained)));
    const steps = afters.slice(1).map((a, k) => +((a.rss - afters[k].rss) / MB).toFixed(1));
    const numbers = `burst 1 grew ${(burstGrowth / MB).toFixed(1)} MB and left ${(retained / MB).toFixed(1)} MB after closing; later peaks ${peakGrowthMB.slice(1).map(signed).join(' / ')} MB over burst 1's `
      + `(${reappeared} % of the retained MB at most); post-close RSS ${afterGrowthMB.slice(1).map(signed).join(' / ')} MB over burst 1's (${worstAfter} % of burst 1's growth at most; steps ${steps.map(signed).join(', ')} MB)`;
    const verdict = reappeared <= REUSE_PERCENT || worstPeakMB <= NOISE_MB
      ? `bursts 2-${bursts} reuse the retained pages (later peaks within ${REUSE_PERCENT} % of the retained MB or ${NOISE_MB} MB of burst 1's)${worstAfter > REUSE_PERCENT ? '; post-close RSS varies with how much the allocator trims, not cumulatively' : ''}: ${numbers}`
      : `later bursts peak higher: retained memory is not all reused (leak or fragmentation): ${numbers}`;
    reburstRows.push({
      server: kind.name, connections, points, held, peakGrowthMB, afterGrowthMB, afterGrowthPercent, verdict,
      note: `${notes.join('; ')}; load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
    });
  } finally {
    await servers.stop();
  }
}

function printReburst(): void {
  if (reburstRows.length === 0) return;
  const title = ['server', 'point', 'streams', 'RSS MB', 'heapUsed MB', 'external MB', 'kernel tcp buf MB', 'slab MB'];
  const cells = [title];
  for (const row of reburstRows) {
    for (const p of row.points) cells.push([row.server, p.label, String(p.streams), String(p.rssMB), String(p.heapUsedMB), String(p.externalMB), String(p.tcpMemMB), String(p.slabMB)]);
  }
  const widths = title.map((_, c) => Math.max(...cells.map((line) => line[c].length)));
  const line = (values: string[]) => `| ${values.map((v, c) => v.padEnd(widths[c])).join(' | ')} |`;
  process.stdout.write(`\nreburst (${N} connections per burst, one server process):\n${line(cells[0])}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${cells.slice(1).map(line).join('\n')}\n\n`);
  for (const row of reburstRows) {
    const at = (label: string) => row.points.find((p) => p.label === label)!.rssMB;
    const bursts = row.held.length;
    const after = Array.from({ length: bursts }, (_, k) => at(`burst ${k + 1} closed`));
    const peak = Array.from({ length: bursts }, (_, k) => at(`burst ${k + 1} held`));
    process.stdout.write(`  ${row.server}: baseline ${at('baseline')} MB; peak RSS ${peak.join(' / ')} MB; RSS after burst ${after.map((_, k) => k + 1).join('/')} closed ${after.join(' / ')} MB; `
      + `growth over burst 1: peak ${row.peakGrowthMB.slice(1).map((g) => `${g >= 0 ? '+' : ''}${g}`).join(' / ')} MB, post-close ${row.afterGrowthMB.slice(1).map((g) => `${g >= 0 ? '+' : ''}${g}`).join(' / ')} MB\n`
      + `    => ${row.verdict}\n    ${row.note}\n`);
  }
}

/**
 * How `--workers 2` shares N connections (ramped at the usual rate) under each cluster scheduling
 * policy: per-worker streams, and the ramp's time. Node reads NODE_CLUSTER_SCHED_POLICY itself.
 */
async function spread(policy: string, connections: number): Promise<void> {
  const lean = allKinds.find((kind) => kind.name === 'lean-default')!;
  const servers = await Servers.start(lean, 1, ['--workers', '2'], { NODE_CLUSTER_SCHED_POLICY: policy });
  try {
    const abort = new AbortController();
    const startedMs = Date.now();
    const run = runLoad(makePlan({
      target: `http://127.0.0.1:${servers.ports[0]}`, connections, processes: Math.max(1, Math.ceil(connections / 15_000)), ramp: Number(env.BENCH_RAMP ?? 4000),
      'linger-ms': 600_000, duration: 400, close: 'rst', 'source-addresses': sourceAddresses(connections),
    }), () => {}, abort.signal);
    const reached = await servers.waitStreams((n) => n >= connections, 240_000);
    const rampMs = Date.now() - startedMs;
    const stats = await getJson(servers.ports[0], '/stats');
    const perWorker: number[] = stats.cluster.perWorker.map((w: { streams: number }) => w.streams);
    abort.abort();
    await run;
    rows.push({
      scenario: `spread ${connections / 1000}k`, server: `workers 2, ${policy}`, connections: stats.streams, processes: 3,
      note: `${reached ? '' : 'ramp incomplete; '}streams per worker ${perWorker.join(' / ')} (${Math.round((100 * Math.max(...perWorker)) / Math.max(1, stats.streams))} % on the busiest); ramp ${(rampMs / 1000).toFixed(1)} s; load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
    });
  } finally {
    await servers.stop();
  }
}

function printTable(): void {
  if (rows.length === 0) return;
  const columns: [keyof Row, string][] = [
    ['scenario', 'scenario'], ['server', 'server'], ['connections', 'conns'], ['processes', 'procs'], ['rssPerConnBytes', 'RSS B/conn'],
    ['heapPerConnBytes', 'heap B/conn'], ['heapTotalPerConnBytes', 'heapTotal B/conn'], ['kernelPerConnBytes', 'kernel buf B/conn'], ['slabPerConnBytes', 'slab B/conn (2 ends)'], ['baselineRssMB', 'base MB'], ['peakRssMB', 'peak MB'],
    ['afterDropRssMB', 'after MB'], ['returnedPercent', 'returned %'], ['deliveredPerSecond', 'delivered/s'], ['cpuPerDeliveryUs', 'CPU µs/frame'], ['receivedPerSecond', 'received/s'], ['p50Ms', 'p50 ms'], ['p99Ms', 'p99 ms'],
  ];
  const used = columns.filter(([key]) => rows.some((row) => row[key] !== undefined));
  const cells = [used.map(([, title]) => title), ...rows.map((row) => used.map(([key]) => (row[key] === undefined ? '' : String(row[key]))))];
  const widths = used.map((_, c) => Math.max(...cells.map((line) => line[c].length)));
  const line = (values: string[]) => `| ${values.map((v, c) => v.padEnd(widths[c])).join(' | ')} |`;
  process.stdout.write(`${line(cells[0])}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${cells.slice(1).map(line).join('\n')}\n`);
  for (const row of rows) if (row.note) process.stdout.write(`  ${row.scenario}/${row.server}: ${row.note}\n`);
}

const started = Date.now();
if (only.includes('scale')) await scale();
for (const kind of kinds) {
  if (only.includes('idle')) await idle(kind, N, `idle ${N / 1000}k`);
}
if (only.includes('max') && MAX > 0) for (const kind of kinds) await idle(kind, MAX, `idle ${MAX / 1000}k`);
for (const kind of kinds) {
  if (only.includes('flood')) {
    for (const rate of (env.BENCH_BROADCAST_RATES ?? '10').split(',').map(Number)) await flood(kind, `broadcast ${rate}/s`, 'broadcast', rate);
  }
  if (only.includes('latency')) await flood(kind, '10k msg/s', 'id', 10_000);
}
if (only.includes('reburst')) for (const kind of kinds) await reburst(kind, N, Number(env.BENCH_BURSTS ?? 3));
if (only.includes('spread')) for (const policy of ['rr', 'none']) await spread(policy, N);
printTable();
printReburst();
printScale();
mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
writeFileSync(join(repoRoot, 'bench', 'results', 'server.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, seconds: Math.round((Date.now() - started) / 1000), rows, reburst: reburstRows, scale: scaleRows }, null, 2)}\n`);
