import { createServer, type AddressInfo, type Server } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { tmpDir } from '../helpers/tmp-dir.js';

export interface LiveTarget {
  pid: number;
  child: ChildProcess;
  /** Everything the target wrote to stderr so far (Node prints "Debugger listening…" there). */
  stderr(): string;
  exited: Promise<void>;
}

/**
 * Starts `source` as a long-running Node program (an ES module, or CommonJS with `type: 'cjs'`)
 * and resolves once it printed `ready`. The program keeps running until the test ends, when it is
 * killed by its pid. `nodeArgs` go before the script (e.g. `--inspect-port=${port}` with a port from freePorts).
 */
export async function startLiveTarget(
  t: Pick<TestContext, 'after'>,
  source: string,
  options: { nodeArgs?: string[]; type?: 'esm' | 'cjs'; env?: NodeJS.ProcessEnv } = {},
): Promise<LiveTarget> {
  const dir = tmpDir(t, 'leakcheck-live-target-');
  const program = join(dir, options.type === 'cjs' ? 'target.cjs' : 'target.mjs');
  writeFileSync(program, `${source}\nsetInterval(() => {}, 1000);\nconsole.log('ready');\n`);
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), program], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '', ...options.env },
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => { stderr += text; });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  await new Promise<void>((resolve, reject) => {
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      if (stdout.includes('ready')) resolve();
    });
    child.once('exit', (code, signal) => reject(new Error(`target exited with ${signal ?? code} before it was ready: ${stderr}`)));
  });
  return { pid: child.pid!, child, stderr: () => stderr, exited };
}

/**
 * One port per name, free on 127.0.0.1 when this returns: the OS picks them (all held open until
 * every one is picked, so they differ), then they are released for the target's --inspect-port.
 * Fixed ports collided when two checkouts ran this suite at once; the OS does not hand a port it
 * just released out again soon, which leaves only a small window.
 */
export async function freePorts<Name extends string>(names: readonly Name[]): Promise<Record<Name, number>> {
  const servers = await Promise.all(names.map(() => new Promise<Server>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  })));
  const ports = Object.fromEntries(names.map((name, at) => [name, (servers[at]!.address() as AddressInfo).port])) as Record<Name, number>;
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** Whether anything accepts connections on 127.0.0.1:port. */
export async function portOpen(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/** Keeps a class the tests can find in the snapshot. */
export const MARKER_SOURCE = `class LiveMarker { constructor(i) { this.i = i; } }
globalThis.markers = Array.from({ length: 321 }, (_, i) => new LiveMarker(i));`;
