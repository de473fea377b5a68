// A cluster worker's word that it listens can reach the runner before its primary's (each process
// has its own connection): the run must still take the primary as the target, or it would neither
// wait for nor measure the other workers (a clean verdict over one process of three).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentConnection } from '../../src/runner/agent-server.js';
import { preferClusterPrimary } from '../../src/runner/readiness.js';

interface FakeAgent {
  hello: { pid: number; ppid: number; clusterWorkerId?: number };
  listening: Array<{ port: number; clusterWorkers?: number }>;
  closed: boolean;
}

function fakeServer(agents: FakeAgent[]) {
  const waiters: Array<() => void> = [];
  return {
    agents: agents as unknown as AgentConnection[],
    nextChange: (maxMs: number) => new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, maxMs);
      waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    }),
    changed: () => {
      for (const wake of waiters.splice(0)) wake();
    },
  };
}

const port = 4321;

test('a worker chosen first gives way to its primary once the primary is seen listening', async () => {
  const primary: FakeAgent = { hello: { pid: 100, ppid: 1 }, listening: [], closed: false };
  const worker: FakeAgent = { hello: { pid: 101, ppid: 100, clusterWorkerId: 1 }, listening: [{ port }], closed: false };
  const server = fakeServer([primary, worker]);
  setTimeout(() => {
    primary.listening.push({ port, clusterWorkers: 2 });
    server.changed();
  }, 150);
  const started = performance.now();
  const target = await preferClusterPrimary(server, worker as unknown as AgentConnection, port, performance.now() + 15_000);
  assert.equal(target, primary as unknown as AgentConnection);
  assert.ok(performance.now() - started < 1000, 'woken by the change, not by the grace running out');
});

test('a worker whose primary never listens itself (scheduling policy none) stays the target after the grace', async () => {
  const primary: FakeAgent = { hello: { pid: 200, ppid: 1 }, listening: [], closed: false };
  const worker: FakeAgent = { hello: { pid: 201, ppid: 200, clusterWorkerId: 1 }, listening: [{ port }], closed: false };
  const target = await preferClusterPrimary(fakeServer([primary, worker]), worker as unknown as AgentConnection, port, performance.now() + 600);
  assert.equal(target, worker as unknown as AgentConnection);
});

test('no waiting for a process that is not a cluster worker, nor for a worker whose parent runs no agent', async () => {
  const plain: FakeAgent = { hello: { pid: 300, ppid: 1 }, listening: [{ port }], closed: false };
  const orphan: FakeAgent = { hello: { pid: 301, ppid: 999, clusterWorkerId: 1 }, listening: [{ port }], closed: false };
  const server = fakeServer([plain, orphan]);
  const started = performance.now();
  assert.equal(await preferClusterPrimary(server, plain as unknown as AgentConnection, port, performance.now() + 15_000), plain as unknown as AgentConnection);
  assert.equal(await preferClusterPrimary(server, orphan as unknown as AgentConnection, port, performance.now() + 15_000), orphan as unknown as AgentConnection);
  assert.ok(performance.now() - started < 100);
});

test('a primary listening on another port is not taken', async () => {
  const primary: FakeAgent = { hello: { pid: 400, ppid: 1 }, listening: [{ port: port + 1 }], closed: false };
  const worker: FakeAgent = { hello: { pid: 401, ppid: 400, clusterWorkerId: 2 }, listening: [{ port }], closed: false };
  const target = await preferClusterPrimary(fakeServer([primary, worker]), worker as unknown as AgentConnection, port, performance.now() + 400);
  assert.equal(target, worker as unknown as AgentConnection);
});
