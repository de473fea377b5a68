/**
 * The coordinator: forks the load processes, drives the pulse steps and the flood, merges their
 * reports into progress events, and returns a summary. Bounded: the whole run ends at
 * plan.durationMs (remaining steps are skipped), every wait has a deadline, and workers that do not
 * exit after 'stop' are killed by PID.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { LatencyHistogram } from './latency.js';
import type { LoadPlan } from './plan.js';
import { pulseSteps, splitRange } from './pulses.js';
import { emptyCounters, type WorkerCounters } from './counters.js';
import type { FromWorker, ToWorker } from './worker.js';

export interface LoadProgress {
  elapsedMs: number;
  /** What the run is doing ('big pulse: open', 'small pulse 2/5: hold', …). */
  phase: string;
  totals: WorkerCounters;
  /** Per second over the last report interval. */
  receivedPerSecond: number;
  publishedPerSecond: number;
  /** Delivery latency over the last interval (NaN without samples). */
  p50Ms: number;
  p99Ms: number;
}

export interface LoadSummary {
  elapsedMs: number;
  /** True when the duration cap cut the run short. */
  cappedByDuration: boolean;
  totals: WorkerCounters;
  /** Delivery latency over the whole run. */
  p50Ms: number;
  p99Ms: number;
  latencySamples: number;
  /** Peak connections open at once. */
  peakOpen: number;
  /** Socket errors by code over all processes (why connections failed or dropped). */
  errors: Record<string, number>;
}

function sum(all: WorkerCounters[]): WorkerCounters {
  const total = emptyCounters();
  for (const counters of all) for (const key of Object.keys(total) as (keyof WorkerCounters)[]) total[key] += counters[key];
  return total;
}

const workerPath = fileURLToPath(new URL('./worker.js', import.meta.url));

export async function runLoad(plan: LoadPlan, onProgress: (progress: LoadProgress) => void = () => {}, signal?: AbortSignal): Promise<LoadSummary> {
  const startMs = Date.now();
  const deadline = startMs + plan.durationMs;
  const workers: ChildProcess[] = [];
  const latest: WorkerCounters[] = [];
  const latestErrors: Record<string, number>[] = [];
  const interval = new LatencyHistogram();
  const overall = new LatencyHistogram();
  const waiting = new Map<string, Set<number>>();
  let wake: (() => void) | null = null;
  let phase = 'starting';
  let peakOpen = 0;
  let lastTotals = emptyCounters();
  let lastReportMs = startMs;
  const stopped = () => Date.now() >= deadline || signal?.aborted === true;

  // Floods are published from a process of their own: a publisher sharing an event loop with
  // thousands of busy subscriber sockets is starved, and its pacing then measures the load
  // generator instead of the server.
  const floodWorker = plan.flood.ratePerSecond > 0 ? plan.processes : -1;
  for (let worker = 0; worker < plan.processes + (floodWorker === -1 ? 0 : 1); worker++) {
    const child = fork(workerPath, [], { env: { ...process.env, LEAKCHECK_LOAD_WORKER: '1' }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    latest.push(emptyCounters());
    child.on('message', (message: FromWorker) => {
      if (message.type === 'report') {
        latest[message.worker] = message.counters;
        latestErrors[message.worker] = message.errors;
        interval.addSparse(message.latency);
        overall.addSparse(message.latency);
      } else {
        waiting.get(message.type)?.delete(message.worker);
        wake?.();
      }
    });
    child.on('exit', () => wake?.());
    workers.push(child);
    child.send({ type: 'init', plan, worker } satisfies ToWorker);
  }
  const sendAll = (message: ToWorker) => {
    for (const child of workers) if (child.connected) child.send(message);
  };

  /** Waits until every worker has answered `type`, the run is over, or a worker died. */
  const waitFor = async (type: 'opened' | 'closed') => {
    while ((waiting.get(type)?.size ?? 0) > 0 && !stopped() && workers.every((w) => w.exitCode === null)) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, Math.max(1, Math.min(250, deadline - Date.now())));
      });
    }
  };

  const progressTimer = setInterval(() => {
    const now = Date.now();
    const totals = sum(latest);
    peakOpen = Math.max(peakOpen, totals.open);
    const seconds = Math.max(0.001, (now - lastReportMs) / 1000);
    onProgress({
      elapsedMs: now - startMs,
      phase,
      totals,
      receivedPerSecond: (totals.received - lastTotals.received) / seconds,
      publishedPerSecond: (totals.published - lastTotals.published) / seconds,
      p50Ms: interval.quantileMs(0.5),
      p99Ms: interval.quantileMs(0.99),
    });
    interval.reset();
    lastTotals = totals;
    lastReportMs = now;
  }, plan.reportMs);

  try {
    let flooding = false;
    for (const step of pulseSteps(plan)) {
      if (stopped()) break;
      phase = `${step.label}: ${step.kind}`;
      if (step.kind === 'open') {
        waiting.set('opened', new Set(workers.map((_, k) => k)));
        const ranges = splitRange(step.count, plan.processes);
        workers.forEach((child, k) => child.send({ type: 'open', ...(ranges[k] ?? { from: 0, to: 0 }) } satisfies ToWorker));
        await waitFor('opened');
        if (!flooding) {
          flooding = true;
          workers[floodWorker]?.send({ type: 'flood', idCount: Math.max(plan.pulses.connections, plan.pulses.smallSize) } satisfies ToWorker);
        }
      } else if (step.kind === 'hold') {
        const until = Math.min(deadline, Date.now() + step.ms);
        while (Date.now() < until && !stopped()) await new Promise((resolve) => setTimeout(resolve, Math.min(100, until - Date.now())));
      } else {
        waiting.set('closed', new Set(workers.map((_, k) => k)));
        sendAll({ type: 'close' });
        await waitFor('closed');
      }
    }
  } finally {
    phase = 'stopping';
    sendAll({ type: 'stop' });
    await Promise.all(
      workers.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        const timeout = new Promise((resolve) => setTimeout(resolve, 5_000).unref());
        if ((await Promise.race([exited.then(() => 'exited'), timeout])) !== 'exited') child.kill('SIGKILL');
      }),
    );
    clearInterval(progressTimer);
  }
  const totals = sum(latest);
  return {
    elapsedMs: Date.now() - startMs,
    cappedByDuration: Date.now() >= deadline,
    totals,
    p50Ms: overall.quantileMs(0.5),
    p99Ms: overall.quantileMs(0.99),
    latencySamples: overall.total,
    peakOpen: Math.max(peakOpen, totals.connected - totals.closed - totals.dropped),
    errors: latestErrors.reduce<Record<string, number>>((all, errors) => {
      for (const [code, count] of Object.entries(errors ?? {})) all[code] = (all[code] ?? 0) + count;
      return all;
    }, {}),
  };
}

const ms = (value: number) => (Number.isNaN(value) ? '-' : value < 10 ? value.toFixed(2) : value.toFixed(0));

/** One progress line, as both entry points print it. */
export function formatProgress(p: LoadProgress): string {
  const t = p.totals;
  return (
    `${(p.elapsedMs / 1000).toFixed(1).padStart(6)}s ${p.phase.padEnd(22)} ` +
    `open ${t.open} connected ${t.connected} closed ${t.closed} dropped ${t.dropped} failed ${t.failed} | ` +
    `published ${t.published} (${Math.round(p.publishedPerSecond)}/s) received ${t.received} (${Math.round(p.receivedPerSecond)}/s) | ` +
    `p50 ${ms(p.p50Ms)} ms p99 ${ms(p.p99Ms)} ms`
  );
}

export function formatSummary(s: LoadSummary): string {
  const t = s.totals;
  return (
    `done in ${(s.elapsedMs / 1000).toFixed(1)}s${s.cappedByDuration ? ' (duration cap reached)' : ''}: ` +
    `connected ${t.connected} (peak open ${s.peakOpen}) closed ${t.closed} dropped ${t.dropped} failed ${t.failed}; ` +
    `published ${t.published} acked ${t.acked} (answers counted ${t.deliveries} deliveries) rejected ${t.rejected}${t.unanswered === 0 ? '' : ` unanswered ${t.unanswered}`} behind ${t.behind}; ` +
    `received ${t.received}${t.gaps === 0 ? '' : `, gap events ${t.gaps}`}; ` +
    `latency p50 ${ms(s.p50Ms)} ms p99 ${ms(s.p99Ms)} ms over ${s.latencySamples} deliveries` +
    (Object.keys(s.errors).length === 0 ? '' : `; socket errors ${Object.entries(s.errors).map(([code, count]) => `${code} ${count}`).join(', ')}`)
  );
}
