import { ErrorCode, LeakcheckError } from '../errors.js';
import type { CdpSession } from './cdp-session.js';

/**
 * Code run inside the target through Runtime.evaluate. It must work in ES-module and CommonJS
 * targets alike: `require` is not a global in ESM and `process.mainModule` is absent there, so
 * built-ins come from `process.getBuiltinModule` (Node >= 20.16) or, on older Node, from the
 * `require` that Node adds to the inspector's command-line API (hence includeCommandLineAPI).
 */
const BUILTIN = '(globalThis.process.getBuiltinModule ?? require)';

/** Post-GC (when asked) figures of the target's heap, and the memory it may still take, as the target sees them. */
export interface TargetMemory {
  pid: number;
  threadId: number;
  usedHeapBytes: number;
  totalHeapBytes: number;
  heapLimitBytes: number;
  externalBytes: number;
  rssBytes: number;
  /** The tightest cgroup v2 limit on the way from the target's cgroup to the root (else the cgroup v1 memory limit), if any. */
  cgroup: { path: string; maxBytes: number; currentBytes: number } | null;
  /** MemAvailable from /proc/meminfo, when there is one. */
  memAvailableBytes: number | null;
  /** Milliseconds since the Unix epoch, by the target's clock. */
  atMs: number;
}

// Runs in the target: reads its own cgroup files, so it also works when the target is in a
// container and leakcheck reaches it through a published port.
const MEMORY_EXPRESSION = `(() => {
  const fs = ${BUILTIN}('fs');
  const v8 = ${BUILTIN}('v8');
  const read = (file) => { try { return fs.readFileSync(file, 'utf8').trim(); } catch { return null; } };
  let cgroup = null;
  const own = read('/proc/self/cgroup');
  const line = own && own.split('\\n').find((entry) => entry.startsWith('0::'));
  if (line) {
    for (let path = line.slice(3); ; path = path.slice(0, path.lastIndexOf('/')) || '/') {
      const dir = '/sys/fs/cgroup' + (path === '/' ? '' : path);
      const max = read(dir + '/memory.max');
      const current = read(dir + '/memory.current');
      if (max !== null && max !== 'max' && current !== null) {
        const entry = { path, maxBytes: Number(max), currentBytes: Number(current) };
        if (cgroup === null || entry.maxBytes - entry.currentBytes < cgroup.maxBytes - cgroup.currentBytes) cgroup = entry;
      }
      if (path === '/') break;
    }
  }
  // cgroup v1 (no unified hierarchy): the memory controller's own limit; "unlimited" is a huge number.
  const v1 = cgroup === null && own && own.split('\\n').find((entry) => /^\\d+:(?:[^:]*,)?memory(?:,[^:]*)?:/.test(entry));
  if (v1) {
    const path = v1.slice(v1.lastIndexOf(':') + 1);
    const dir = '/sys/fs/cgroup/memory' + (path === '/' ? '' : path);
    const max = Number(read(dir + '/memory.limit_in_bytes'));
    const current = Number(read(dir + '/memory.usage_in_bytes'));
    if (max > 0 && max < 2 ** 60 && current > 0) cgroup = { path, maxBytes: max, currentBytes: current };
  }
  const meminfo = read('/proc/meminfo');
  const available = meminfo && /^MemAvailable:\\s+(\\d+) kB/m.exec(meminfo);
  const heap = v8.getHeapStatistics();
  const usage = process.memoryUsage();
  return JSON.stringify({
    pid: process.pid, threadId: ${BUILTIN}('worker_threads').threadId,
    usedHeapBytes: heap.used_heap_size, totalHeapBytes: heap.total_heap_size, heapLimitBytes: heap.heap_size_limit,
    externalBytes: usage.external, rssBytes: usage.rss,
    cgroup, memAvailableBytes: available ? Number(available[1]) * 1024 : null, atMs: Date.now(),
  });
})()`;

/**
 * Closes the inspector the target opened on SIGUSR1, half a second after this reply, when our
 * session is gone. Not at once: inspector.close() blocks the target's event loop until every
 * session has disconnected, ours included; and on Node 20 it crashed the target (SIGSEGV) in 2 of
 * 5 tries when called right after a worker session was detached (setImmediate), 0 of 10 with
 * the delay. Unref'd, so a target on its way out is not held up by it.
 */
export const CLOSE_DELAY_MS = 500;
const CLOSE_EXPRESSION = `void setTimeout(() => ${BUILTIN}('inspector').close(), ${CLOSE_DELAY_MS}).unref()`;

interface EvaluateReply { result: { type: string; value?: unknown; description?: string }; exceptionDetails?: { text: string; exception?: { description?: string } } }

async function evaluate(session: CdpSession, expression: string, where: string): Promise<unknown> {
  const reply = await session.send<EvaluateReply>('Runtime.evaluate', { expression, includeCommandLineAPI: true, returnByValue: true, silent: true });
  if (reply.exceptionDetails) {
    const detail = reply.exceptionDetails.exception?.description?.split('\n')[0] ?? reply.exceptionDetails.text;
    throw new LeakcheckError(ErrorCode.INSPECTOR_UNAVAILABLE, `evaluation in the target failed: ${detail}`, { file: where });
  }
  return reply.result.value;
}

export async function readTargetMemory(session: CdpSession, where: string, options: { collectGarbage?: boolean } = {}): Promise<TargetMemory> {
  if (options.collectGarbage) await session.send('HeapProfiler.collectGarbage');
  return JSON.parse(String(await evaluate(session, MEMORY_EXPRESSION, where))) as TargetMemory;
}

export async function closeTargetInspector(session: CdpSession, where: string): Promise<void> {
  await evaluate(session, CLOSE_EXPRESSION, where);
}
