import { ErrorCode, LeakcheckError } from '../errors.js';
import type { CdpSession } from './cdp-session.js';
import { readOwnMemory, type TargetMemory } from './own-memory.js';

export type { TargetMemory } from './own-memory.js';

/**
 * Code run inside the target through Runtime.evaluate. It must work in ES-module and CommonJS
 * targets alike: `require` is not a global in ESM and `process.mainModule` is absent there, so
 * built-ins come from `process.getBuiltinModule` (Node >= 20.16) or, on older Node, from the
 * `require` that Node adds to the inspector's command-line API (hence includeCommandLineAPI).
 */
const BUILTIN = '(globalThis.process.getBuiltinModule ?? require)';

// Runs in the target (serialized) and, unchanged, inside a process that watches itself (src/watch).
const MEMORY_EXPRESSION = `JSON.stringify((${readOwnMemory.toString()})(${BUILTIN}))`;

/**
 * Closes the inspector the target opened on SIGUSR1, half a second after this reply, when our
 * session is gone. Not at once: inspector.close() blocks the target's event loop until every
 * session has disconnected, ours included; and on Node 20 it crashed the target (SIGSEGV) in 2 of
 * 5 tries when called right after a worker session was detached (setImmediate), 0 of 10 with
 * the delay. Unref'd, so a target on its way out is not held up by it.
 */
export const CLOSE_DELAY_MS = 500;
const CLOSE_EXPRESSION = `void setTimeout(() => ${BUILTIN}('inspector').close(), ${CLOSE_DELAY_MS}).unref()`;

interface EvaluateReply { result: { type: string; value?: unknown; description?: string }; exceptionDetails?: { text: string; exception?: { description?: string } } }

async function evaluate(session: CdpSession, expression: string, where: string): Promise<unknown> {
  const reply = await session.send<EvaluateReply>('Runtime.evaluate', { expression, includeCommandLineAPI: true, returnByValue: true, silent: true });
  if (reply.exceptionDetails) {
    const detail = reply.exceptionDetails.exception?.description?.split('\n')[0] ?? reply.exceptionDetails.text;
    throw new LeakcheckError(ErrorCode.INSPECTOR_UNAVAILABLE, `evaluation in the target failed: ${detail}`, { file: where });
  }
  return reply.result.value;
}

export async function readTargetMemory(session: CdpSession, where: string, options: { collectGarbage?: boolean } = {}): Promise<TargetMemory> {
  if (options.collectGarbage) await session.send('HeapProfiler.collectGarbage');
  return JSON.parse(String(await evaluate(session, MEMORY_EXPRESSION, where))) as TargetMemory;
}

export async function closeTargetInspector(session: CdpSession, where: string): Promise<void> {
  await evaluate(session, CLOSE_EXPRESSION, where);
}
