import { ErrorCode, LeakcheckError } from '../errors.js';
import type { AgentConnection, AgentServer } from './agent-server.js';
import { describeExit } from '../report/index.js';
import { lastLine } from './describe.js';
import { waitForUrl } from './http-load.js';
import type { Target } from './spawn-target.js';

/** Recognises package-manager front ends, whose node processes load the agent too but are not the target. */
export function isWrapperProcess(argv: readonly string[]): boolean {
  const script = argv[1] ?? '';
  return /(^|[\\/])(npm|npx|yarn|yarnpkg|pnpm|pnpx|corepack)(-cli)?(\.c?js)?$/.test(script)
    || /[\\/]node_modules[\\/](npm|yarn|pnpm|corepack)[\\/]/.test(script);
}

/**
 * Readiness: the URL accepts connections (with --url), or the target opens a listening socket;
 * then the agent that is the target is chosen. Errors say which of the three things failed.
 */
export async function waitUntilReady(
  server: AgentServer,
  running: Target,
  options: { explicitUrl: string | undefined; startTimeoutMs: number; targetLog: string; signal?: AbortSignal },
): Promise<{ agent: AgentConnection; loadUrl: string }> {
  const { explicitUrl, startTimeoutMs } = options;
  const seeLog = ` (its output is in ${options.targetLog})`;
  const checkAlive = (): void => {
    const exit = running.exit;
    if (exit) throw new LeakcheckError(ErrorCode.TARGET_FAILED_TO_START, `the target ${describeExit(exit)} before it was ready${lastLine(running.stderrTail)}`);
  };
  const deadline = performance.now() + startTimeoutMs;
  if (explicitUrl !== undefined) {
    await waitForUrl(explicitUrl, { timeoutMs: startTimeoutMs, check: checkAlive, ...(options.signal ? { signal: options.signal } : {}) });
  }
  const port = explicitUrl === undefined ? undefined : Number(new URL(explicitUrl).port || 80);
  for (;;) {
    checkAlive();
    if (options.signal?.aborted) throw new LeakcheckError(ErrorCode.USAGE, 'interrupted before the target was ready');
    const chosen = chooseTarget(server.agents, port);
    if (chosen && (explicitUrl !== undefined || chosen.listening.length > 0)) {
      if (chosen.incompatible) throw new LeakcheckError(ErrorCode.AGENT_UNAVAILABLE, `the agent cannot be used: ${chosen.incompatible}`);
      return { agent: chosen, loadUrl: explicitUrl ?? urlForListening(chosen.listening[0]!) };
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
      throw new LeakcheckError(ErrorCode.TARGET_NOT_LISTENING,
        `the target did not open a listening socket within ${Math.round(startTimeoutMs / 1000)} s; pass --url (or raise --start-timeout)${seeLog}`);
    }
    await server.nextChange(200);
  }
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

export function urlForListening(listening: { port: number; address: string; family: string }): string {
  const host = listening.address === '::1' ? '[::1]' : listening.family === 'IPv6' && listening.address !== '::' ? `[${listening.address}]`
    : listening.address === '::' || listening.address === '0.0.0.0' ? '127.0.0.1' : listening.address;
  return `http://${host}:${listening.port}/`;
}
