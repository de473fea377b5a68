import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { AgentServer, sweepStaleSocketDirs } from '../../src/runner/agent-server.js';
import { tmpDir } from '../helpers/tmp-dir.js';

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

test('socket directories of runs whose runner died are swept; live runs and foreign directories are left alone', (t) => {
  const parent = tmpDir(t);
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const make = (name: string, pid?: number) => {
    const dir = join(parent, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'agent.sock'), '');
    if (pid !== undefined) writeFileSync(join(dir, 'runner.pid'), `${pid}\n`);
    return dir;
  };
  const stale = make('leakcheck-agent-dead', Number(dead.stdout));
  const live = make('leakcheck-agent-live', process.pid);
  const unmarked = make('leakcheck-agent-nopid');
  const other = make('something-else', Number(dead.stdout));
  return sweepStaleSocketDirs(parent).then((removed) => {
    assert.deepEqual(removed, [stale]);
    assert.equal(existsSync(stale), false);
    for (const kept of [live, unmarked, other]) assert.ok(existsSync(kept), kept);
  });
});

test('a run\'s socket directory names its runner, so a later run can tell it is stale', async () => {
  const server = await AgentServer.open();
  try {
    assert.equal(readFileSync(join(dirname(server.socketPath), 'runner.pid'), 'utf8'), `${process.pid}\n`);
  } finally {
    await server.close();
  }
});
