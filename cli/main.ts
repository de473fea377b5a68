#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { ErrorCode, isLeakcheckError, RunNotMeasured } from '../src/index.js';
import { createStyle } from '../src/report/index.js';
import { buildCli } from './build-cli.js';
import { describeError, exitCodeForError, wantsJson } from './exit-codes.js';
import { watchStdout } from './output.js';

const args = hideBin(process.argv);
const fail = (error: unknown) => {
  const style = createStyle({ color: process.stderr.isTTY ? undefined : false });
  // A run that measured nothing still wrote its report (outcome not-measured): say where, before the error, which stays the last line.
  const reportJson = error instanceof RunNotMeasured ? error.report.files.reportJson : undefined;
  if (reportJson !== undefined && !wantsJson(args)) process.stderr.write(`${style.dim(`leakcheck: report in ${reportJson}`)}\n`);
  process.stderr.write(`${style.red('leakcheck:')} ${describeError(error, args.includes('--verbose'))}\n`);
  // A CI parser reading stdout of a --json run gets JSON whatever happened, unless stdout itself
  // failed: writing there again would fail again, and each failure would call this once more.
  if (wantsJson(args) && !(isLeakcheckError(error) && error.code === ErrorCode.OUTPUT_FAILED)) {
    const code = isLeakcheckError(error) ? error.code : 'ERR_INTERNAL';
    process.stdout.write(`${JSON.stringify({ error: { code, message: describeError(error, false) }, ...(reportJson === undefined ? {} : { reportJson }) })}\n`);
  }
  process.exitCode = exitCodeForError(error);
};
watchStdout(fail);
try {
  await buildCli(args).parseAsync();
} catch (error) {
  fail(error);
}
