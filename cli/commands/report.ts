import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { ErrorCode, LeakcheckError } from '../../src/errors.js';
import { createStyle, parseRunReport, renderRunHtml, renderRunText, runReportToJson } from '../../src/report/index.js';
import { exitCodeForOutcome } from './run.js';

const builder = (yargs: Argv) => yargs
  .positional('report', { type: 'string', demandOption: true, describe: 'report.json written by leakcheck run, or its directory' })
  .options({
    html: { type: 'string', describe: 'Write the self-contained HTML report to this file' },
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
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new LeakcheckError(ErrorCode.FILE_UNREADABLE, `cannot read report: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { file });
    }
    const report = parseRunReport(text, file);
    if (args.html !== undefined) {
      try {
        await writeFile(args.html, renderRunHtml(report), { mode: 0o600 });
      } catch (error) {
        throw new LeakcheckError(ErrorCode.FILE_UNREADABLE, `cannot write HTML: ${(error as Error).message}`, { file: args.html });
      }
    }
    if (args.json) process.stdout.write(runReportToJson(report));
    else if (args.html === undefined) process.stdout.write(renderRunText(report, createStyle({ color: args['color'] as boolean | undefined })));
    else process.stdout.write(`${args.html}\n`);
    process.exitCode = exitCodeForOutcome(report.verdict.outcome);
  },
};
