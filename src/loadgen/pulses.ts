/**
 * Connection pulses: the big pulse (open `connections`, hold), then small pulses (open a few, hold,
 * close) — the shape that shows whether a server returns memory after a burst. Pure planning here;
 * the coordinator (run.ts) executes the steps and the workers hold the sockets.
 */
import type { LoadPlan } from './plan.js';

export type PulseStep =
  | { kind: 'open'; count: number; label: string }
  | { kind: 'hold'; ms: number; label: string }
  | { kind: 'close'; label: string };

export function pulseSteps(plan: LoadPlan): PulseStep[] {
  const { pulses } = plan;
  const steps: PulseStep[] = [];
  if (pulses.connections > 0) {
    steps.push({ kind: 'open', count: pulses.connections, label: 'big pulse' });
    steps.push({ kind: 'hold', ms: pulses.bigLingerMs, label: 'big pulse' });
    steps.push({ kind: 'close', label: 'big pulse' });
  }
  for (let k = 1; k <= pulses.smallPulses; k++) {
    const label = `small pulse ${k}/${pulses.smallPulses}`;
    steps.push({ kind: 'open', count: pulses.smallSize, label });
    steps.push({ kind: 'hold', ms: pulses.smallLingerMs, label });
    steps.push({ kind: 'close', label });
  }
  return steps;
}

/** Splits connection indices [0, count) into `parts` contiguous ranges, sizes differing by at most one. */
export function splitRange(count: number, parts: number): { from: number; to: number }[] {
  const ranges: { from: number; to: number }[] = [];
  let from = 0;
  for (let part = 0; part < parts; part++) {
    const size = Math.floor(count / parts) + (part < count % parts ? 1 : 0);
    ranges.push({ from, to: from + size });
    from += size;
  }
  return ranges;
}
