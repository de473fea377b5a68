import type { Argv } from 'yargs';
import { ErrorCode, LeakcheckError } from '../src/errors.js';
import { parseInspectorAddress, type LiveEvent, type LiveSnapshotOptions } from '../src/live/index.js';
import { renderInspectorOpened, renderMemoryCheck, renderSnapshotProgress } from '../src/report/index.js';
import { parseByteSize } from './commands/run.js';

/** The options `snapshot` and `watch` share: how to reach the target and the memory check. */
export const liveTargetOptions = {
  inspector: { type: 'string', describe: 'An inspector that is already reachable: host:port or ws://… (instead of a pid)' },
  'inspect-port': { type: 'number', describe: "Port the target's inspector opens on after SIGUSR1 (default: the target's own --inspect-port, else 9229)" },
  worker: { type: 'number', describe: 'Snapshot this worker thread (its threadId) instead of the main thread' },
  force: { type: 'boolean', default: false, describe: 'Take the snapshot even when the memory check says it does not fit' },
  'available-memory': { type: 'string', describe: 'Use this as the memory the target may still take, e.g. 512MiB (default: cgroup memory.max − memory.current, else MemAvailable; env LEAKCHECK_AVAILABLE_MEMORY)' },
  json: { type: 'boolean', default: false, describe: 'Print one JSON object instead of text' },
} as const;

type LiveTargetArgs = { pid?: number | undefined; inspector?: string | undefined; 'inspect-port'?: number | undefined; worker?: number | undefined; force: boolean; 'available-memory'?: string | undefined };

export function withPid<T>(yargs: Argv<T>) {
  return yargs.positional('pid', { type: 'number', describe: 'Process id of a running Node process (omit with --inspector)' });
}

/** Flags → what src/live needs, with the usage errors stated in flag terms. */
export function liveTargetFromArgs(args: LiveTargetArgs, env: NodeJS.ProcessEnv): Omit<LiveSnapshotOptions, 'path'> {
  if (args.pid === undefined && args.inspector === undefined) throw new LeakcheckError(ErrorCode.USAGE, 'name the process: a pid, or --inspector host:port');
  if (args.pid !== undefined && args.inspector !== undefined) throw new LeakcheckError(ErrorCode.USAGE, 'give a pid or --inspector, not both (a pid inside a container is not the pid seen from outside)');
  if (args.pid !== undefined && !(Number.isInteger(args.pid) && args.pid > 0)) throw new LeakcheckError(ErrorCode.USAGE, `pid must be a positive whole number, got ${String(args.pid)}`);
  if (args.worker !== undefined && !(Number.isInteger(args.worker) && args.worker >= 0)) throw new LeakcheckError(ErrorCode.USAGE, `--worker must be a threadId (a whole number), got ${String(args.worker)}`);
  const port = args['inspect-port'];
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw new LeakcheckError(ErrorCode.USAGE, `--inspect-port must be a port number, got ${String(port)}`);
  const available = args['available-memory'] ?? env['LEAKCHECK_AVAILABLE_MEMORY'];
  return {
    ...(args.pid === undefined ? {} : { pid: args.pid }),
    ...(args.inspector === undefined ? {} : { inspector: parseInspectorAddress(args.inspector) }),
    ...(port === undefined ? {} : { inspectPort: port }),
    ...(args.worker === undefined ? {} : { workerThreadId: args.worker }),
    force: args.force,
    ...(available === undefined ? {} : { availableMemoryBytes: parseSize('--available-memory', available) }),
  };
}

function parseSize(flag: string, text: string): number {
  try {
    return parseByteSize(text);
  } catch {
    throw new LeakcheckError(ErrorCode.USAGE, `${flag}: not a size: "${text}" (e.g. 512MiB, 2GB)`);
  }
}

/**
 * Progress on stderr: one line rewritten in place on a terminal, plain lines otherwise (a log
 * file gets the build progress in quarter steps, not thousands of lines). Off with --json.
 */
export function createLiveLog(enabled: boolean, stream: NodeJS.WriteStream = process.stderr): { onEvent: (event: LiveEvent) => void; line: (text: string) => void } {
  let transient = false;
  let lastQuarter = -1;
  const line = (text: string): void => {
    if (!enabled) return;
    stream.write(`${transient ? '\r\x1b[K' : ''}${text}\n`);
    transient = false;
  };
  const onEvent = (event: LiveEvent): void => {
    if (!enabled) return;
    if (event.kind === 'connected') {
      line(renderInspectorOpened(event.where, event.inspector));
    } else if (event.kind === 'memory') {
      lastQuarter = -1;
      line(renderMemoryCheck(event.where, event.memory, event.fit, event.forced));
    } else if (stream.isTTY) {
      stream.write(`\r\x1b[K${renderSnapshotProgress(event.where, event.progress)}`);
      transient = true;
    } else if (event.progress.phase === 'build') {
      const { doneObjects, totalObjects } = event.progress;
      const quarter = totalObjects > 0 ? Math.floor((4 * doneObjects) / totalObjects) : 0;
      if (quarter > lastQuarter) {
        lastQuarter = quarter;
        line(renderSnapshotProgress(event.where, event.progress));
      }
    }
  };
  return { onEvent, line };
}
