import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { ErrorCode, LeakcheckError } from '../errors.js';
import { processExists } from './process-tree.js';

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
/** After the target exits, how long its output may still take to arrive through the pipe. */
const outputDrainMs = 500;

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
  /** Settles once the OS has started the command (undefined) or refused to (the exit, with spawnError). */
  readonly started: Promise<TargetExit | undefined>;

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
    this.started = new Promise((resolve) => {
      this.#child.once('spawn', () => resolve(undefined));
      // Listens before `exited` does: take the exit that listener records.
      this.#child.once('error', () => resolve(this.exited));
    });
    this.exited = new Promise<TargetExit>((resolve) => {
      this.#child.once('error', (error: NodeJS.ErrnoException) => {
        this.#exit ??= { code: null, signal: null, spawnError: error.code === 'ENOENT' ? `command not found: ${file}` : error.message };
        resolve(this.#exit);
      });
      // 'exit', not 'close': a detached grandchild that inherited stdout keeps the pipe open for
      // as long as it lives, so its EOF may never come. Output still in the pipe gets a moment.
      this.#child.once('exit', (code, signal) => {
        const exit = { code, signal };
        const drained = setTimeout(() => {
          this.#child.stdout?.destroy();
          this.#child.stderr?.destroy();
          this.#exit ??= exit;
          resolve(this.#exit);
        }, outputDrainMs);
        this.#child.once('close', () => {
          clearTimeout(drained);
          this.#exit ??= exit;
          resolve(this.#exit);
        });
      });
    });
    // The target runs in its own process group, so it would outlive a leakcheck that dies
    // unexpectedly: whatever ends this process also ends the target.
    const onLeakcheckExit = (): void => this.#signalGroup('SIGKILL');
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

  /** Sends a signal to the whole process group (wrappers and the real target alike) while the target runs. */
  signal(signal: NodeJS.Signals): void {
    if (!this.#exit) this.#signalGroup(signal);
  }

  /** True while any process of the target's group is alive (the target itself may have exited). */
  groupAlive(): boolean {
    const pid = this.#child.pid;
    return pid !== undefined && processExists(-pid);
  }

  #signalGroup(signal: NodeJS.Signals): void {
    const pid = this.#child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already gone.
    }
  }

  /**
   * Stops the whole process group, whether or not the target itself is still running (a child it
   * left behind when it crashed, a child that ignores SIGTERM): SIGTERM, then SIGKILL after the
   * grace period to whatever is left. Resolves with the target's exit status.
   */
  async stop(graceMs = 5000): Promise<TargetExit> {
    if (this.#child.pid === undefined) return this.exited;
    this.#signalGroup('SIGTERM');
    const deadline = performance.now() + graceMs;
    while (performance.now() < deadline && (!this.#exit || this.groupAlive())) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (this.groupAlive()) this.#signalGroup('SIGKILL');
    return this.exited;
  }
}
