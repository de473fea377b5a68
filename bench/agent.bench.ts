// npm run bench:agent — what the leakcheck agent costs a running service outside snapshot moments.
// Starts two push servers (dist/server.js): one plain, one with the agent preloaded and connected
// to a runner socket (sampling memory, receiving GC stats), and drives identical closed-loop load
// (POST /pub/<id>) with the same driver `leakcheck run` uses, in alternating bursts (A/B, B/A, …)
// so drift and neighbours' load cancel out. The loss is computed per round (paired) and reported
// as mean ± standard error and median. No checkpoints or snapshots are taken: this is the cost
// of the agent between snapshot moments.
// A third arm runs the same server under `--import leakcheck/watch` with LEAKCHECK_WATCH_LOG set
// (the no-code-change mode of watchMemory: stats per full GC, the trend rule, a JSON line each; no
// snapshot, as none fires on this server). Each arm's CPU time per request is read from
// /proc/<pid>/stat around every burst.
// Last, the watcher's cost per full GC, in this process: blocks of forced GCs with and without a
// watchMemory() attached (alternating), CPU time per GC from process.cpuUsage().
// Env: ARMS (default plain,agent,watch; e.g. plain,watch for a longer two-way comparison, plain,placebo for an A/A run;
// `sampling` is the agent with the sampling heap profiler as `leakcheck run` starts it, `tracking` adds V8's
// allocation tracker as --track-allocations does, `agent` is the agent as --no-allocation-sites leaves it), ROUNDS (rounds, default 20), REQUESTS (per burst, default 5000), CONCURRENCY (default 16),
// MEMWATCH=0 (the agent's and the watcher's GC stats from Node's v8.GCProfiler instead of the addon).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_ENV } from '../src/agent/protocol.js';
import { AgentServer } from '../src/runner/agent-server.js';
import { LoadRecorder, runHttpLoad } from '../src/runner/http-load.js';
import { withAgentInNodeOptions } from '../src/runner/spawn-target.js';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { TrendRule } from '../src/stats/index.js';
import { WATCH_ENV, watchMemory } from '../src/watch/index.js';
import { renderTable, writeResults } from './table.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const agentPath = join(repoRoot, 'dist', 'src', 'agent', 'preload.js');
const watchPath = join(repoRoot, 'dist', 'src', 'watch', 'index.js');
const watchDir = mkdtempSync(join(tmpdir(), 'leakcheck-bench-watch-'));
const watchLog = join(watchDir, 'watch.jsonl');
const pushServer = join(repoRoot, 'dist', 'server.js');
const fallback = join(repoRoot, 'fixtures', 'apps', 'http-clean.mjs');
const usePushServer = existsSync(join(repoRoot, 'dist', 'src', 'server', 'main.js'));
// One process (--workers 1): the agent measures the process it is loaded in, and a cluster would
// spread the load over workers the plain arm does not have.
const target = usePushServer ? { script: pushServer, args: ['--port', '0', '--workers', '1'], path: '/pub/bench', method: 'POST', body: '{"bench":true}' }
  : { script: fallback, args: ['0'], path: '/', method: 'GET', body: undefined };

const rounds = Number(process.env['ROUNDS'] ?? 20);
const requests = Number(process.env['REQUESTS'] ?? 5000);
const concurrency = Number(process.env['CONCURRENCY'] ?? 16);
const warmupRequests = Math.min(3000, requests);

/** placebo: a second plain server, for an A/A run that shows how far two identical servers differ on this machine. */
type Arm = 'plain' | 'agent' | 'sampling' | 'tracking' | 'watch' | 'placebo';
/** The arms with the run agent inside. */
const AGENT_ARMS: readonly Arm[] = ['agent', 'sampling', 'tracking'];
/** The sampling heap profiler's interval, as `leakcheck run` sets it. */
const samplingBytes = 64 * 1024;
const gcSource = process.env['MEMWATCH'] === '0' ? 'gc-profiler' : 'memwatch';
const ARM_WORDS: Record<Arm, string> = {
  plain: 'without agent',
  placebo: 'without agent (placebo: a second plain server)',
  agent: `with agent, no allocation sampling (GC stats: ${gcSource})`,
  sampling: `with agent + sampling heap profiler, ${samplingBytes / 1024} KiB`,
  tracking: 'with agent + sampling + allocation tracker',
  watch: `--import leakcheck/watch (${gcSource})`,
};

/** Resident set size of a process (Linux), for the memory the allocation tracker keeps outside the JS heap. */
function rssBytes(pid: number | undefined): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}
interface Measurement { arm: Arm; round: number; requestsPerSecond: number; p50Ms: number; p99Ms: number; errors: number; agentSamples: number; cpuUsPerRequest: number }

/** User + system CPU of a process so far, in µs (/proc/<pid>/stat fields 14 and 15, in clock ticks of 10 ms). */
function cpuTimeUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

async function startServer(arm: Arm, agents: AgentServer | undefined): Promise<{ child: ChildProcess; port: number }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['NODE_OPTIONS'];
  if (AGENT_ARMS.includes(arm)) {
    env['NODE_OPTIONS'] = withAgentInNodeOptions(undefined, agentPath);
    env[AGENT_ENV.socket] = agents!.socketPath;
    if (process.env['MEMWATCH'] === '0') env[AGENT_ENV.memwatch] = '0';
    if (arm === 'sampling' || arm === 'tracking') env[AGENT_ENV.allocationSamplingBytes] = String(samplingBytes);
    if (arm === 'tracking') env[AGENT_ENV.trackAllocations] = '1';
  }
  if (arm === 'watch') {
    env['NODE_OPTIONS'] = withAgentInNodeOptions(undefined, watchPath);
    env[WATCH_ENV.log] = watchLog;
    if (process.env['MEMWATCH'] === '0') env[WATCH_ENV.memwatch] = '0';
  }
  const child = spawn(process.execPath, [target.script, ...target.args], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    // Generous: under the allocation tracker and on a busy machine, start-up takes many seconds.
    const timer = setTimeout(() => reject(new Error(`${arm} server did not start: ${out}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (?:http:\/\/[^\s:]+:)?(\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  return { child, port };
}

interface Running { arm: Arm; child: ChildProcess; url: string; agents: AgentServer | undefined }

async function start(arm: Arm): Promise<Running> {
  const agents = AGENT_ARMS.includes(arm) ? await AgentServer.open() : undefined;
  const { child, port } = await startServer(arm, agents);
  return { arm, child, url: `http://127.0.0.1:${port}${target.path}`, agents };
}

async function burst(server: Running, count: number, round: number): Promise<Measurement> {
  const recorder = new LoadRecorder();
  const cpuBefore = cpuTimeUs(server.child.pid!);
  await runHttpLoad({ url: server.url, method: target.method, concurrency, requests: count, durationMs: 120_000, ...(target.body === undefined ? {} : { body: target.body }) }, recorder);
  const stats = recorder.stats();
  const agentSamples = server.agents?.agents.reduce((n, a) => n + a.memory.length, 0) ?? 0;
  const cpuUsPerRequest = (cpuTimeUs(server.child.pid!) - cpuBefore) / count;
  return { arm: server.arm, round, requestsPerSecond: stats.requestsPerSecond, p50Ms: stats.latencyP50Ms, p99Ms: stats.latencyP99Ms, errors: stats.errors, agentSamples, cpuUsPerRequest };
}

async function stop(server: Running): Promise<void> {
  server.child.kill('SIGTERM');
  await new Promise((resolve) => server.child.once('exit', resolve));
  await server.agents?.close();
}

function meanAndStdError(values: readonly number[]): { mean: number; stdError: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, stdError: Math.sqrt(variance / values.length) };
}

// Both servers run side by side for the whole bench and take turns: short bursts, alternating
// which goes first, so a neighbour's CPU spike hits both arms alike instead of one measurement.
const allArms = Object.keys(ARM_WORDS) as Arm[];
const arms = (process.env['ARMS'] ?? 'plain,agent,watch').split(',') as Arm[];
if (arms[0] !== 'plain' || arms.length < 2 || arms.some((a) => !allArms.includes(a))) throw new Error(`ARMS must start with plain and name at least one of ${allArms.slice(1).join(', ')}: ${process.env['ARMS']}`);
const servers = Object.fromEntries(await Promise.all(arms.map(async (arm) => [arm, await start(arm)] as const))) as Partial<Record<Arm, Running>>;
const measurements: Measurement[] = [];
const rssByArm = new Map<Arm, number | null>();
try {
  for (const server of Object.values(servers)) {
    if (!server.agents) continue;
    if (!server.agents.agents.some((a) => a.hello)) await server.agents.nextChange(5000);
    if (!server.agents.agents.some((a) => a.hello)) throw new Error(`the ${server.arm} arm's agent did not connect: the comparison would be plain against plain`);
  }
  for (const arm of arms) await burst(servers[arm]!, warmupRequests, -1);
  for (let round = 0; round < rounds; round++) {
    // Every arm goes first, second and third equally often.
    const order: Arm[] = arms.map((_, k) => arms[(k + round) % arms.length]!);
    if (Math.floor(round / arms.length) % 2 === 1) order.reverse();
    for (const arm of order) {
      const m = await burst(servers[arm]!, requests, round);
      measurements.push(m);
      process.stderr.write(`round ${round + 1}/${rounds} ${arm.padEnd(5)} ${m.requestsPerSecond.toFixed(0)} req/s  p50 ${m.p50Ms.toFixed(2)} ms  p99 ${m.p99Ms.toFixed(2)} ms\n`);
    }
  }
  for (const arm of arms) rssByArm.set(arm, rssBytes(servers[arm]!.child.pid));
} finally {
  for (const arm of arms) await stop(servers[arm]!);
}
const watchLines = existsSync(watchLog) ? readFileSync(watchLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string }) : [];
rmSync(watchDir, { recursive: true, force: true });
if (servers.watch && !watchLines.some((l) => l.type === 'start')) throw new Error('the watcher did not start in the watch arm: the comparison would be plain against plain');
const watchCounts = { stats: watchLines.filter((l) => l.type === 'stats').length, leak: watchLines.filter((l) => l.type === 'leak').length, snapshot: watchLines.filter((l) => l.type === 'snapshot').length };
const agentSamples = measurements.filter((m) => m.arm === 'agent').reduce((n, m) => Math.max(n, m.agentSamples), 0);

const armStats = arms.map((arm) => {
  const ms = measurements.filter((m) => m.arm === arm);
  return {
    arm,
    rssBytes: rssByArm.get(arm) ?? null,
    rps: meanAndStdError(ms.map((m) => m.requestsPerSecond)),
    p50: meanAndStdError(ms.map((m) => m.p50Ms)),
    p99: meanAndStdError(ms.map((m) => m.p99Ms)),
    errors: ms.reduce((n, m) => n + m.errors, 0),
    cpuUsPerRequest: meanAndStdError(ms.map((m) => m.cpuUsPerRequest)),
  };
});
const medianOf = (values: readonly number[]) => [...values].sort((x, y) => x - y)[values.length >> 1]!;
const pm = (s: { mean: number; stdError: number }, digits: number) => `${s.mean.toFixed(digits)} ± ${s.stdError.toFixed(digits)}`;

/** `arm` against plain: throughput loss per round (paired), the ratio of mean throughput, and CPU per request. */
function compareWithPlain(arm: Arm) {
  const losses: number[] = [];
  const cpuRatios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const plain = measurements.find((m) => m.round === round && m.arm === 'plain')!;
    const other = measurements.find((m) => m.round === round && m.arm === arm)!;
    losses.push(((plain.requestsPerSecond - other.requestsPerSecond) / plain.requestsPerSecond) * 100);
    cpuRatios.push(other.cpuUsPerRequest / plain.cpuUsPerRequest);
  }
  const stats = (a: Arm) => armStats.find((r) => r.arm === a)!;
  return {
    arm,
    lossPercent: { ...meanAndStdError(losses), median: medianOf(losses) },
    throughputRatio: stats(arm).rps.mean / stats('plain').rps.mean,
    cpuPerRequestRatio: { ...meanAndStdError(cpuRatios), median: medianOf(cpuRatios) },
  };
}
const comparisons = arms.filter((arm) => arm !== 'plain').map(compareWithPlain);

process.stdout.write(`\nagent overhead on ${usePushServer ? 'the push server (POST /pub/<id>)' : 'fixtures/apps/http-clean.mjs (push server not built)'}; ${rounds} rounds × ${requests} requests per arm, concurrency ${concurrency}, node ${process.version}\n\n`);
process.stdout.write(`${renderTable([
  { title: 'server', cell: (r: (typeof armStats)[number]) => ARM_WORDS[r.arm], left: true },
  { title: 'req/s', cell: (r) => pm(r.rps, 0) },
  { title: 'p50 ms', cell: (r) => pm(r.p50, 3) },
  { title: 'p99 ms', cell: (r) => pm(r.p99, 3) },
  { title: 'CPU µs/req', cell: (r) => pm(r.cpuUsPerRequest, 1) },
  { title: 'errors', cell: (r) => String(r.errors) },
  { title: 'RSS at end', cell: (r) => (r.rssBytes === null ? '?' : `${(r.rssBytes / 2 ** 20).toFixed(1)} MiB`) },
], armStats)}\n\n`);
for (const c of comparisons) {
  process.stdout.write(`${ARM_WORDS[c.arm]} against plain (paired by round): throughput loss mean ${pm(c.lossPercent, 2)} %, `
    + `median ${c.lossPercent.median.toFixed(2)} %; ratio of mean throughput ${c.throughputRatio.toFixed(4)}; `
    + `CPU per request ${pm(c.cpuPerRequestRatio, 4)}× (median ${c.cpuPerRequestRatio.median.toFixed(4)})  ${c.arm === 'placebo' ? '' : `(target < ${AGENT_ARMS.includes(c.arm) ? 3 : 1} %)`}\n`);
}
if (servers.watch) process.stdout.write(`the watcher logged ${watchCounts.stats} stats, ${watchCounts.leak} leak events and ${watchCounts.snapshot} snapshots\n`);
if (servers.agent) process.stdout.write(`the agent sent ${agentSamples} memory samples during the bench (it was live, sampling every 250 ms)\n`);
/**
 * CPU µs per full GC with a watcher attached minus without, in blocks that alternate so drift
 * cancels. A turn of the event loop after each GC lets the stats arrive (memwatch and the
 * PerformanceObserver both deliver asynchronously) in both arms alike.
 */
async function watcherCostPerGc(blocks: number, gcsPerBlock: number): Promise<{ withUs: number[]; withoutUs: number[]; statsEvents: number; heapObjects: number }> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const ballast = Array.from({ length: 20_000 }, (_, i) => ({ i, text: `item ${i}` }));
  const withUs: number[] = [];
  const withoutUs: number[] = [];
  let statsEvents = 0;
  for (let block = 0; block < 2 * blocks; block++) {
    const attached = block % 2 === (Math.floor(block / 2) % 2);
    const watcher = attached ? watchMemory({ memwatch: process.env['MEMWATCH'] !== '0' }) : undefined;
    watcher?.on('stats', () => statsEvents++);
    const start = process.cpuUsage();
    for (let k = 0; k < gcsPerBlock; k++) {
      gc();
      await nextTurn();
    }
    const used = process.cpuUsage(start);
    watcher?.stop();
    (attached ? withUs : withoutUs).push((used.user + used.system) / gcsPerBlock);
  }
  return { withUs, withoutUs, statsEvents, heapObjects: ballast.length };
}

const gcBlocks = Number(process.env['GC_BLOCKS'] ?? 20);
const gcCost = await watcherCostPerGc(gcBlocks, 50);
const gcWith = meanAndStdError(gcCost.withUs);
const gcWithout = meanAndStdError(gcCost.withoutUs);
const gcDiffs = gcCost.withUs.map((w, k) => w - gcCost.withoutUs[k]!);
const gcDiff = meanAndStdError(gcDiffs);
process.stdout.write(`watcher cost per full GC (${gcBlocks} block pairs × 50 forced GCs of a heap with ${gcCost.heapObjects} small objects, ${gcCost.statsEvents} stats events): `
  + `${pm(gcWith, 0)} µs CPU with, ${pm(gcWithout, 0)} µs without, difference ${pm(gcDiff, 1)} µs (median ${medianOf(gcDiffs).toFixed(1)})\n`);

/** The leak rule alone on a full 30-GC window: its share of the per-GC cost, free of GC noise. */
function trendRuleCostUs(pushes: number): number {
  const rule = new TrendRule({ minGrowthBytes: Number.MAX_SAFE_INTEGER });
  const start = process.cpuUsage();
  for (let k = 0; k < pushes; k++) rule.push({ timeMs: k * 1000, usedHeapBytes: 50e6 + (k % 7) * 1e5, forced: false });
  const used = process.cpuUsage(start);
  return (used.user + used.system) / pushes;
}
const ruleUs = trendRuleCostUs(20_000);
process.stdout.write(`the trend rule alone: ${ruleUs.toFixed(1)} µs CPU per full GC (window of 30)\n`);

const file = writeResults('agent', {
  node: process.version, target: usePushServer ? 'push-server' : 'http-clean', gcSource, rounds, requests, concurrency,
  arms: armStats, comparisons, watchCounts,
  trendRuleCostUs: ruleUs,
  watcherCostPerGcUs: { with: gcWith, without: gcWithout, difference: { ...gcDiff, median: medianOf(gcDiffs) }, statsEvents: gcCost.statsEvents }, agentSamples, measurements,
});
process.stdout.write(`results: ${file}\n`);
