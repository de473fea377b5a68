// npm run bench:agent — what the leakcheck agent costs a running service outside snapshot moments.
// Starts two push servers (dist/server.js): one plain, one with the agent preloaded and connected
// to a runner socket (sampling memory, receiving GC stats), and drives identical closed-loop load
// (POST /pub/<id>) with the same driver `leakcheck run` uses, in alternating bursts (A/B, B/A, …)
// so drift and neighbours' load cancel out. The loss is computed per round (paired) and reported
// as mean ± standard error and median. No checkpoints or snapshots are taken: this is the cost
// of the agent between snapshot moments.
// Env: ROUNDS (pairs, default 20), REQUESTS (per burst, default 5000), CONCURRENCY (default 16),
// MEMWATCH=0 (the agent's GC stats from Node's v8.GCProfiler instead of the addon),
// ARMS (default plain,agent,sampling): which servers run side by side — `agent` is the agent as
// --no-allocation-sites leaves it, `sampling` adds the sampling heap profiler (run's default),
// `tracking` adds V8's allocation tracker (--track-allocations).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_ENV } from '../src/agent/protocol.js';
import { AgentServer } from '../src/runner/agent-server.js';
import { LoadRecorder, runHttpLoad } from '../src/runner/http-load.js';
import { withAgentInNodeOptions } from '../src/runner/spawn-target.js';
import { renderTable, writeResults } from './table.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const agentPath = join(repoRoot, 'dist', 'src', 'agent', 'preload.js');
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

const ARM_NAMES = ['plain', 'agent', 'sampling', 'tracking'] as const;
type Arm = (typeof ARM_NAMES)[number];
const armList = (process.env['ARMS'] ?? 'plain,agent,sampling').split(',').map((a) => a.trim()) as Arm[];
if (armList[0] !== 'plain' || armList.some((a) => !ARM_NAMES.includes(a))) throw new Error(`ARMS must start with plain and name only ${ARM_NAMES.join(', ')}`);
/** The sampling heap profiler's interval, as `leakcheck run` sets it. */
const samplingBytes = 64 * 1024;
interface Measurement { arm: Arm; round: number; requestsPerSecond: number; p50Ms: number; p99Ms: number; errors: number; agentSamples: number }

/** Resident set size of a process (Linux), for the memory the allocation tracker keeps outside the JS heap. */
function rssBytes(pid: number | undefined): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

async function startServer(arm: Arm, agents: AgentServer | undefined): Promise<{ child: ChildProcess; port: number }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['NODE_OPTIONS'];
  if (arm !== 'plain') {
    env['NODE_OPTIONS'] = withAgentInNodeOptions(undefined, agentPath);
    env[AGENT_ENV.socket] = agents!.socketPath;
    if (process.env['MEMWATCH'] === '0') env[AGENT_ENV.memwatch] = '0';
    if (arm === 'sampling' || arm === 'tracking') env[AGENT_ENV.allocationSamplingBytes] = String(samplingBytes);
    if (arm === 'tracking') env[AGENT_ENV.trackAllocations] = '1';
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
  const agents = arm === 'plain' ? undefined : await AgentServer.open();
  const { child, port } = await startServer(arm, agents);
  return { arm, child, url: `http://127.0.0.1:${port}${target.path}`, agents };
}

async function burst(server: Running, count: number, round: number): Promise<Measurement> {
  const recorder = new LoadRecorder();
  await runHttpLoad({ url: server.url, method: target.method, concurrency, requests: count, durationMs: 120_000, ...(target.body === undefined ? {} : { body: target.body }) }, recorder);
  const stats = recorder.stats();
  const agentSamples = server.agents?.agents.reduce((n, a) => n + a.memory.length, 0) ?? 0;
  return { arm: server.arm, round, requestsPerSecond: stats.requestsPerSecond, p50Ms: stats.latencyP50Ms, p99Ms: stats.latencyP99Ms, errors: stats.errors, agentSamples };
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
const servers = new Map<Arm, Running>();
for (const arm of armList) servers.set(arm, await start(arm));
const measurements: Measurement[] = [];
const rssByArm = new Map<Arm, number | null>();
try {
  for (const server of servers.values()) {
    if (!server.agents) continue;
    if (!server.agents.agents.some((a) => a.hello)) await server.agents.nextChange(5000);
    if (!server.agents.agents.some((a) => a.hello)) throw new Error(`the ${server.arm} arm's agent did not connect: the comparison would be plain against plain`);
  }
  for (const server of servers.values()) await burst(server, warmupRequests, -1);
  for (let round = 0; round < rounds; round++) {
    // Rotate who goes first, so each arm takes every position equally often.
    const order = armList.map((_, k) => armList[(k + round) % armList.length]!);
    for (const arm of order) {
      const m = await burst(servers.get(arm)!, requests, round);
      measurements.push(m);
      process.stderr.write(`round ${round + 1}/${rounds} ${arm.padEnd(5)} ${m.requestsPerSecond.toFixed(0)} req/s  p50 ${m.p50Ms.toFixed(2)} ms  p99 ${m.p99Ms.toFixed(2)} ms\n`);
    }
  }
  for (const [arm, server] of servers) rssByArm.set(arm, rssBytes(server.child.pid));
} finally {
  for (const server of servers.values()) await stop(server);
}
const gcSource = process.env['MEMWATCH'] === '0' ? 'gc-profiler' : 'memwatch';
const ARM_WORDS: Record<Arm, string> = {
  plain: 'without agent',
  agent: `agent, no allocation sampling (GC stats: ${gcSource})`,
  sampling: `agent + sampling heap profiler, ${samplingBytes / 1024} KiB`,
  tracking: 'agent + sampling + allocation tracker',
};
const agentSamples = measurements.filter((m) => m.arm === 'agent').reduce((n, m) => Math.max(n, m.agentSamples), 0);

const arms = armList.map((arm) => {
  const ms = measurements.filter((m) => m.arm === arm);
  return {
    arm,
    rssBytes: rssByArm.get(arm) ?? null,
    rps: meanAndStdError(ms.map((m) => m.requestsPerSecond)),
    p50: meanAndStdError(ms.map((m) => m.p50Ms)),
    p99: meanAndStdError(ms.map((m) => m.p99Ms)),
    errors: ms.reduce((n, m) => n + m.errors, 0),
  };
});
/** Per arm other than plain: its throughput loss against plain, paired by round. */
const lossByArm = armList.slice(1).map((arm) => {
  const losses: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const plain = measurements.find((m) => m.round === round && m.arm === 'plain')!;
    const other = measurements.find((m) => m.round === round && m.arm === arm)!;
    losses.push(((plain.requestsPerSecond - other.requestsPerSecond) / plain.requestsPerSecond) * 100);
  }
  return { arm, ...meanAndStdError(losses), median: [...losses].sort((x, y) => x - y)[losses.length >> 1]! };
});
const pm = (s: { mean: number; stdError: number }, digits: number) => `${s.mean.toFixed(digits)} ± ${s.stdError.toFixed(digits)}`;

process.stdout.write(`\nagent overhead on ${usePushServer ? 'the push server (POST /pub/<id>)' : 'fixtures/apps/http-clean.mjs (push server not built)'}; ${rounds} rounds × ${requests} requests per arm, concurrency ${concurrency}, node ${process.version}\n\n`);
process.stdout.write(`${renderTable([
  { title: 'server', cell: (r: (typeof arms)[number]) => ARM_WORDS[r.arm], left: true },
  { title: 'req/s', cell: (r) => pm(r.rps, 0) },
  { title: 'p50 ms', cell: (r) => pm(r.p50, 3) },
  { title: 'p99 ms', cell: (r) => pm(r.p99, 3) },
  { title: 'errors', cell: (r) => String(r.errors) },
  { title: 'RSS at end', cell: (r) => (r.rssBytes === null ? '?' : `${(r.rssBytes / 2 ** 20).toFixed(1)} MiB`) },
], arms)}\n\n`);
for (const l of lossByArm) {
  process.stdout.write(`throughput loss, ${ARM_WORDS[l.arm]} vs without agent (paired by round): mean ${pm(l, 2)} %, median ${l.median.toFixed(2)} %${l.arm === 'agent' ? '  (target < 3 %)' : ''}\n`);
}
process.stdout.write(`the agent sent ${agentSamples} memory samples during the bench (it was live, sampling every 250 ms)\n`);
const file = writeResults('agent', {
  node: process.version, target: usePushServer ? 'push-server' : 'http-clean', gcSource, rounds, requests, concurrency,
  arms, lossPercent: lossByArm, agentSamples, measurements,
});
process.stdout.write(`results: ${file}\n`);
