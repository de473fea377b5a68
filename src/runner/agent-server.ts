import { rmSync } from 'node:fs';
import { chmod, lstat, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  AgentMessage, CheckpointResult, GcSample, MemorySample, MemwatchLeakEvent, RunnerCommand,
} from '../agent/protocol.js';
import { PROTOCOL_VERSION } from '../agent/protocol.js';
import { ErrorCode, LeakcheckError } from '../errors.js';
import { processExists } from './process-tree.js';

/** What an agent says first: who it is (pid, argv, node version, whether memwatch loaded). */
export type AgentHello = Extract<AgentMessage, { type: 'hello' }>;

/** One agent (one node process of the target's tree) and everything it has said. */
export class AgentConnection {
  readonly #socket: Socket;
  readonly #pending = new Map<number, { resolve: (r: CheckpointResult) => void; reject: (e: Error) => void }>();
  readonly #observers: Array<(message: AgentMessage) => void> = [];
  #nextId = 1;
  hello: AgentHello | undefined;
  readonly memory: MemorySample[] = [];
  readonly gcs: GcSample[] = [];
  readonly leaks: MemwatchLeakEvent[] = [];
  readonly listening: Array<{ port: number; address: string; family: string; clusterWorkers?: number }> = [];
  closed = false;
  /** Set when the agent spoke a protocol version this runner does not understand. */
  incompatible: string | undefined;

  constructor(socket: Socket, onChange: () => void) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    let buffered = '';
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.length > 0) this.#receive(line);
      }
      onChange();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      for (const { reject } of this.#pending.values()) reject(new Error('the agent disconnected'));
      this.#pending.clear();
      onChange();
    });
  }

  #receive(line: string): void {
    let message: AgentMessage;
    try {
      message = JSON.parse(line) as AgentMessage;
    } catch {
      return;
    }
    switch (message.type) {
      case 'hello':
        if (message.protocol !== PROTOCOL_VERSION) this.incompatible = `agent protocol ${message.protocol}, runner expects ${PROTOCOL_VERSION}`;
        this.hello = message;
        break;
      case 'memory': this.memory.push(message.sample); this.#observe(message); break;
      case 'gc': this.gcs.push(message.sample); this.#observe(message); break;
      case 'leak': this.leaks.push(message.event); this.#observe(message); break;
      case 'listening': {
        const { port, address, family, clusterWorkers } = message;
        this.listening.push({ port, address, family, ...(clusterWorkers === undefined ? {} : { clusterWorkers }) });
        break;
      }
      case 'reply': {
        this.#observe(message);
        const pending = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (message.ok) pending?.resolve(message.result);
        else pending?.reject(new Error(message.error));
        break;
      }
    }
  }

  /** Called with every later measurement message (memory, gc, leak, reply) as it arrives. */
  onMessage(observer: (message: AgentMessage) => void): void {
    this.#observers.push(observer);
  }

  #observe(message: AgentMessage): void {
    for (const observer of this.#observers) observer(message);
  }

  send(command: RunnerCommand): void {
    if (!this.closed) this.#socket.write(`${JSON.stringify(command)}\n`);
  }

  /**
   * Asks for a checkpoint and waits for the reply. A target whose event loop is stuck cannot
   * answer: after timeoutMs that is an error rather than a run that never ends.
   */
  checkpoint(options: Omit<Extract<RunnerCommand, { type: 'checkpoint' }>, 'type' | 'id'>, timeoutMs: number): Promise<CheckpointResult> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new Error('the agent disconnected'));
        return;
      }
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new LeakcheckError(ErrorCode.AGENT_UNAVAILABLE,
          `the agent did not finish a checkpoint within ${Math.round(timeoutMs / 1000)} s (is the target's event loop blocked?)`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (result) => {
          clearTimeout(timer);
          resolve(result);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.send({ type: 'checkpoint', id, ...options });
    });
  }

  ignore(): void {
    this.send({ type: 'ignore' });
  }

  close(): void {
    this.#socket.destroy();
  }
}

const socketDirPrefix = 'leakcheck-agent-';
/** In each socket directory: the pid of the runner that owns it, so a later run can tell a dead run's directory. */
const runnerPidFile = 'runner.pid';

/**
 * A runner killed with SIGKILL cannot remove its socket directory: the next run removes every
 * such directory of this user whose runner is gone. A directory without a pid file, or whose
 * runner still lives, is left alone.
 */
export async function sweepStaleSocketDirs(parent = tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  const names = await readdir(parent).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.startsWith(socketDirPrefix))) {
    const dir = join(parent, name);
    const info = await lstat(dir).catch(() => undefined);
    if (!info?.isDirectory() || info.uid !== process.getuid?.()) continue;
    const pid = Number((await readFile(join(dir, runnerPidFile), 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(pid) || pid <= 0 || processExists(pid)) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

/**
 * The runner's end of the private channel: a Unix socket in a fresh 0700 directory, the socket
 * itself 0600, so only this user can reach the agent (never a TCP port). Every node process of
 * the target connects (wrappers too); the run decides which one is the target.
 */
export class AgentServer {
  readonly agents: AgentConnection[] = [];
  readonly #server: Server;
  readonly #dir: string;
  readonly socketPath: string;
  #waiters: Array<() => void> = [];

  private constructor(dir: string) {
    this.#dir = dir;
    this.socketPath = join(dir, 'agent.sock');
    this.#server = createServer((socket) => {
      this.agents.push(new AgentConnection(socket, () => this.#changed()));
      this.#changed();
    });
  }

  static async open(): Promise<AgentServer> {
    await sweepStaleSocketDirs();
    const dir = await mkdtemp(join(tmpdir(), socketDirPrefix));
    await writeFile(join(dir, runnerPidFile), `${process.pid}\n`, { mode: 0o600 });
    const server = new AgentServer(dir);
    // close() removes the directory; this covers a leakcheck that dies before it gets there.
    process.once('exit', server.#removeDirNow);
    await new Promise<void>((resolve, reject) => {
      server.#server.once('error', (error) =>
        reject(new LeakcheckError(ErrorCode.AGENT_UNAVAILABLE, `cannot open the agent socket ${server.socketPath}: ${error.message}`)));
      server.#server.listen(server.socketPath, resolve);
    });
    await chmod(server.socketPath, 0o600);
    return server;
  }

  #changed(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves on the next message or connection change (or after maxMs). */
  nextChange(maxMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, maxMs);
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  readonly #removeDirNow = (): void => {
    rmSync(this.#dir, { recursive: true, force: true });
  };

  async close(): Promise<void> {
    for (const agent of this.agents) agent.close();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await rm(this.#dir, { recursive: true, force: true });
    process.off('exit', this.#removeDirNow);
  }
}
