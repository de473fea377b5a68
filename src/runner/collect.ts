import { createWriteStream, type WriteStream } from 'node:fs';
import type { GcSample, MemorySample } from '../agent/protocol.js';
import type { RunGcSample, RunMemorySample, RunPhase } from '../report/index.js';
import type { AgentConnection } from './agent-server.js';

/** The phase running at a moment (ms since the run started); before the first: "startup". */
export function phaseAt(phases: readonly RunPhase[], atMs: number): string {
  let name = 'startup';
  for (const phase of phases) {
    if (atMs >= phase.startMs) name = phase.name;
  }
  return name;
}

/** The target agent's samples and GCs, on the run's clock and labelled with their phase. */
export function collectSeries(agent: { memory: readonly MemorySample[]; gcs: readonly GcSample[] }, startedAtMs: number, phases: readonly RunPhase[]): { samples: RunMemorySample[]; gcs: RunGcSample[] } {
  const samples = agent.memory.map((m): RunMemorySample => {
    const atMs = m.timeMs - startedAtMs;
    return {
      atMs, phase: phaseAt(phases, atMs),
      rssBytes: m.rssBytes, heapTotalBytes: m.heapTotalBytes, heapUsedBytes: m.heapUsedBytes,
      externalBytes: m.externalBytes, arrayBuffersBytes: m.arrayBuffersBytes,
      ...(m.duringCheckpoint ? { duringCheckpoint: true } : {}),
    };
  });
  const gcs = agent.gcs.map((g): RunGcSample => {
    const atMs = g.timeMs - startedAtMs;
    return {
      atMs, phase: phaseAt(phases, atMs),
      usedHeapBytes: g.usedHeapBytes, totalHeapBytes: g.totalHeapBytes, gcPauseNs: g.gcPauseNs,
      markSweepCompactCount: g.markSweepCompactCount, scavengeCount: g.scavengeCount, forced: g.forced,
    };
  });
  return { samples, gcs };
}

/**
 * stats.jsonl, written while the run goes (`tail -f` works, and a run that dies still leaves its
 * data): one JSON object per line with a `type` — "phase-start", "phase" (at its end), "sample",
 * "gc", "checkpoint", "memwatch-rule" — times in ms since the run started.
 */
export class StatsStream {
  readonly #out: WriteStream;
  readonly #startedAtMs: number;
  /** The phase whose measurements are arriving now. */
  phase = 'startup';

  constructor(path: string, startedAtMs: number) {
    this.#out = createWriteStream(path, { mode: 0o600 });
    this.#startedAtMs = startedAtMs;
    this.#out.on('error', () => {});
  }

  /** Everything the agent sent before it was chosen, then every message as it comes. */
  follow(agent: AgentConnection): void {
    for (const m of agent.memory) this.#memory(m);
    for (const g of agent.gcs) this.#gc(g);
    agent.onMessage((message) => {
      if (message.type === 'memory') this.#memory(message.sample);
      else if (message.type === 'gc') this.#gc(message.sample);
      else if (message.type === 'leak') {
        const { timeMs, ...event } = message.event;
        this.write({ type: 'memwatch-rule', atMs: timeMs - this.#startedAtMs, phase: this.phase, ...event });
      }
    });
  }

  #memory(m: MemorySample): void {
    const { timeMs, ...rest } = m;
    this.write({ type: 'sample', atMs: timeMs - this.#startedAtMs, phase: this.phase, ...rest });
  }

  #gc(g: GcSample): void {
    const { timeMs, ...rest } = g;
    this.write({ type: 'gc', atMs: timeMs - this.#startedAtMs, phase: this.phase, ...rest });
  }

  #closed = false;

  /** Milliseconds since the run started, on the clock every `atMs` uses. */
  elapsedMs(): number {
    return Date.now() - this.#startedAtMs;
  }

  write(row: object): void {
    if (!this.#closed) this.#out.write(`${JSON.stringify(row)}\n`);
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve) => this.#out.end(resolve));
  }
}
