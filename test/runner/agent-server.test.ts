import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { AgentServer } from '../../src/runner/agent-server.js';

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
    while (server.agents[0]?.hello === undefined) await server.nextChange(1000);
    assert.equal(server.agents[0]!.incompatible, 'agent protocol 99, runner expects 1');
    client.destroy();
  } finally {
    await server.close();
  }
});
