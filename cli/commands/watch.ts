import type { Argv, CommandModule } from 'yargs';
import { ErrorCode, LeakcheckError } from '../../src/errors.js';
import { DETECTOR_IDS } from '../../src/index.js';
import { watchLiveProcess, type WatchResult } from '../../src/live/index.js';
import { createStyle, formatDurationMs, renderWatchText } from '../../src/report/index.js';
import { DEFAULT_CONFIG_FILE, loadAnalysisConfig, parseFailOn } from '../config-file.js';
import { EXIT_CLEAN, EXIT_ERROR, EXIT_LEAK } from '../exit-codes.js';
import { createLiveLog, liveTargetFromArgs, liveTargetOptions, withPid } from '../live-options.js';

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, '': 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** "10m", "30s", "1.5h", "500ms", "90" (seconds) → milliseconds. */
export function parseDuration(flag: string, text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|m|h|)\s*$/i.exec(text);
  const ms = match ? Number(match[1]) * DURATION_UNITS[match[2]!.toLowerCase()]! : NaN;
  if (!(ms > 0)) throw new LeakcheckError(ErrorCode.USAGE, `${flag}: not a duration: "${text}" (e.g. 10m, 30s, 1h, 500ms)`);
  return ms;
}

/** 1 when the diff found a leak, 0 when it found none, 2 when fewer than 2 snapshots left nothing to compare. */
export function exitCodeForWatch(result: Pick<WatchResult, 'analysis'>): number {
  if (result.analysis === undefined) return EXIT_ERROR;
  return result.analysis.verdict.leak ? EXIT_LEAK : EXIT_CLEAN;
}

const builder = (yargs: Argv) => withPid(yargs)
  .options({
    interval: { type: 'string', default: '10m', describe: 'Time between snapshots (10m, 30s, 1h)' },
    count: { type: 'number', default: 3, describe: 'Snapshots to take (at least 2; 3 enables the three-snapshot method)' },
    dir: { type: 'string', describe: 'Directory for the snapshots (default ./leakcheck-watch-<pid>-<time>)' },
    'fail-on': { type: 'string', describe: 'Gate thresholds, as for leakcheck diff, e.g. bytes=1MiB,count=200' },
    config: { type: 'string', describe: `Config file (default: ./${DEFAULT_CONFIG_FILE} when present)` },
    'allocation-sites': { type: 'boolean', default: true, describe: "Sample allocations between snapshots with V8's sampling heap profiler, so findings name where their objects were allocated (--no-allocation-sites: off)" },
    ...liveTargetOptions,
  })
  .example('$0 watch 4242 --interval 10m --count 3', 'three snapshots ten minutes apart, then the diff and the verdict (exit 0/1)')
  .example('$0 watch 4242 --interval 30s --count 2 --worker 1', 'a worker thread, two snapshots');

type WatchArgs = Awaited<ReturnType<ReturnType<typeof builder>['parseAsync']>>;

export const watchCommand: CommandModule<object, WatchArgs> = {
  command: 'watch [pid]',
  describe: 'Snapshots of a running process at an interval, then the diff and verdict (Ctrl-C analyses what was taken)',
  builder: builder as unknown as CommandModule<object, WatchArgs>['builder'],
  handler: async (args) => {
    const target = liveTargetFromArgs(args, process.env);
    const intervalMs = parseDuration('--interval', args.interval);
    if (!(Number.isInteger(args.count) && args.count >= 2)) throw new LeakcheckError(ErrorCode.USAGE, `--count must be a whole number >= 2, got ${String(args.count)}`);
    const config = await loadAnalysisConfig(args.config ?? DEFAULT_CONFIG_FILE, args.config !== undefined, DETECTOR_IDS);
    const thresholds = { ...config.thresholds, ...(args['fail-on'] === undefined ? {} : parseFailOn(args['fail-on'])) };
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const dir = args.dir ?? `leakcheck-watch-${args.pid ?? 'inspector'}-${stamp}`;
    const log = createLiveLog(!args.json);
    const controller = new AbortController();
    // First Ctrl-C: stop and analyse what was taken; a second one is left to Node's default (exit).
    const onSignal = (): void => {
      log.line('interrupted: analysing the snapshots taken so far');
      controller.abort();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let result: WatchResult;
    try {
      result = await watchLiveProcess({
        ...target,
        dir,
        intervalMs,
        count: args.count,
        signal: controller.signal,
        ...(args['allocation-sites'] ? {} : { allocationSamplingBytes: 0 }),
        analyze: {
          thresholds,
          ...(config.detectorThresholds ? { detectorThresholds: config.detectorThresholds } : {}),
          ...(config.detectors ? { detectors: config.detectors } : {}),
        },
        onEvent: (event) => {
          if (event.kind === 'waiting') log.line(`snapshot ${event.index}/${event.count} taken; next in ${formatDurationMs(event.untilMs - Date.now())}`);
          else if (event.kind === 'analyzing') log.line(`analysing ${event.paths.join(' ')}`);
          else if (event.kind !== 'snapshot-taken') log.onEvent(event);
        },
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    const first = result.snapshots[0];
    const where = first === undefined ? (args.pid === undefined ? 'inspector' : `pid ${args.pid}`) : first.threadId === 0 ? `pid ${first.pid}` : `pid ${first.pid} worker ${first.threadId}`;
    // With --json, stdout carries one object: the result, or (below) the error main prints.
    if (!args.json || result.analysis !== undefined) {
      process.stdout.write(args.json
        ? `${JSON.stringify(result, null, 2)}\n`
        : renderWatchText(result, where, createStyle({ color: args['color'] as boolean | undefined }), { cwd: process.cwd() }));
    }
    process.exitCode = exitCodeForWatch(result);
    if (result.analysis === undefined) {
      throw new LeakcheckError(ErrorCode.WATCH_INCOMPLETE, `watch stopped after ${result.snapshots.length} snapshot(s)${result.targetExited ? ' because the process exited' : ''}; 2 are needed for a verdict (kept in ${dir})`);
    }
  },
};
