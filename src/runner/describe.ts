import type { RunPhase } from '../report/index.js';

/** Share of error answers (status ≥ 400) above which the load is said to miss the code under test. */
const errorResponseWarnShare = 0.9;

/**
 * Load that mostly got 4xx/5xx answers exercises the error path, not the code the user cares
 * about (typically GET / on a server without a root route): the counts behind that warning.
 */
export function errorResponseCounts(phases: readonly RunPhase[]): { answered: number; failing: number; topStatus: string } | undefined {
  const counts = new Map<string, number>();
  for (const phase of phases) {
    if (phase.kind !== 'load' || !phase.http) continue;
    for (const [status, n] of Object.entries(phase.http.statusCounts)) counts.set(status, (counts.get(status) ?? 0) + n);
  }
  let answered = 0;
  let failing = 0;
  for (const [status, n] of counts) {
    if (status === 'error') continue;
    answered += n;
    if (Number(status) >= 400) failing += n;
  }
  if (answered === 0 || failing < errorResponseWarnShare * answered) return undefined;
  const topStatus = [...counts].filter(([s]) => s !== 'error').sort((a, b) => b[1] - a[1])[0]![0];
  return { answered, failing, topStatus };
}

export function lastLine(text: string): string {
  // Node ends a crash with "Node.js vX" after the stack: the error line itself is what helps.
  const lines = text.trim().split('\n').map((l) => l.trim()).filter((l) => l.length > 0 && !/^at /.test(l) && !/^Node\.js v\d/.test(l));
  const line = [...lines].reverse().find((l) => /^(\w*Error|Error)\b|^\[?ERR_/.test(l)) ?? lines[lines.length - 1];
  return line ? `: ${line.slice(0, 200)}` : '';
}
