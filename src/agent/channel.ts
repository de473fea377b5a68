import { connect, type Socket } from 'node:net';
import type { AgentMessage, RunnerCommand } from './protocol.js';

/**
 * The agent's end of the private Unix socket: newline-delimited JSON both ways. The socket is
 * unref'd so that a target which would otherwise exit still exits; leakcheck must never be the
 * reason a process stays alive.
 */
export class AgentChannel {
  readonly #socket: Socket;
  #buffered = '';
  #closed = false;

  /**
   * `onLost` runs once when the runner's end goes away without this side closing it (leakcheck was
   * killed, or ended the run).
   */
  constructor(path: string, onCommand: (command: RunnerCommand) => void, onLost: () => void = () => {}) {
    this.#socket = connect(path);
    this.#socket.unref();
    this.#socket.setEncoding('utf8');
    this.#socket.on('data', (chunk: string) => {
      this.#buffered += chunk;
      let newline: number;
      while ((newline = this.#buffered.indexOf('\n')) >= 0) {
        const line = this.#buffered.slice(0, newline);
        this.#buffered = this.#buffered.slice(newline + 1);
        if (line.length === 0) continue;
        let command: RunnerCommand;
        try {
          command = JSON.parse(line) as RunnerCommand;
        } catch {
          continue;
        }
        onCommand(command);
      }
    });
    // The runner going away must not crash the target with an unhandled error.
    this.#socket.on('error', () => {});
    this.#socket.on('close', () => {
      const lost = !this.#closed;
      this.#closed = true;
      if (lost) onLost();
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(message: AgentMessage): void {
    if (this.#closed) return;
    this.#socket.write(`${JSON.stringify(message)}\n`);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.end();
  }
}
