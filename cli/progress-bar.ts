import cliProgress from 'cli-progress';
import type { Progress, ProgressEvent } from '../src/progress.js';

export interface ProgressBar {
  readonly onProgress: Progress;
  /** Clears the bar; safe to call more than once. */
  stop(): void;
}

const noBar: ProgressBar = { onProgress: () => {}, stop: () => {} };
const MIB = 1024 * 1024;

/**
 * A progress bar on stderr for long loads, or nothing: only when stderr is a TTY and `enabled`
 * (the command decides: big file, not --json). Parsing reports bytes; the graph phases after it
 * report nodes, and the bar restarts with each phase's label.
 */
export function createProgressBar(enabled: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  if (!enabled || !stream.isTTY) return noBar;
  const bar = new cliProgress.SingleBar({
    stream,
    format: ' {phase} [{bar}] {percentage}% | {amount}',
    barsize: 30,
    hideCursor: true,
    clearOnComplete: true,
    fps: 10,
  }, cliProgress.Presets.shades_classic);
  let phase = '';
  let stopped = false;
  const amount = (event: ProgressEvent) => (event.phase === 'parse'
    ? `${(event.done / MIB).toFixed(0)}/${(event.total / MIB).toFixed(0)} MiB`
    : `${event.done.toLocaleString('en-US')}/${event.total.toLocaleString('en-US')} nodes`);
  return {
    onProgress: (event) => {
      if (stopped) return;
      const payload = { phase: event.phase.padEnd(15), amount: amount(event) };
      if (event.phase !== phase) {
        if (phase !== '') bar.stop();
        phase = event.phase;
        bar.start(Math.max(event.total, 1), event.done, payload);
      } else {
        bar.update(event.done, payload);
      }
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      if (phase !== '') bar.stop();
    },
  };
}
