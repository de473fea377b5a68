import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cliPath } from '../helpers/paths.js';

function runCli(args: string[]) {
  return spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
}

test('an unknown command exits 2 with a one-line error and no stack', () => {
  const result = runCli(['no-such-command']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /leakcheck:/);
  assert.doesNotMatch(result.stderr, /at .*\.js:\d+/);
});

test('no command at all exits 2 and says what to do', () => {
  const result = runCli([]);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /Name a command/);
});

test('--help exits 0 and names the program', () => {
  const result = runCli(['--help']);
  assert.equal(result.status, 0);
  assert.match(result.stdout, /leakcheck/);
});
