import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCgroupMemoryLimit } from '../../src/runner/cgroup-limit.js';
import { tmpDir } from '../helpers/tmp-dir.js';

/** A fake /proc and /sys/fs/cgroup under a temp dir: path → content. */
function fakeRoot(dir: string, files: Record<string, string>): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return `${dir}/`;
}

test('cgroup v2: the tightest memory.max from the target cgroup up to the root, "max" meaning none', async (t) => {
  const root = fakeRoot(tmpDir(t), {
    'proc/7/cgroup': '0::/system.slice/app.service\n',
    'sys/fs/cgroup/system.slice/app.service/memory.max': 'max\n',
    'sys/fs/cgroup/system.slice/memory.max': `${512 * 1024 * 1024}\n`,
  });
  assert.deepEqual(await readCgroupMemoryLimit(7, root), { path: '/system.slice', maxBytes: 512 * 1024 * 1024 });
});

test('cgroup v1 (a hybrid host): the memory controller limit, also from the mount root inside a container; 2^63 is no limit', async (t) => {
  const limited = fakeRoot(tmpDir(t), {
    'proc/7/cgroup': '4:memory:/docker/abc\n0::/\n',
    'sys/fs/cgroup/memory/memory.limit_in_bytes': '268435456\n',
  });
  assert.deepEqual(await readCgroupMemoryLimit(7, limited), { path: '/docker/abc', maxBytes: 268435456 });
  const unlimited = fakeRoot(tmpDir(t), {
    'proc/7/cgroup': '4:memory:/\n0::/\n',
    'sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712\n',
  });
  assert.equal(await readCgroupMemoryLimit(7, unlimited), null);
});

test('no /proc entry (the process is gone, or not Linux): no limit known', async (t) => {
  assert.equal(await readCgroupMemoryLimit(7, `${tmpDir(t)}/`), null);
});
