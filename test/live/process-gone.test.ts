// A killed process drops its inspector connection a moment before it turns zombie: the live
// commands wait (processGoneWithin) before they call a dropped connection an inspector failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { processGoneWithin } from '../../src/live/target-process.js';

test('processGoneWithin: true once a killed child is gone (a zombie not yet reaped counts as gone), false for a live one after the grace', async (t) => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await once(child, 'spawn');
  const started = performance.now();
  assert.equal(await processGoneWithin(child.pid!, 300), false);
  assert.ok(performance.now() - started >= 280, 'waited out the grace');
  // Not reaped until the 'exit' handler runs: the check must not need the parent to wait for it.
  child.kill('SIGKILL');
  assert.equal(await processGoneWithin(child.pid!, 5000), true);
  await once(child, 'exit');
  assert.equal(await processGoneWithin(child.pid!, 0), true);
});
