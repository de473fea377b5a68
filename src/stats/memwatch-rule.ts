/**
 * The memwatch rising-baseline rule over post-GC heap figures. Pure: the agent runs it online
 * inside the target, the runner replays it over the GCs of a whole run.
 */

export interface MemwatchRuleOptions {
  /** Consecutive increases of the post-full-GC baseline that make the rule fire (memwatch used 5). */
  consecutive?: number;
}

export interface MemwatchRuleInput {
  timeMs: number;
  usedHeapBytes: number;
  forced: boolean;
}

export interface MemwatchRuleEvent {
  /** The GC at which the rule fired. */
  timeMs: number;
  /** Consecutive full-GC baseline increases that made the rule fire. */
  consecutiveIncreases: number;
  startBytes: number;
  endBytes: number;
  growthBytes: number;
  durationMs: number;
}

/**
 * The original node-memwatch rule, which the @airbnb fork dropped along with its 'leak' event:
 * after each full GC take the live heap as the new baseline; when it has risen N times in a row,
 * report a leak and start counting again. Forced GCs are skipped: they are ours, not the program's,
 * and back-to-back forced GCs would count one allocation burst several times.
 */
export class MemwatchRule {
  readonly #consecutive: number;
  #previous: MemwatchRuleInput | undefined;
  #runStart: MemwatchRuleInput | undefined;
  #increases = 0;

  constructor(options: MemwatchRuleOptions = {}) {
    this.#consecutive = options.consecutive ?? 5;
  }

  push(sample: MemwatchRuleInput): MemwatchRuleEvent | undefined {
    if (sample.forced) return undefined;
    const previous = this.#previous;
    this.#previous = sample;
    if (previous === undefined || sample.usedHeapBytes <= previous.usedHeapBytes) {
      this.#increases = 0;
      this.#runStart = sample;
      return undefined;
    }
    this.#increases++;
    if (this.#increases < this.#consecutive) return undefined;
    const start = this.#runStart ?? previous;
    const event: MemwatchRuleEvent = {
      timeMs: sample.timeMs,
      consecutiveIncreases: this.#increases,
      startBytes: start.usedHeapBytes,
      endBytes: sample.usedHeapBytes,
      growthBytes: sample.usedHeapBytes - start.usedHeapBytes,
      durationMs: sample.timeMs - start.timeMs,
    };
    this.#increases = 0;
    this.#runStart = sample;
    return event;
  }
}

export function memwatchRuleEvents(samples: readonly MemwatchRuleInput[], options: MemwatchRuleOptions = {}): MemwatchRuleEvent[] {
  const rule = new MemwatchRule(options);
  const events: MemwatchRuleEvent[] = [];
  for (const sample of samples) {
    const event = rule.push(sample);
    if (event) events.push(event);
  }
  return events;
}
