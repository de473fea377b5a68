// A killed process drops its inspector connection a moment before it turns zombie: the live
// commands wait (processGoneWithin) before they call a dropped connection an inspector failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { processGoneWithin } from '../../src/live/target-process.js';

test('processGoneWithin: false for a live child after the grace, true once a killed one is gone', async (t) => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await once(child, 'spawn');
  const started = performance.now();
  assert.equal(await processGoneWithin(child.pid!, 300), false);
  assert.ok(performance.now() - started >= 280, 'waited out the grace');
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  assert.equal(await processGoneWithin(child.pid!, 5000), true);
  await exited;
  assert.equal(await processGoneWithin(child.pid!, 0), true);
});
