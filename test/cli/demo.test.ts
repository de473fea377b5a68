import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp-dir.js';

// The README's first command ends in `npm run demo` (build, then scripts/demo.mjs): it must keep
// working and keep showing what leakcheck is for — the leak found and its culprit named.
test('the README demo finds the listener leak in the bundled server and exits 0', (t) => {
  const out = join(tmpDir(t), 'demo');
  const result = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'demo.mjs'), out], {
    cwd: repoRoot, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000,
  });
  assert.equal(result.status, 0, result.stderr + result.stdout);
  assert.match(result.stdout, /^LEAK /);
  assert.match(result.stdout, /'error': [\d,]+ listeners .*all onQueueError at http-listener-leak\.mjs:\d+:\d+/);
  assert.match(result.stderr, /leakcheck exited 1 \(leak found\)/);
  assert.ok(existsSync(join(out, 'report.html')), 'the demo writes its report where it was told');
});
