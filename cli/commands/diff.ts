import { stat } from 'node:fs/promises';
import type { Argv, CommandModule } from 'yargs';
import { analyzeSnapshots, DETECTOR_IDS, renderFindingsText, toolVersion, type AnalysisResult, type DetectorId } from '../../src/index.js';
import { ErrorCode, LeakcheckError } from '../../src/errors.js';
import { createStyle, diffSuite, renderDiffHtml } from '../../src/report/index.js';
import { DEFAULT_CONFIG_FILE, loadAnalysisConfig, parseFailOn } from '../config-file.js';
import { writeHtmlFile, writeStdout } from '../output.js';
import { EXIT_CLEAN, EXIT_LEAK } from '../exit-codes.js';
import { allTexts, lastText, listOf } from '../option-types.js';
import { createProgressBar } from '../progress-bar.js';
import { emitReporters, parseReporters, reporterOption, reportFailure } from '../reporters.js';

/** Snapshots this big take seconds to load: show a progress bar (text mode, TTY only). */
const PROGRESS_BAR_MIN_BYTES = 50 * 1024 * 1024;

const builder = (yargs: Argv) => yargs
  .usage('$0 diff <base> <target> [final]')
  .positional('base', { type: 'string', demandOption: true, describe: 'Snapshot (or digest) taken first (after warm-up); - reads standard input' })
  .positional('target', { type: 'string', demandOption: true, describe: 'Snapshot taken after a round of work' })
  .positional('final', { type: 'string', describe: 'Snapshot taken after another round (enables the three-snapshot method)' })
  .options({
    json: { type: 'boolean', default: false, describe: 'Print one versioned JSON object (schemaVersion 2) instead of text' },
    reporter: reporterOption,
    html: { type: 'string', coerce: lastText('html'), describe: 'Also write the findings and a per-snapshot class chart as one self-contained HTML page' },
    'fail-on': {
      type: 'string', coerce: allTexts('fail-on'),
      describe: 'Gate thresholds, e.g. bytes=1MiB,count=200 (default from config, else bytes=1MiB,count=200); repeatable, later keys win',
    },
    config: { type: 'string', coerce: lastText('config'), describe: `Config file (default: ./${DEFAULT_CONFIG_FILE} when present)` },
    'cross-process': {
      type: 'boolean', default: false,
      describe: 'The inputs come from different processes (before/after a deploy, two pods): match groups by holder path, location and class, not by object id (implied by digests)',
    },
    detector: {
      type: 'string', array: true, coerce: listOf('detector', DETECTOR_IDS),
      describe: `Run only this detector (repeatable, or comma-separated): ${DETECTOR_IDS.join(', ')}`,
    },
  })
  .example('$0 diff base.heapsnapshot target.heapsnapshot final.heapsnapshot', 'find leaks with the baseline/target/final method')
  .example('$0 diff base t f --html diff.html', 'the same findings as a page with a class chart')
  .example('$0 diff a.heapsnapshot b.heapsnapshot --json', 'class growth and new objects between two snapshots, as JSON')
  .example('$0 diff --cross-process before-deploy.heapsnapshot after-deploy.heapsnapshot', 'compare snapshots of two different processes')
  .example('$0 diff pod-a.digest.json.gz pod-b.digest.json.gz', 'digests are always compared across processes')
  .example('$0 diff base t f --fail-on bytes=5MiB,count=1000', 'fail only on bigger growth');

type DiffArgs = Awaited<ReturnType<ReturnType<typeof builder>['parseAsync']>>;

/** The CI contract for diff: 1 when a finding crossed the thresholds, else 0 (errors are 2, elsewhere). */
export function exitCodeForAnalysis(result: Pick<AnalysisResult, 'verdict'>): number {
  return result.verdict.leak ? EXIT_LEAK : EXIT_CLEAN;
}

export const diffCommand: CommandModule<object, DiffArgs> = {
  // [more..] only catches a fourth snapshot, to name the problem (yargs would say "Unknown argument").
  command: 'diff <base> <target> [final] [more..]',
  describe: 'Compare 2 or 3 snapshots (or digests) of one process, or of different ones with --cross-process: growing listeners, closures, collections, handles, classes',
  builder: builder as unknown as CommandModule<object, DiffArgs>['builder'],
  handler: async (args) => {
    const paths = [args.base, args.target, ...(args.final === undefined ? [] : [args.final])];
    const more = (args as { more?: unknown[] }).more ?? [];
    if (more.length > 0) {
      throw new LeakcheckError(ErrorCode.USAGE, `diff takes 2 or 3 snapshots (base target [final]), not ${paths.length + more.length}`);
    }
    const reporters = parseReporters(args.reporter, process.env);
    const config = await loadAnalysisConfig(args.config ?? DEFAULT_CONFIG_FILE, args.config !== undefined, DETECTOR_IDS);
    const thresholds = { ...config.thresholds, ...Object.assign({}, ...(args['fail-on'] ?? []).map((spec) => parseFailOn(spec))) };
    const sizes = await Promise.all(paths.map((path) => stat(path).then((info) => info.size, () => 0)));
    const bar = createProgressBar(!args.json && Math.max(...sizes) > PROGRESS_BAR_MIN_BYTES);
    let result: AnalysisResult;
    try {
      result = await analyzeSnapshots(paths, {
        thresholds,
        ...(config.detectorThresholds ? { detectorThresholds: config.detectorThresholds } : {}),
        // yargs' `choices` has checked every --detector value against DETECTOR_IDS.
        ...(args.detector ?? config.detectors ? { detectors: (args.detector as DetectorId[] | undefined) ?? config.detectors } : {}),
        onProgress: bar.onProgress,
        crossProcess: args['cross-process'],
      });
    } catch (error) {
      bar.stop();
      await reportFailure(reporters, 'diff', paths, error, { env: process.env, json: args.json });
      throw error;
    } finally {
      bar.stop();
    }
    if (args.html !== undefined) await writeHtmlFile(args.html, renderDiffHtml(result, { cwd: process.cwd(), toolVersion: toolVersion() }));
    if (args.json) await writeStdout(`${JSON.stringify(result, null, 2)}\n`);
    else await writeStdout(renderFindingsText(result, createStyle({ color: args['color'] as boolean | undefined }), { cwd: process.cwd() }));
    process.exitCode = await emitReporters(reporters, (options) => diffSuite(result, options), process.cwd(), exitCodeForAnalysis(result), { env: process.env, json: args.json });
  },
};
