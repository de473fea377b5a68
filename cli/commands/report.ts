import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { readTextInput } from '../../src/input/index.js';
import { createStyle, parseRunReport, renderRunHtml, renderRunText, runReportToJson } from '../../src/report/index.js';
import { writeHtmlFile, writeStdout } from '../output.js';
import { lastText } from '../option-types.js';
import { exitCodeForOutcome } from './run.js';

/**
 * A saved report holds a run's summary, samples and findings: a long run's is a few MiB. The cap
 * keeps `report /dev/zero` (or a snapshot given by mistake) from reading without end.
 */
export const MAX_REPORT_BYTES = 64 * 1024 * 1024;

const builder = (yargs: Argv) => yargs
  .positional('report', { type: 'string', demandOption: true, describe: 'report.json written by leakcheck run, or its directory' })
  .options({
    html: { type: 'string', coerce: lastText('html'), describe: 'Write the self-contained HTML report to this file' },
    json: { type: 'boolean', default: false, describe: 'Print the report as JSON (normalised) instead of the summary' },
  })
  .example('$0 report reports/20261123T141500Z-a1b2c3/report.json', 'show the summary again')
  .example('$0 report report.json --html leak.html', 're-render the HTML page');

type ReportArgs = Awaited<ReturnType<ReturnType<typeof builder>['parseAsync']>>;

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <report>',
  describe: 'Re-render a saved run report (text, --json or --html); exits by its verdict',
  builder: builder as unknown as CommandModule<object, ReportArgs>['builder'],
  handler: async (args) => {
    // The run prints its directory; accept that as well as the file inside it.
    const file = (await stat(args.report).catch(() => undefined))?.isDirectory() ? join(args.report, 'report.json') : args.report;
    const text = await readTextInput(file, { what: 'the report', maxBytes: MAX_REPORT_BYTES });
    const report = parseRunReport(text, file);
    if (args.html !== undefined) await writeHtmlFile(args.html, renderRunHtml(report));
    if (args.json) await writeStdout(runReportToJson(report));
    else if (args.html === undefined) await writeStdout(renderRunText(report, createStyle({ color: args['color'] as boolean | undefined })));
    else await writeStdout(`${args.html}\n`);
    process.exitCode = exitCodeForOutcome(report.verdict.outcome);
  },
};
