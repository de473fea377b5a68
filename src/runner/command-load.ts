import { spawn } from 'node:child_process';
import type { CommandLoadStats } from '../report/index.js';

export interface CommandLoadOptions {
  command: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The command is killed (its whole process group) after this long. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** A started load command; `done` settles when it exits or is killed. */
export interface RunningCommand {
  done: Promise<CommandLoadStats>;
  stop(): void;
}

/**
 * Runs the user's own load tool through the shell for one phase. It learns the target through
 * LEAKCHECK_TARGET_URL / LEAKCHECK_TARGET_PORT / LEAKCHECK_PHASE in its environment. Its output
 * is kept (the tail) for the report.
 */
export function startCommandLoad(options: CommandLoadOptions): RunningCommand {
  const started = performance.now();
  const child = spawn(options.command, { shell: true, cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-4096);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stop = (): void => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  };
  const timer = setTimeout(stop, options.timeoutMs);
  options.signal?.addEventListener('abort', stop, { once: true });
  const done = new Promise<CommandLoadStats>((resolve) => {
    const finish = (exitCode: number | null, signal: string | null, extra = ''): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', stop);
      resolve({ command: options.command, exitCode, signal, durationMs: performance.now() - started, outputTail: tail + extra });
    };
    child.once('error', (error) => finish(null, null, `\n${error.message}`));
    child.once('close', (code, signal) => finish(code, signal));
  });
  return { done, stop };
}
