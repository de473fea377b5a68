import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { AgentServer } from '../../src/runner/agent-server.js';

/** Waits for `done` on the server's change notifications, failing with `what` after `timeoutMs` instead of hanging the suite. */
async function until(server: AgentServer, done: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    const left = deadline - performance.now();
    if (left <= 0) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await server.nextChange(Math.min(left, 200));
  }
}

test('the agent channel is a Unix socket (0600) in a private 0700 directory, removed when the run ends', async () => {
  const server = await AgentServer.open();
  const socket = statSync(server.socketPath);
  assert.ok(socket.isSocket());
  assert.equal(socket.mode & 0o777, 0o600);
  assert.equal(statSync(dirname(server.socketPath)).mode & 0o777, 0o700);
  await server.close();
  assert.equal(existsSync(dirname(server.socketPath)), false);
});

test('a client that speaks another protocol version is marked incompatible, not misread', async () => {
  const server = await AgentServer.open();
  try {
    const client = connect(server.socketPath);
    client.write(`${JSON.stringify({ type: 'hello', protocol: 99, pid: 1, ppid: 0, argv: ['node', 'x'], execArgv: [], title: 'node', nodeVersion: 'v20', memwatch: { available: true } })}\n`);
    await until(server, () => server.agents[0]?.hello !== undefined, 'the hello of the connected client');
    assert.equal(server.agents[0]!.incompatible, 'agent protocol 99, runner expects 1');
    client.destroy();
  } finally {
    await server.close();
  }
});

test('waiting for a hello that never comes fails with a message instead of hanging', async () => {
  const server = await AgentServer.open();
  try {
    const client = connect(server.socketPath);
    await assert.rejects(until(server, () => server.agents[0]?.hello !== undefined, 'a hello', 300), /timed out after 300 ms waiting for a hello/);
    client.destroy();
  } finally {
    await server.close();
  }
});
