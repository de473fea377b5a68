import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, LeakcheckError } from '../errors.js';
import { attachToWorker, connectWebSocket, type CdpSession } from './cdp-session.js';
import { pickNodeTarget, probeInspectorPort, type InspectorAddress, type InspectorTarget } from './inspector-endpoint.js';
import { checkTargetProcess, DEFAULT_INSPECTOR_PORT, processAlive } from './target-process.js';
import { CLOSE_DELAY_MS, closeTargetInspector, readTargetMemory } from './target-eval.js';

export interface InspectorOptions {
  /** The process to open (by SIGUSR1); omit when `inspector` names an inspector that is already reachable. */
  pid?: number;
  /** An inspector already listening (host:port or ws:// URL); leakcheck then neither signals nor closes it. */
  inspector?: InspectorAddress;
  /** Port the target's inspector opens on (default: the target's own --inspect-port, else 9229). */
  inspectPort?: number;
  /** Attach to this worker thread (its threadId) instead of the main thread. */
  workerThreadId?: number;
  /** How long the inspector may take to open after SIGUSR1 (default 5000 ms). */
  openTimeoutMs?: number;
}

/** How the inspector was found, and what leakcheck did to it: facts for the report. */
export interface InspectorState {
  host: string | undefined;
  port: number | undefined;
  url: string;
  /** True when leakcheck opened it with SIGUSR1 (and so closes it again). */
  openedByLeakcheck: boolean;
  /** After close(): whether the port stopped answering; undefined while open or when it was left open on purpose. */
  closedAfter?: boolean;
}

/** A session on the target (main thread or one worker), and how to leave it as it was found. */
export interface LiveTarget {
  /** Session for the snapshot: the worker's when a worker was asked for, else the main thread's. */
  readonly session: CdpSession;
  readonly pid: number;
  readonly threadId: number;
  /** `pid N` or `pid N worker T`: how errors name the target. */
  readonly where: string;
  /** Reached by pid on this machine (so its liveness can be checked), not through --inspector. */
  readonly local: boolean;
  readonly inspector: InspectorState;
  /** Detaches, closes the inspector if leakcheck opened it, and disconnects. Safe to call twice. */
  close(): Promise<InspectorState>;
}

const POLL_MS = 50;

/** Finds or opens the target's inspector and connects to it (and to a worker, if asked). */
export async function openLiveTarget(options: InspectorOptions): Promise<LiveTarget> {
  if (options.inspector?.url !== undefined) return connectTarget(options, undefined, undefined, options.inspector.url, false);
  if (options.inspector) {
    const { host, port } = options.inspector;
    const probe = await probeInspectorPort(host, port);
    const target = probe.kind === 'inspector' ? pickNodeTarget(probe.targets) : undefined;
    if (!target) {
      const why = probe.kind === 'closed' ? 'nothing listens there' : probe.kind === 'other' ? `not an inspector (${probe.detail})` : 'it lists no target';
      throw new LeakcheckError(ErrorCode.INSPECTOR_UNAVAILABLE, `no inspector at ${host}:${port}: ${why}`, { file: `inspector ${host}:${port}` });
    }
    return connectTarget(options, host, port, target.webSocketDebuggerUrl, false);
  }
  if (options.pid === undefined) throw new LeakcheckError(ErrorCode.USAGE, 'name a pid or an --inspector address');
  const pid = options.pid;
  const where = `pid ${pid}`;
  const found = checkTargetProcess(pid);
  const host = found.inspectHost ?? '127.0.0.1';
  const port = options.inspectPort ?? found.inspectPort ?? DEFAULT_INSPECTOR_PORT;

  const before = await probeInspectorPort(host, port);
  if (before.kind === 'other') {
    throw new LeakcheckError(ErrorCode.INSPECTOR_PORT_BUSY, `inspector port ${host}:${port} is busy: another program listens there (${before.detail}); free it, or pass --inspect-port with the port the target was started with`, { file: where });
  }
  if (before.kind === 'inspector') {
    // Already open: either this process's own inspector (use it, leave it open) or another one's.
    const live = await connectTarget(options, host, port, requireTarget(before.targets, where, host, port).webSocketDebuggerUrl, false);
    if (live.pid === pid) return live;
    await live.close();
    throw new LeakcheckError(ErrorCode.INSPECTOR_PORT_BUSY, `inspector port ${host}:${port} is busy: pid ${live.pid}'s inspector listens there, so this process cannot open its own; free it, or pass --inspect-port with the port the target was started with`, { file: where });
  }

  try {
    process.kill(pid, 'SIGUSR1');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPERM') throw new LeakcheckError(ErrorCode.PERMISSION_DENIED, 'permission denied: cannot signal the process', { file: where });
    throw new LeakcheckError(ErrorCode.PROCESS_NOT_FOUND, 'no such process (it exited)', { file: where });
  }
  const timeoutMs = options.openTimeoutMs ?? 5000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const probe = await probeInspectorPort(host, port);
    if (probe.kind === 'inspector' && probe.targets.length > 0) {
      const live = await connectTarget(options, host, port, requireTarget(probe.targets, where, host, port).webSocketDebuggerUrl, true);
      if (live.pid === pid) return live;
      await live.close();
      throw new LeakcheckError(ErrorCode.INSPECTOR_PORT_BUSY, `inspector port ${host}:${port} was taken by pid ${live.pid}'s inspector while this process was opening its own`, { file: where });
    }
    if (probe.kind === 'other') {
      throw new LeakcheckError(ErrorCode.INSPECTOR_PORT_BUSY, `inspector port ${host}:${port} is busy: another program listens there (${probe.detail})`, { file: where });
    }
    if (!processAlive(pid)) throw new LeakcheckError(ErrorCode.PROCESS_NOT_FOUND, 'the process exited before its inspector opened', { file: where });
    if (Date.now() > deadline) {
      throw new LeakcheckError(ErrorCode.INSPECTOR_UNAVAILABLE,
        `the inspector did not open on ${host}:${port} within ${timeoutMs} ms of SIGUSR1 (started with another --inspect-port? pass it with --inspect-port)`, { file: where });
    }
    await sleep(POLL_MS);
  }
}

function requireTarget(targets: readonly InspectorTarget[], where: string, host: string, port: number): InspectorTarget {
  const target = pickNodeTarget(targets);
  if (!target) throw new LeakcheckError(ErrorCode.INSPECTOR_UNAVAILABLE, `the inspector at ${host}:${port} lists no target`, { file: where });
  return target;
}

async function connectTarget(options: InspectorOptions, host: string | undefined, port: number | undefined, url: string, openedByLeakcheck: boolean): Promise<LiveTarget> {
  const label = options.pid === undefined ? `inspector ${host === undefined ? url : `${host}:${port}`}` : `pid ${options.pid}`;
  const main = await connectWebSocket(url, label);
  const inspector: InspectorState = { host, port, url, openedByLeakcheck };
  let mainMemory;
  try {
    mainMemory = await readTargetMemory(main, label);
  } catch (error) {
    await main.close();
    throw error;
  }
  const pid = mainMemory.pid;
  let session = main;
  let threadId = mainMemory.threadId;
  let closed: InspectorState | undefined;
  const close = async (): Promise<InspectorState> => {
    if (closed) return closed;
    if (session !== main) await session.close();
    if (openedByLeakcheck) await closeTargetInspector(main, label).catch(() => {});
    await main.close();
    closed = { ...inspector, ...(openedByLeakcheck && host !== undefined && port !== undefined ? { closedAfter: await waitClosed(host, port) } : {}) };
    return closed;
  };
  if (options.workerThreadId !== undefined && options.workerThreadId !== mainMemory.threadId) {
    try {
      session = await attachToWorker(main, options.workerThreadId, `pid ${pid}`);
      threadId = options.workerThreadId;
    } catch (error) {
      await close();
      throw error;
    }
  }
  const where = threadId === 0 ? `pid ${pid}` : `pid ${pid} worker ${threadId}`;
  return { session, pid, threadId, where, local: options.pid !== undefined && options.inspector === undefined, inspector, close };
}

/** inspector.close() runs CLOSE_DELAY_MS after our disconnect; give it a few seconds more, then say whether the port went away. */
async function waitClosed(host: string, port: number): Promise<boolean> {
  const deadline = Date.now() + CLOSE_DELAY_MS + 4000;
  while (Date.now() < deadline) {
    if ((await probeInspectorPort(host, port, 500)).kind === 'closed') return true;
    await sleep(POLL_MS);
  }
  return false;
}
