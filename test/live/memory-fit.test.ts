import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkMemoryFit, inspectorAddressFromFlags, parseInspectorAddress, SNAPSHOT_MEMORY_FACTOR, type TargetMemory } from '../../src/live/index.js';

const MIB = 1024 * 1024;
const memory = (overrides: Partial<TargetMemory>): TargetMemory => ({
  pid: 1, threadId: 0, usedHeapBytes: 100 * MIB, totalHeapBytes: 120 * MIB, heapLimitBytes: 4096 * MIB, externalBytes: 0,
  rssBytes: 200 * MIB, cgroup: null, memAvailableBytes: null, atMs: 0, ...overrides,
});

describe('memory check', () => {
  test('the tighter of cgroup headroom and MemAvailable decides', () => {
    const needed = 100 * MIB * SNAPSHOT_MEMORY_FACTOR;
    const inCgroup = checkMemoryFit(memory({ cgroup: { path: '/app', maxBytes: 1024 * MIB, currentBytes: 1024 * MIB - needed + 1 }, memAvailableBytes: 64 * 1024 * MIB }));
    assert.deepEqual(inCgroup, { fits: false, neededBytes: needed, availableBytes: needed - 1, source: 'cgroup', cgroupPath: '/app' });
    const host = checkMemoryFit(memory({ cgroup: { path: '/app', maxBytes: 64 * 1024 * MIB, currentBytes: 0 }, memAvailableBytes: needed }));
    assert.deepEqual(host, { fits: true, neededBytes: needed, availableBytes: needed, source: 'meminfo' });
  });

  test('a cgroup already over its limit has no headroom, not a negative one', () => {
    const over = checkMemoryFit(memory({ cgroup: { path: '/', maxBytes: 10 * MIB, currentBytes: 20 * MIB } }));
    assert.equal(over.availableBytes, 0);
    assert.equal(over.fits, false);
  });

  test('an override replaces both measurements; nothing measurable is "unknown", never a refusal', () => {
    assert.equal(checkMemoryFit(memory({ memAvailableBytes: 64 * 1024 * MIB }), MIB).source, 'override');
    assert.equal(checkMemoryFit(memory({ memAvailableBytes: 64 * 1024 * MIB }), MIB).fits, false);
    assert.deepEqual(checkMemoryFit(memory({})), { fits: true, neededBytes: 100 * MIB * SNAPSHOT_MEMORY_FACTOR, availableBytes: null, source: 'unknown' });
  });
});

describe('inspector addresses', () => {
  test("the target's own flags give its inspector port, last one wins", () => {
    assert.deepEqual(inspectorAddressFromFlags(['node', '--inspect-port=9331', 'app.js']), { inspectHost: undefined, inspectPort: 9331 });
    assert.deepEqual(inspectorAddressFromFlags(['node', '--inspect-port', '9332', 'app.js']), { inspectHost: undefined, inspectPort: 9332 });
    assert.deepEqual(inspectorAddressFromFlags(['node', '--inspect=0.0.0.0:9333']), { inspectHost: '0.0.0.0', inspectPort: 9333 });
    assert.deepEqual(inspectorAddressFromFlags(['--inspect-port=1', '--inspect-brk=2']), { inspectHost: undefined, inspectPort: 2 });
    assert.deepEqual(inspectorAddressFromFlags(['node', '--inspect', 'app.js']), { inspectHost: undefined, inspectPort: undefined });
  });

  test('--inspector takes host:port, :port, port or a ws:// URL', () => {
    assert.deepEqual(parseInspectorAddress('10.0.0.5:9229'), { host: '10.0.0.5', port: 9229 });
    assert.deepEqual(parseInspectorAddress('9230'), { host: '127.0.0.1', port: 9230 });
    assert.deepEqual(parseInspectorAddress('ws://127.0.0.1:9229/abc'), { url: 'ws://127.0.0.1:9229/abc' });
    assert.throws(() => parseInspectorAddress('localhost'), /--inspector "localhost": expected host:port/);
    assert.throws(() => parseInspectorAddress('1.2.3.4:70000'), /expected host:port/);
  });
});
