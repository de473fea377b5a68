import type { RunPhase } from '../report/index.js';

/**
 * The load phases' requests that failed: no response (reset, refused, timed out) or a status
 * >= 400 that is not accepted. Undefined when no HTTP load was sent.
 */
export function loadFailures(phases: readonly RunPhase[], acceptedStatuses: readonly number[]): { requests: number; failed: number; statusCounts: Record<string, number>; firstError: string | null } | undefined {
  const statusCounts: Record<string, number> = {};
  let firstError: string | null = null;
  for (const phase of phases) {
    if (phase.kind !== 'load' || !phase.http) continue;
    for (const [status, n] of Object.entries(phase.http.statusCounts)) statusCounts[status] = (statusCounts[status] ?? 0) + n;
    firstError ??= phase.http.errorSamples[0] ?? null;
  }
  let requests = 0;
  let failed = 0;
  for (const [status, n] of Object.entries(statusCounts)) {
    requests += n;
    if (status === 'error' || (Number(status) >= 400 && !acceptedStatuses.includes(Number(status)))) failed += n;
  }
  return requests === 0 ? undefined : { requests, failed, statusCounts, firstError };
}

export function lastLine(text: string): string {
  // Node ends a crash with "Node.js vX" after the stack: the error line itself is what helps.
  const lines = text.trim().split('\n').map((l) => l.trim()).filter((l) => l.length > 0 && !/^at /.test(l) && !/^Node\.js v\d/.test(l));
  const line = [...lines].reverse().find((l) => /^(\w*Error|Error)\b|^\[?ERR_/.test(l)) ?? lines[lines.length - 1];
  return line ? `: ${line.slice(0, 200)}` : '';
}
