import { ErrorCode, LeakcheckError } from '../errors.js';
import type { AgentConnection, AgentServer } from './agent-server.js';
import { describeExit } from '../report/index.js';
import { lastLine } from './describe.js';
import { canConnect, waitForUrl } from './http-load.js';
import type { Target } from './spawn-target.js';

/** Recognises package-manager front ends, whose node processes load the agent too but are not the target. */
export function isWrapperProcess(argv: readonly string[]): boolean {
  const script = argv[1] ?? '';
  return /(^|[\\/])(npm|npx|yarn|yarnpkg|pnpm|pnpx|corepack)(-cli)?(\.c?js)?$/.test(script)
    || /[\\/]node_modules[\\/](npm|yarn|pnpm|corepack)[\\/]/.test(script);
}

/** How long a wrong --url port is waited for in silence before the run says where the target listens. */
const wrongPortHintMs = 2000;

type Listening = AgentConnection['listening'][number];

/** Where the target's processes listen, with their pids: what a wrong --url is told. */
export function targetListening(agents: readonly AgentConnection[]): Array<Listening & { pid: number }> {
  return agents.filter((a) => a.hello && !isWrapperProcess(a.hello.argv)).flatMap((a) => a.listening.map((l) => ({ ...l, pid: a.hello!.pid })));
}

function describeListening(listening: ReadonlyArray<Listening & { pid: number }>): string {
  return listening.map((l) => `${new URL(urlForListening(l)).host} (pid ${l.pid})`).join(', ');
}

/**
 * Readiness: a process of the target listens on the --url port (a port that merely accepts
 * connections may belong to another process) and the URL accepts connections; without --url,
 * the target opens any listening socket. Then the agent that is the target is chosen. Errors say
 * which thing failed; a wrong port is named early, with where the target listens instead.
 */
export async function waitUntilReady(
  server: AgentServer,
  running: Target,
  options: {
    explicitUrl: string | undefined; startTimeoutMs: number; targetLog: string; signal?: AbortSignal;
    onWrongPort?: (listening: Array<Listening & { pid: number }>) => void;
  },
): Promise<{ agent: AgentConnection; loadUrl: string }> {
  const { explicitUrl, startTimeoutMs } = options;
  const seeLog = ` (its output is in ${options.targetLog})`;
  const checkAlive = (): void => {
    const exit = running.exit;
    if (exit) throw new LeakcheckError(ErrorCode.TARGET_FAILED_TO_START, `the target ${describeExit(exit)} before it was ready${lastLine(running.stderrTail)}`);
  };
  const startedMs = performance.now();
  const deadline = startedMs + startTimeoutMs;
  const port = explicitUrl === undefined ? undefined : portOf(explicitUrl);
  let hinted = false;
  for (;;) {
    checkAlive();
    if (options.signal?.aborted) throw new LeakcheckError(ErrorCode.INTERRUPTED, 'interrupted before the target was ready');
    const chosen = chooseTarget(server.agents, port);
    if (chosen && chosen.listening.some((l) => port === undefined || l.port === port)) {
      if (chosen.incompatible) throw new LeakcheckError(ErrorCode.AGENT_UNAVAILABLE, `the agent cannot be used: ${chosen.incompatible}`);
      if (explicitUrl === undefined) return { agent: chosen, loadUrl: urlForListening(chosen.listening[0]!) };
      // The target listens on the port; the URL's host must reach it too.
      await waitForUrl(explicitUrl, { timeoutMs: Math.max(1000, deadline - performance.now()), check: checkAlive, ...(options.signal ? { signal: options.signal } : {}) });
      return { agent: chosen, loadUrl: explicitUrl };
    }
    const elsewhere = targetListening(server.agents);
    if (port !== undefined && !hinted && elsewhere.length > 0 && performance.now() - startedMs >= wrongPortHintMs) {
      hinted = true;
      options.onWrongPort?.(elsewhere);
    }
    if (performance.now() >= deadline) {
      // A slow machine can take longer to boot node than a short --start-timeout: the hello
      // comes first thing, so give it a moment before blaming the agent.
      const helloGrace = performance.now() + Math.min(5000, startTimeoutMs);
      while (server.agents.every((a) => a.hello === undefined) && performance.now() < helloGrace && !running.exit) {
        await server.nextChange(200);
      }
      checkAlive();
      if (server.agents.every((a) => a.hello === undefined)) {
        throw new LeakcheckError(ErrorCode.AGENT_UNAVAILABLE,
          `no node process of the target loaded the leakcheck agent (is the command a node program? does a wrapper reset NODE_OPTIONS?)${seeLog}`);
      }
      if (explicitUrl === undefined) {
        throw new LeakcheckError(ErrorCode.TARGET_NOT_LISTENING,
          `the target did not open a listening socket within ${Math.round(startTimeoutMs / 1000)} s; pass --url (or raise --start-timeout)${seeLog}`);
      }
      const host = new URL(explicitUrl).host;
      if (elsewhere.length > 0) {
        throw new LeakcheckError(ErrorCode.TARGET_NOT_LISTENING, `the target does not listen on ${host} (--url): it listens on ${describeListening(elsewhere)}`);
      }
      if (await canConnect(explicitUrl)) {
        throw new LeakcheckError(ErrorCode.TARGET_NOT_LISTENING,
          `${host} accepts connections, but not from the target: another process holds that port (the target opened no listening socket within ${Math.round(startTimeoutMs / 1000)} s)${seeLog}`);
      }
      throw new LeakcheckError(ErrorCode.TARGET_NOT_LISTENING,
        `the target did not accept connections on ${host} within ${Math.round(startTimeoutMs / 1000)} s (check the port, or raise --start-timeout)${seeLog}`);
    }
    await server.nextChange(200);
  }
}

function portOf(url: string): number {
  return Number(new URL(url).port || 80);
}

/** Loopback names and addresses: always an address of this machine. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Why `url` is not load for the target this run started, or undefined when it is: its port must be
 * one a process of the target listens on, and its host an address that reaches that socket on
 * this machine (loopback, the address it is bound to, or, for a wildcard bind, any local
 * interface address). Load sent anywhere else measures something other than the target.
 */
export function foreignLoad(url: string, agents: readonly AgentConnection[], localAddresses: readonly string[]): string | undefined {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const listening = targetListening(agents);
  const onPort = listening.filter((l) => l.port === portOf(url));
  if (onPort.length === 0) return `${parsed.host} is not served by the target: it listens on ${describeListening(listening) || 'no port'}`;
  const reaches = onPort.some((l) => isLoopback(host) || host === l.address
    || ((l.address === '0.0.0.0' || l.address === '::') && localAddresses.includes(host)));
  if (!reaches) {
    return `${parsed.host} is not an address of this machine where the target listens (it listens on ${describeListening(onPort)}); leakcheck run loads only the target it started`;
  }
  return undefined;
}

/** The agent that is the target: the one listening on the load port, else the first that is not a wrapper. */
export function chooseTarget(agents: readonly AgentConnection[], port: number | undefined): AgentConnection | undefined {
  const candidates = agents.filter((a) => a.hello && !a.closed && !isWrapperProcess(a.hello.argv));
  if (port !== undefined) {
    const listener = candidates.find((a) => a.listening.some((l) => l.port === port));
    if (listener) return listener;
  }
  return candidates.find((a) => a.listening.length > 0) ?? candidates[0];
}

/**
 * Every process of the target that serves the load port: the chosen one first, then the others
 * listening on it. In a cluster these are the primary (it accepts each connection and hands it to a
 * worker) and every worker; the run measures each of them and gives each a verdict.
 */
export function servingProcesses(agents: readonly AgentConnection[], chosen: AgentConnection, port: number): AgentConnection[] {
  const others = agents.filter((a) => a !== chosen && a.hello && !a.closed && a.incompatible === undefined
    && !isWrapperProcess(a.hello.argv) && a.listening.some((l) => l.port === port));
  return [chosen, ...others];
}

/**
 * How long a cluster worker chosen as the target waits for its primary to be seen listening. In
 * the cluster's round-robin mode the primary listens before any worker does, but each process
 * tells the runner over its own connection, so on a busy machine a worker's word can come first;
 * where the primary never listens itself (NODE_CLUSTER_SCHED_POLICY=none) the worker stays the target.
 */
const primaryListenGraceMs = 5000;

/**
 * The process to treat as the target: `chosen`, unless it is a cluster worker whose primary (its
 * parent, also running the agent) listens on `port` too, seen within a short grace. Choosing the
 * worker would leave the primary's count of workers unread, so the other workers would not be
 * waited for, nor measured.
 */
export async function preferClusterPrimary(
  server: Pick<AgentServer, 'agents' | 'nextChange'>, chosen: AgentConnection, port: number, deadlineMs: number,
): Promise<AgentConnection> {
  const hello = chosen.hello;
  if (hello?.clusterWorkerId === undefined) return chosen;
  const parent = () => server.agents.find((a) => a.hello?.pid === hello.ppid && !a.closed);
  const listeningParent = () => {
    const found = parent();
    return found !== undefined && found.listening.some((l) => l.port === port) ? found : undefined;
  };
  const until = Math.min(deadlineMs, performance.now() + primaryListenGraceMs);
  while (parent() !== undefined && listeningParent() === undefined && performance.now() < until) await server.nextChange(200);
  return listeningParent() ?? chosen;
}

/**
 * A cluster's workers start one after another, and the first to listen makes the target ready.
 * The primary says how many workers it had forked when it began listening for them: wait (until
 * `deadlineMs`, a performance.now() time) until that many workers listen on the port, so that
 * every one is measured from the first checkpoint.
 */
export async function waitForClusterWorkers(server: AgentServer, port: number, deadlineMs: number): Promise<void> {
  const expected = Math.max(0, ...server.agents.flatMap((a) => a.listening.filter((l) => l.port === port).map((l) => l.clusterWorkers ?? 0)));
  const listeningWorkers = (): number => server.agents.filter((a) => a.hello?.clusterWorkerId !== undefined && !a.closed
    && a.listening.some((l) => l.port === port)).length;
  while (listeningWorkers() < expected && performance.now() < deadlineMs) await server.nextChange(200);
}

export function urlForListening(listening: { port: number; address: string; family: string }): string {
  const host = listening.address === '::1' ? '[::1]' : listening.family === 'IPv6' && listening.address !== '::' ? `[${listening.address}]`
    : listening.address === '::' || listening.address === '0.0.0.0' ? '127.0.0.1' : listening.address;
  return `http://${host}:${listening.port}/`;
}
