import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { ErrorCode, LeakcheckError } from '../errors.js';

export interface TargetExit {
  code: number | null;
  signal: string | null;
  /** Set when the command could not be started at all (ENOENT, EACCES). */
  spawnError?: string;
}

export interface SpawnTargetOptions {
  command: readonly string[];
  cwd: string;
  /** Environment for the target; NODE_OPTIONS gets the agent appended. */
  env: NodeJS.ProcessEnv;
  /** Absolute path of dist/src/agent/preload.js. */
  agentPath: string;
  /** Where the target's stdout and stderr go (created 0600). */
  logPath: string;
  /** Also copy the target's output here (the CLI's --show-output passes its stderr). */
  echo?: NodeJS.WritableStream;
}

/** Keep this much of the target's stderr for crash reports. */
const stderrTailBytes = 8192;

/** Appends the agent to NODE_OPTIONS, keeping whatever the user already had there. */
export function withAgentInNodeOptions(existing: string | undefined, agentPath: string): string {
  // NODE_OPTIONS splits on spaces; a quoted value keeps a path with spaces in one piece.
  const quoted = `"${agentPath.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const flag = `--import=${quoted}`;
  return existing && existing.trim().length > 0 ? `${existing} ${flag}` : flag;
}

/**
 * The target process: the command after `--`, in its own process group so that wrapper chains
 * (npm → sh → node) can be signalled and stopped as one. Its output goes to a log file; the
 * tail of stderr is kept for the report when it crashes.
 */
export class Target {
  readonly #child: ChildProcess;
  readonly #log: WriteStream;
  #stderrTail = '';
  #exit: TargetExit | undefined;
  readonly exited: Promise<TargetExit>;

  constructor(options: SpawnTargetOptions) {
    const [file, ...args] = options.command;
    if (file === undefined) throw new LeakcheckError(ErrorCode.USAGE, 'no target command given after --');
    this.#log = createWriteStream(options.logPath, { mode: 0o600 });
    this.#child = spawn(file, args, {
      cwd: options.cwd,
      env: { ...options.env, NODE_OPTIONS: withAgentInNodeOptions(options.env['NODE_OPTIONS'], options.agentPath) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const echo = options.echo;
    this.#child.stdout?.on('data', (chunk: Buffer) => {
      this.#log.write(chunk);
      echo?.write(chunk);
    });
    this.#child.stderr?.on('data', (chunk: Buffer) => {
      this.#log.write(chunk);
      echo?.write(chunk);
      this.#stderrTail = (this.#stderrTail + chunk.toString('utf8')).slice(-stderrTailBytes);
    });
    this.exited = new Promise<TargetExit>((resolve) => {
      this.#child.once('error', (error: NodeJS.ErrnoException) => {
        this.#exit ??= { code: null, signal: null, spawnError: error.code === 'ENOENT' ? `command not found: ${file}` : error.message };
        resolve(this.#exit);
      });
      this.#child.once('close', (code, signal) => {
        this.#exit ??= { code, signal };
        resolve(this.#exit);
      });
    });
    // The target runs in its own process group, so it would outlive a leakcheck that dies
    // unexpectedly: whatever ends this process also ends the target.
    const onLeakcheckExit = (): void => this.signal('SIGKILL');
    process.once('exit', onLeakcheckExit);
    void this.exited.then(() => {
      process.off('exit', onLeakcheckExit);
      this.#log.end();
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** The exit status once the target has ended, else undefined. */
  get exit(): TargetExit | undefined {
    return this.#exit;
  }

  get stderrTail(): string {
    return this.#stderrTail;
  }

  /** Sends a signal to the whole process group (wrappers and the real target alike). */
  signal(signal: NodeJS.Signals): void {
    const pid = this.#child.pid;
    if (pid === undefined || this.#exit) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already gone.
    }
  }

  /** SIGTERM the group, then SIGKILL after the grace period; resolves when the child is gone. */
  async stop(graceMs = 5000): Promise<TargetExit> {
    if (this.#exit) return this.#exit;
    this.signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.signal('SIGKILL');
        resolve();
      }, graceMs);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    return this.exited;
  }
}
