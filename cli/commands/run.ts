import type { Argv, CommandModule } from 'yargs';
import { parseByteSize as parseSize } from '../../src/byte-size.js';
import { ErrorCode, LeakcheckError } from '../../src/errors.js';
import { createStyle, describeIncomplete, formatBytes, formatCount, formatDurationMs, renderRunText, runReportToJson, runSuite, type Outcome, type RunReport } from '../../src/report/index.js';
import {
  buildLoadPlan, checkUrl, defaultMaxErrorRate, defaultMinGrowthBytes, readPhasesFile, runTarget, type LoadPhase, type RunProgressEvent,
} from '../../src/runner/index.js';
import { analyzeSnapshots, DETECTOR_IDS, type SnapshotAnalyzer } from '../../src/index.js';
import { DEFAULT_CONFIG_FILE, loadAnalysisConfig, parseFailOn } from '../config-file.js';
import { EXIT_CLEAN, EXIT_ERROR, EXIT_LEAK } from '../exit-codes.js';
import { emitReporters, parseReporters, reporterOption, reportFailure } from '../reporters.js';

/** leak → 1, clean → 0; a crash or a run that measured nothing usable → 2 (the report still exists). */
export function exitCodeForOutcome(outcome: Outcome): number {
  return outcome === 'leak' ? EXIT_LEAK : outcome === 'clean' ? EXIT_CLEAN : EXIT_ERROR;
}

/** "512KiB", "1.5 MB", "2m", "1048576" → bytes. Binary and decimal suffixes are both accepted. */
export function parseByteSize(text: string): number {
  const bytes = parseSize(text);
  if (bytes === undefined) throw new LeakcheckError(ErrorCode.USAGE, `--min-growth: not a size: "${text}" (e.g. 512KiB, 2MB, 1048576)`);
  return bytes;
}

const builder = (yargs: Argv) => yargs
  .usage('$0 run [options] -- <command...>\n\nStart <command> with the leakcheck agent, drive load in phases, and report whether memory leaks.')
  .options({
    url: { type: 'string', describe: 'URL the built-in load driver requests (default: the first port the target listens on, path /)' },
    requests: { type: 'number', describe: 'Requests per load phase (default 2000)' },
    duration: { type: 'number', describe: 'Seconds per load phase, instead of --requests' },
    concurrency: { type: 'number', describe: 'Concurrent requests (default 8)' },
    'warmup-requests': { type: 'number', describe: 'Requests in the warm-up phase, not measured (default 500; 0 for none)' },
    'load-phases': { type: 'number', describe: 'Number of measured load phases (default 2, at least 2)' },
    idle: { type: 'number', describe: 'Seconds of an idle phase after the load (default 0: none)' },
    'load-cmd': { type: 'string', describe: 'Shell command that produces the load, run once per phase (gets LEAKCHECK_TARGET_URL, LEAKCHECK_TARGET_PORT, LEAKCHECK_PHASE)' },
    phases: { type: 'string', describe: 'phases.json describing every phase (see docs)' },
    out: { type: 'string', describe: 'Report directory (default reports/<run-id>)' },
    'show-output': { type: 'boolean', default: false, describe: "Copy the target's stdout/stderr to stderr (always kept in target.log)" },
    json: { type: 'boolean', default: false, describe: 'Print report.json to stdout instead of the summary' },
    reporter: reporterOption,
    snapshots: { type: 'boolean', default: true, describe: 'Write heap snapshots at phase boundaries (--no-snapshots: no snapshot diff, the fastest run)' },
    'accept-status': { type: 'string', describe: 'Statuses >= 400 that are expected answers, not failures, e.g. 404 or 404,410' },
    'max-error-rate': { type: 'number', describe: `Share of failed load requests (no response, or a status >= 400 not accepted) above which the run measured nothing: exit 2 (default ${defaultMaxErrorRate})` },
    'keep-snapshots': { choices: ['always', 'on-leak', 'never'] as const, default: 'on-leak' as const, describe: 'Which heap snapshots stay in the report directory after the run (they can be large and hold secrets)' },
    'heap-diff': { type: 'boolean', default: false, describe: 'Also record a memwatch HeapDiff per load phase (costs two in-process snapshots per boundary; the snapshot diff does its job)' },
    memwatch: { type: 'boolean', default: true, describe: "Load @airbnb/node-memwatch in the target when installed (--no-memwatch: GC stats from Node's v8.GCProfiler, no HeapDiff)" },
    'allocation-sites': { type: 'boolean', default: true, describe: "Sample allocations in the target with V8's sampling heap profiler, so findings name where their objects were allocated (--no-allocation-sites: off)" },
    'track-allocations': { type: 'boolean', default: false, describe: "Track every allocation with its stack (V8's allocation tracker), so each finding names its objects' exact allocation stack; slow, see docs/run.md" },
    'fail-on': { type: 'string', describe: 'Snapshot-diff gate, as for leakcheck diff, e.g. bytes=1MiB,count=200 (default from config)' },
    config: { type: 'string', describe: `Config file for the snapshot diff (default: ./${DEFAULT_CONFIG_FILE} when present)` },
    'min-growth': { type: 'string', describe: `Growth over the load phases below which no trend is a leak (default ${formatBytes(defaultMinGrowthBytes)})` },
    checkpoints: { type: 'number', describe: 'Forced-GC measurements per load phase (default 4)' },
    'start-timeout': { type: 'number', default: 20, describe: 'Seconds the target may take to start listening' },
    'phase-timeout': { type: 'number', default: 300, describe: 'Upper bound in seconds on any one phase' },
  })
  .example('$0 run -- node server.js', 'load GET / on the port server.js opens')
  .example('$0 run --url http://127.0.0.1:3000/api --requests 5000 -- npm start', 'through a wrapper')
  .example('$0 run --load-cmd "autocannon -d 10 $LEAKCHECK_TARGET_URL" -- node app.js', 'with your own load tool');

type RunArgs = Awaited<ReturnType<ReturnType<typeof builder>['parseAsync']>> & { '--'?: Array<string | number> };

export const runCommand: CommandModule<object, RunArgs> = {
  // [target..] only to catch a command given without `--` and say how to give it.
  command: 'run [target..]',
  describe: 'Run a Node service under load with the agent and report leaks',
  builder: builder as unknown as CommandModule<object, RunArgs>['builder'],
  handler: async (args) => {
    const command = (args['--'] ?? []).map(String);
    const stray = ((args as { target?: Array<string | number> }).target ?? []).map(String);
    if (stray.length > 0) {
      throw new LeakcheckError(ErrorCode.USAGE, `the target command goes after --: leakcheck run [options] -- ${[...stray, ...command].join(' ')}`);
    }
    if (command.length === 0) {
      throw new LeakcheckError(ErrorCode.USAGE, 'missing target command: leakcheck run [options] -- <command...>');
    }
    const reporters = parseReporters(args.reporter, process.env);
    if (args.phases !== undefined && (args.requests !== undefined || args.duration !== undefined || args['warmup-requests'] !== undefined)) {
      throw new LeakcheckError(ErrorCode.USAGE, '--phases describes every phase; do not combine it with --requests, --duration or --warmup-requests');
    }
    const phases: LoadPhase[] = args.phases !== undefined
      ? await readPhasesFile(args.phases, {
        ...(args.url === undefined ? {} : { url: args.url }),
        ...(args['load-cmd'] === undefined ? {} : { loadCommand: args['load-cmd'] }),
        ...(args.concurrency === undefined ? {} : { concurrency: args.concurrency }),
      })
      : buildLoadPlan({
        ...(args.url === undefined ? {} : { url: args.url }),
        ...(args.requests === undefined ? {} : { requests: args.requests }),
        ...(args.duration === undefined ? {} : { durationMs: args.duration * 1000 }),
        ...(args.concurrency === undefined ? {} : { concurrency: args.concurrency }),
        ...(args['warmup-requests'] === undefined ? {} : { warmupRequests: args['warmup-requests'] }),
        ...(args['load-cmd'] === undefined ? {} : { loadCommand: args['load-cmd'] }),
        ...(args['load-phases'] === undefined ? {} : { loadPhases: args['load-phases'] }),
        ...(args.idle === undefined ? {} : { idleMs: args.idle * 1000 }),
      });
    if (args.url !== undefined) {
      checkUrl(args.url, '--url', (message) => {
        throw new LeakcheckError(ErrorCode.USAGE, message);
      });
    }
    for (const [flag, value] of [['--start-timeout', args['start-timeout']], ['--phase-timeout', args['phase-timeout']], ['--checkpoints', args.checkpoints]] as const) {
      if (value !== undefined && !(value > 0)) throw new LeakcheckError(ErrorCode.USAGE, `${flag} must be a positive number`);
    }

    // The snapshot diff honours the same thresholds and detector list as `leakcheck diff`.
    const config = await loadAnalysisConfig(args.config ?? DEFAULT_CONFIG_FILE, args.config !== undefined, DETECTOR_IDS);
    const thresholds = { ...config.thresholds, ...(args['fail-on'] === undefined ? {} : parseFailOn(args['fail-on'])) };
    const analyze: SnapshotAnalyzer = (s) => analyzeSnapshots([s.baseline, s.target, s.final], {
      thresholds,
      ...(s.preloaded ? { preloaded: s.preloaded } : {}),
      ...(config.detectorThresholds ? { detectorThresholds: config.detectorThresholds } : {}),
      ...(config.detectors ? { detectors: config.detectors } : {}),
    });

    const style = createStyle({ color: args['color'] as boolean | undefined ?? (process.stderr.isTTY ? undefined : false) });
    // On a terminal the phase's live line is rewritten in place (twice a second); otherwise it is a
    // plain line every 10 s, so CI logs show progress without drowning in it.
    const live = process.stderr.isTTY === true;
    let liveShown = false;
    const log = (line: string): void => {
      if (args.json) return;
      process.stderr.write(`${liveShown ? '\r\x1b[K' : ''}${line}\n`);
      liveShown = false;
    };
    const onProgress = (event: RunProgressEvent): void => {
      if (event.kind !== 'phase-progress' || !live) log(describeProgress(event, style));
      else if (!args.json) {
        process.stderr.write(`\r\x1b[K${describeProgress(event, style)}`);
        liveShown = true;
      }
    };
    // Progress and the summary are best effort when the reader goes away (`| head`): the run
    // still finishes, stops the target and writes its report, and the exit code keeps the verdict.
    const ignoreBrokenPipe = (error: NodeJS.ErrnoException): void => {
      if (error.code !== 'EPIPE') throw error;
    };
    process.stdout.on('error', ignoreBrokenPipe);
    process.stderr.on('error', ignoreBrokenPipe);
    // SIGHUP (the terminal went away) ends the run like SIGTERM: the target is stopped, the report written.
    const controller = new AbortController();
    const stopSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    const onSignal = (signal: NodeJS.Signals): void => controller.abort(signal);
    for (const name of stopSignals) process.once(name, onSignal);
    let report: RunReport;
    try {
      report = await runTarget({
        command,
        phases,
        ...(args.url === undefined ? {} : { url: args.url }),
        ...(args.out === undefined ? {} : { outDir: args.out }),
        snapshots: args.snapshots,
        heapDiff: args['heap-diff'],
        keepSnapshots: args['keep-snapshots'],
        ...(args['accept-status'] === undefined ? {} : { acceptedStatuses: parseStatusList(args['accept-status']) }),
        ...(args['max-error-rate'] === undefined ? {} : { maxErrorRate: checkErrorRate(args['max-error-rate']) }),
        memwatch: args.memwatch,
        allocationSites: args['allocation-sites'],
        trackAllocations: args['track-allocations'],
        analyze,
        minGrowthBytes: args['min-growth'] === undefined ? defaultMinGrowthBytes : parseByteSize(args['min-growth']),
        ...(args.checkpoints === undefined ? {} : { checkpointsPerPhase: Math.round(args.checkpoints) }),
        startTimeoutMs: args['start-timeout'] * 1000,
        phaseTimeoutMs: args['phase-timeout'] * 1000,
        signal: controller.signal,
        onProgress,
        progressIntervalMs: live ? 500 : 10_000,
        ...(args['show-output'] ? { targetOutput: process.stderr } : {}),
      });
    } catch (error) {
      await reportFailure(reporters, 'run', command, error, { env: process.env, json: args.json });
      throw error;
    } finally {
      for (const name of stopSignals) process.off(name, onSignal);
    }
    process.stdout.write(args.json ? runReportToJson(report) : renderRunText(report, createStyle({ color: args['color'] as boolean | undefined })));
    const verdictExit = exitCodeForOutcome(report.verdict.outcome);
    process.exitCode = await emitReporters(reporters, (options) => runSuite(report, options), report.cwd, verdictExit, { env: process.env, json: args.json });
  },
};

/** "404" or "404,410" → [404, 410]; each an HTTP status from 400 to 599. */
export function parseStatusList(text: string): number[] {
  return text.split(',').map((part) => {
    const status = Number(part.trim());
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new LeakcheckError(ErrorCode.USAGE, `--accept-status: not an error status (400-599): "${part.trim()}"`);
    }
    return status;
  });
}

function checkErrorRate(rate: number): number {
  if (!(rate >= 0 && rate < 1)) throw new LeakcheckError(ErrorCode.USAGE, `--max-error-rate must be at least 0 and below 1, got ${rate}`);
  return rate;
}

function describeProgress(event: RunProgressEvent, style: ReturnType<typeof createStyle>): string {
  switch (event.kind) {
    case 'started': return style.dim(`leakcheck: started target (pid ${event.pid}), report in ${event.outDir}`);
    case 'ready': return style.dim(`leakcheck: target pid ${event.targetPid} ready${event.url ? ` at ${event.url}` : ''}${event.ignoredPids.length ? ` (ignoring wrapper pids ${event.ignoredPids.join(', ')})` : ''}`);
    case 'wrong-port': return style.yellow(`leakcheck: still waiting for ${new URL(event.url).host} (--url); the target listens on ${event.listening.map((l) => `${new URL(l.url).host} (pid ${l.pid})`).join(', ')}`);
    case 'phase-start': return style.dim(`leakcheck: phase ${event.phase}…`);
    case 'phase-progress': {
      const load = event.requests > 0 ? `, ${formatCount(event.requests)} requests, ${formatCount(event.requestsPerSecond)} req/s, ${formatCount(event.errors)} errors` : '';
      const heap = event.heapUsedBytes === undefined ? '' : `, heap ${formatBytes(event.heapUsedBytes)}`;
      return style.dim(`leakcheck: phase ${event.phase} ${formatDurationMs(event.elapsedMs)} (checkpoint pauses ${formatDurationMs(event.pauseMs)})${load}${heap}`);
    }
    case 'phase-end': {
      const p = event.phase;
      const pause = p.pauseMs ?? 0;
      // Load time and checkpoint pauses apart: req/s is over the load time alone.
      const split = ` (load ${formatDurationMs(p.endMs - p.startMs - pause)}, checkpoint pauses ${formatDurationMs(pause)})`;
      const http = p.http ? `, ${formatCount(p.http.requests)} requests, ${formatCount(p.http.requestsPerSecond)} req/s` : '';
      return style.dim(`leakcheck: phase ${p.name} done in ${formatDurationMs(p.endMs - p.startMs)}${split}${http}${p.incomplete ? ` — ${describeIncomplete(p.incomplete)}` : ''}`);
    }
    case 'analysis': return style.dim('leakcheck: comparing heap snapshots…');
  }
}
