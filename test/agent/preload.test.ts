import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AgentMessage, RunnerCommand } from '../../src/agent/protocol.js';
import { withAgentInNodeOptions } from '../../src/runner/index.js';
import { repoRoot } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const agentPath = join(repoRoot, 'dist', 'src', 'agent', 'preload.js');

// What a program can observe about its own process: if the agent were not inert, one of these would change.
const observer = `
const before = { exec: process.execArgv.join(' '), gc: typeof globalThis.gc, handles: process.getActiveResourcesInfo().sort().join(','),
  exitListeners: process.listenerCount('exit'), warnListeners: process.listenerCount('warning'),
  leakcheckEnv: Object.keys(process.env).filter((k) => k.startsWith('LEAKCHECK')).join(',') };
setImmediate(() => { console.log(JSON.stringify(before)); console.log(JSON.stringify(process.getActiveResourcesInfo().sort())); });
`;

test('without LEAKCHECK_SOCKET the preloaded agent changes nothing the program can see', (t) => {
  const dir = tmpDir(t);
  const script = join(dir, 'observe.mjs');
  writeFileSync(script, observer);
  const env = { ...process.env };
  delete env['LEAKCHECK_SOCKET'];
  const plain = spawnSync(process.execPath, [script], { env, encoding: 'utf8', timeout: 20_000 });
  const withAgent = spawnSync(process.execPath, [script], { env: { ...env, NODE_OPTIONS: withAgentInNodeOptions(undefined, agentPath) }, encoding: 'utf8', timeout: 20_000 });
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(withAgent.status, 0, withAgent.stderr);
  assert.equal(withAgent.stderr, plain.stderr);
  assert.equal(withAgent.stdout, plain.stdout);
});

test('NODE_OPTIONS keeps the user\'s own options and quotes an agent path with spaces', () => {
  assert.equal(withAgentInNodeOptions('--max-old-space-size=512', '/a b/preload.js'), '--max-old-space-size=512 --import="/a b/preload.js"');
  assert.equal(withAgentInNodeOptions('  ', '/x.js'), '--import="/x.js"');
});

interface AgentSession {
  messages: AgentMessage[];
  socket: Promise<Socket>;
  waitFor: (predicate: (m: AgentMessage) => boolean) => Promise<AgentMessage>;
  close: () => Promise<void>;
}

/** A Unix socket server standing in for the runner: collects every agent message. */
async function listenForAgent(path: string): Promise<AgentSession> {
  const messages: AgentMessage[] = [];
  let wake: (() => void) | undefined;
  let resolveSocket!: (s: Socket) => void;
  const socket = new Promise<Socket>((resolve) => { resolveSocket = resolve; });
  const server = createServer((s) => {
    resolveSocket(s);
    s.setEncoding('utf8');
    let buffered = '';
    s.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        messages.push(JSON.parse(buffered.slice(0, nl)) as AgentMessage);
        buffered = buffered.slice(nl + 1);
      }
      wake?.();
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    messages,
    socket,
    waitFor: async (predicate) => {
      for (;;) {
        const found = messages.find(predicate);
        if (found) return found;
        await new Promise<void>((resolve) => { wake = resolve; });
      }
    },
    close: () => new Promise<void>((resolve) => {
      void socket.then((s) => s.destroy());
      server.close(() => resolve());
    }),
  };
}

// Every GcSample field must come from either source: the addon, or Node's built-ins when it is kept out (issue 9).
for (const source of ['memwatch', 'gc-profiler'] as const) {
test(`over a real socket the agent says hello, streams memory and GC stats (${source}) in base units, and marks its own GCs`, async (t) => {
  const dir = tmpDir(t);
  const sock = join(dir, 'agent.sock');
  const session = await listenForAgent(sock);
  t.after(() => session.close());
  // The program forces two full GCs of its own (they must not be marked as the agent's), then idles.
  const script = join(dir, 'app.mjs');
  // Right after its last GC it allocates 32 MB at once: the GC's figures must be those V8 had right
  // after the GC (memwatch's epilogue, GCProfiler's record), not the heap when the stats arrive.
  writeFileSync(script, `const keep = []; for (let i = 0; i < 2; i++) { for (let j = 0; j < 20000; j++) keep.push({ j }); globalThis.gc(); }
globalThis.big = Array.from({ length: 4e6 }, (_, i) => i + 0.5);
setTimeout(() => {}, 30000);`);
  const child = spawn(process.execPath, ['--expose-gc', script], {
    env: {
      ...process.env, NODE_OPTIONS: withAgentInNodeOptions(undefined, agentPath), LEAKCHECK_SOCKET: sock, LEAKCHECK_SAMPLE_MS: '20',
      ...(source === 'memwatch' ? {} : { LEAKCHECK_MEMWATCH: '0' }),
    },
    stdio: 'ignore',
  });
  t.after(() => child.kill('SIGKILL'));

  const hello = await session.waitFor((m) => m.type === 'hello') as Extract<AgentMessage, { type: 'hello' }>;
  assert.equal(hello.protocol, 1);
  assert.equal(hello.pid, child.pid);
  assert.equal(hello.memwatch.available, source === 'memwatch');
  assert.equal(hello.gcSource, source);
  assert.equal(hello.argv[1], script);

  const memory = (await session.waitFor((m) => m.type === 'memory') as Extract<AgentMessage, { type: 'memory' }>).sample;
  for (const key of ['rssBytes', 'heapTotalBytes', 'heapUsedBytes', 'externalBytes', 'arrayBuffersBytes'] as const) {
    assert.ok(Number.isInteger(memory[key]) && memory[key] >= 0, `${key}=${memory[key]}`);
  }
  assert.ok(memory.rssBytes > memory.heapTotalBytes && memory.heapTotalBytes >= memory.heapUsedBytes);
  assert.ok(Math.abs(memory.timeMs - Date.now()) < 60_000, 'timeMs is epoch milliseconds');

  const ownGc = (await session.waitFor((m) => m.type === 'gc') as Extract<AgentMessage, { type: 'gc' }>).sample;
  assert.equal(ownGc.source, source);
  assert.equal(ownGc.forced, false, 'a GC the program ran is not the agent\'s');
  assert.ok(Math.abs(ownGc.timeMs - Date.now()) < 60_000, 'timeMs is epoch milliseconds');
  assert.ok(ownGc.usedHeapBytes > 0 && ownGc.usedHeapBytes <= ownGc.totalHeapBytes);
  assert.ok(ownGc.heapSizeLimitBytes > ownGc.totalHeapBytes);
  assert.ok(ownGc.gcPauseNs > 0 && ownGc.markSweepCompactTotalNs >= ownGc.gcPauseNs);
  assert.ok(ownGc.markSweepCompactCount >= 1);
  const programGcs = () => (session.messages.filter((m) => m.type === 'gc' && !m.sample.forced) as Array<Extract<AgentMessage, { type: 'gc' }>>);
  await session.waitFor(() => programGcs().length >= 2);
  assert.ok(programGcs()[1]!.sample.usedHeapBytes < 24 * 1024 * 1024, `post-GC heap ${programGcs()[1]!.sample.usedHeapBytes} B includes what was allocated after the GC`);
  // No order between the two malloc figures: V8 counts more in malloced_memory than in its peak.
  assert.ok(ownGc.totalPhysicalBytes > 0 && ownGc.mallocedBytes > 0 && ownGc.peakMallocedBytes > 0);
  assert.ok(ownGc.totalAvailableBytes > 0 && ownGc.totalHeapExecutableBytes >= 0);

  const socket = await session.socket;
  const snapshotPath = join(dir, 'boundary.heapsnapshot');
  const send = (command: RunnerCommand) => socket.write(`${JSON.stringify(command)}\n`);
  const sentAtMs = Date.now();
  send({ type: 'checkpoint', id: 7, snapshotPath, heapDiff: 'start' });
  const reply = await session.waitFor((m) => m.type === 'reply' && m.id === 7) as Extract<AgentMessage, { type: 'reply' }>;
  assert.equal(reply.ok, true, reply.ok ? '' : reply.error);
  if (!reply.ok) return;
  assert.equal(reply.result.snapshot?.path, snapshotPath);
  assert.equal(statSync(snapshotPath).mode & 0o777, 0o600);
  assert.equal(statSync(snapshotPath).size, reply.result.snapshot?.sizeBytes);
  assert.ok(reply.result.memory.heapUsedBytes > 0);

  send({ type: 'checkpoint', id: 8, heapDiff: 'end' });
  const diffReply = await session.waitFor((m) => m.type === 'reply' && m.id === 8) as Extract<AgentMessage, { type: 'reply' }>;
  assert.ok(diffReply.ok);
  if (source === 'memwatch') assert.ok(diffReply.result.heapDiff && diffReply.result.heapDiff.beforeNodes > 0);
  else assert.equal(diffReply.result.heapDiff, undefined, 'HeapDiff needs the addon');
  // Stats arrive asynchronously, possibly after the replies: judge GCs by when they ran. The idle
  // program allocates nothing after its own two gc() calls, so every GC from here on is ours.
  const gcsSince = () => session.messages.filter((m) => m.type === 'gc' && m.sample.timeMs >= sentAtMs) as Array<Extract<AgentMessage, { type: 'gc' }>>;
  await session.waitFor(() => gcsSince().length >= 2);
  assert.ok(gcsSince().every((m) => m.sample.forced), JSON.stringify(gcsSince().map((m) => m.sample.forced)));
  // Cumulative counters only grow, whatever the source.
  const counts = (session.messages.filter((m) => m.type === 'gc') as Array<Extract<AgentMessage, { type: 'gc' }>>).map((m) => m.sample.markSweepCompactCount);
  assert.deepEqual(counts, [...counts].sort((a, b) => a - b));
});
}

for (const memwatch of ['1', '0']) {
test(`an agent connected to the runner never keeps a finished program alive (LEAKCHECK_MEMWATCH=${memwatch})`, async (t) => {
  const dir = tmpDir(t);
  const sock = join(dir, 'agent.sock');
  const session = await listenForAgent(sock);
  t.after(() => session.close());
  const script = join(dir, 'done.mjs');
  writeFileSync(script, 'console.log("done");');
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, NODE_OPTIONS: withAgentInNodeOptions(undefined, agentPath), LEAKCHECK_SOCKET: sock, LEAKCHECK_MEMWATCH: memwatch },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0);
  assert.equal(stdout, 'done\n');
});
}

test('worker threads of the target do not start agents of their own', async (t) => {
  const dir = tmpDir(t);
  const sock = join(dir, 'agent.sock');
  const session = await listenForAgent(sock);
  t.after(() => session.close());
  const script = join(dir, 'workers.mjs');
  // Two workers load the agent module themselves (as a runtime that preloads into workers
  // would), live a moment, then the program ends.
  writeFileSync(script, `import { Worker } from 'node:worker_threads';
const code = 'import(' + JSON.stringify(${JSON.stringify(pathToFileURL(agentPath).href)}) + ').then(() => setTimeout(() => {}, 300))';
await Promise.all([0, 1].map(() => new Promise((resolve) => new Worker(code, { eval: true }).once('exit', resolve))));`);
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, NODE_OPTIONS: withAgentInNodeOptions(undefined, agentPath), LEAKCHECK_SOCKET: sock },
    stdio: 'ignore',
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0);
  await session.waitFor((m) => m.type === 'hello');
  assert.equal(session.messages.filter((m) => m.type === 'hello').length, 1);
});

test('a target whose runner vanishes stops itself: SIGTERM first, SIGKILL after the grace period if it ignores that', { timeout: 30_000 }, async (t) => {
  const dir = tmpDir(t);
  const start = async (name: string, program: string) => {
    const sock = join(dir, `${name}.sock`);
    const session = await listenForAgent(sock);
    const script = join(dir, `${name}.mjs`);
    writeFileSync(script, program);
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, NODE_OPTIONS: withAgentInNodeOptions(undefined, agentPath), LEAKCHECK_SOCKET: sock },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    t.after(() => child.kill('SIGKILL'));
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    const ended = new Promise<{ code: number | null; signal: string | null; stdout: string }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stdout })));
    // The hello comes from the preload, before the program has installed its handlers: wait for the program itself.
    await session.waitFor((m) => m.type === 'hello');
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    return { session, ended };
  };
  const polite = await start('polite', `process.on('SIGTERM', () => { console.log('shutting down'); process.exit(7); }); console.log('ready'); setInterval(() => {}, 1000);`);
  const stubborn = await start('stubborn', `process.on('SIGTERM', () => console.log('ignoring SIGTERM')); console.log('ready'); setInterval(() => {}, 1000);`);
  const lostAt = performance.now();
  // The runner dies: its end of the channel closes without a word.
  await Promise.all([polite.session.close(), stubborn.session.close()]);
  assert.deepEqual(await polite.ended, { code: 7, signal: null, stdout: 'ready\nshutting down\n' });
  assert.deepEqual(await stubborn.ended, { code: null, signal: 'SIGKILL', stdout: 'ready\nignoring SIGTERM\n' });
  assert.ok(performance.now() - lostAt >= 4500, 'the grace period passed first');
});
