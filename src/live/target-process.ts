import { readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { ErrorCode, LeakcheckError } from '../errors.js';

/** Node's default inspector port, used when the target names none. */
export const DEFAULT_INSPECTOR_PORT = 9229;

const SIGUSR1_BIT = 10n - 1n;

export interface TargetProcess {
  pid: number;
  /** The executable's file name, when /proc tells it (`node`). */
  executable: string | undefined;
  /** `host:port` the target's own flags (argv or NODE_OPTIONS) give its inspector, if any. */
  inspectHost: string | undefined;
  inspectPort: number | undefined;
}

/**
 * Checks that `pid` is a Node process it is safe to send SIGUSR1 to, before anything is sent:
 * the default action of SIGUSR1 is to terminate, so a process that does not catch it (not Node, or
 * Node started with --disable-sigusr1) would be killed. Reads /proc on Linux; elsewhere only the
 * existence and permission checks run.
 */
export function checkTargetProcess(pid: number): TargetProcess {
  const where = `pid ${pid}`;
  try {
    process.kill(pid, 0);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPERM') throw new LeakcheckError(ErrorCode.PERMISSION_DENIED, 'permission denied: the process belongs to another user (run leakcheck as that user)', { file: where });
    throw new LeakcheckError(ErrorCode.PROCESS_NOT_FOUND, 'no such process', { file: where });
  }
  const status = readProc(pid, 'status');
  if (status === undefined) return { pid, executable: undefined, inspectHost: undefined, inspectPort: undefined };
  const executable = readExecutable(pid) ?? /^Name:\s*(.*)$/m.exec(status)?.[1];
  const caught = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  const catchesSigusr1 = caught !== undefined && ((BigInt(`0x${caught}`) >> SIGUSR1_BIT) & 1n) === 1n;
  if (!catchesSigusr1 || (executable !== undefined && !/node/i.test(executable))) {
    throw new LeakcheckError(ErrorCode.PROCESS_NOT_NODE,
      `${executable ?? 'the process'} is not a Node process that opens its inspector on SIGUSR1${catchesSigusr1 ? '' : ' (it does not catch SIGUSR1, so the signal would kill it)'}`,
      { file: where });
  }
  const address = inspectorAddressFromFlags([...readArgs(pid, 'cmdline'), ...nodeOptions(pid)]);
  return { pid, executable, ...address };
}

/** True while the process exists (a zombie counts as gone). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const state = readProc(pid, 'status')?.match(/^State:\s*(\w)/m)?.[1];
  return state !== 'Z' && state !== 'X';
}

/**
 * Whether `pid` is gone now or within `graceMs`. A killed process closes its sockets before it
 * becomes a zombie (the kernel frees its memory first), so its inspector connection can drop
 * while it still looks alive: a big heap, or a busy machine, makes that moment longer.
 */
export async function processGoneWithin(pid: number, graceMs: number): Promise<boolean> {
  const deadline = performance.now() + graceMs;
  while (processAlive(pid)) {
    if (performance.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

/**
 * The inspector address a Node command line asks for: `--inspect-port=9230`, `--inspect=0.0.0.0:9230`,
 * `--inspect-brk 9230`, … The last one wins, as in Node's own option parser.
 */
export function inspectorAddressFromFlags(args: readonly string[]): { inspectHost: string | undefined; inspectPort: number | undefined } {
  let inspectHost: string | undefined;
  let inspectPort: number | undefined;
  for (let k = 0; k < args.length; k++) {
    const match = /^--(?:inspect(?:-brk|-wait|-port)?|debug-port)(?:=(.*))?$/.exec(args[k]!);
    if (!match) continue;
    const takesValue = /^--(inspect-port|debug-port)$/.test(args[k]!);
    const value = match[1] ?? (takesValue ? args[++k] : undefined);
    if (value === undefined || value === '') continue;
    const hostPort = /^(?:\[?([^\]]*?)\]?:)?(\d+)$/.exec(value);
    if (hostPort) {
      if (hostPort[1] !== undefined) inspectHost = hostPort[1];
      inspectPort = Number(hostPort[2]);
    } else {
      inspectHost = value;
    }
  }
  return { inspectHost, inspectPort };
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'latin1');
  } catch {
    return undefined;
  }
}

function readExecutable(pid: number): string | undefined {
  try {
    return basename(readlinkSync(`/proc/${pid}/exe`)).replace(/ \(deleted\)$/, '');
  } catch {
    return undefined;
  }
}

function readArgs(pid: number, file: 'cmdline'): string[] {
  return (readProc(pid, file) ?? '').split('\0').filter((arg) => arg !== '');
}

function nodeOptions(pid: number): string[] {
  const entry = (readProc(pid, 'environ') ?? '').split('\0').find((line) => line.startsWith('NODE_OPTIONS='));
  return entry === undefined ? [] : entry.slice('NODE_OPTIONS='.length).split(/\s+/).filter((arg) => arg !== '');
}
