#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { ErrorCode, isLeakcheckError } from '../src/index.js';
import { createStyle } from '../src/report/index.js';
import { buildCli } from './build-cli.js';
import { describeError, exitCodeForError, wantsJson } from './exit-codes.js';
import { watchStdout } from './output.js';

const args = hideBin(process.argv);
const fail = (error: unknown) => {
  const style = createStyle({ color: process.stderr.isTTY ? undefined : false });
  process.stderr.write(`${style.red('leakcheck:')} ${describeError(error, args.includes('--verbose'))}\n`);
  // A CI parser reading stdout of a --json run gets JSON whatever happened, unless stdout itself is
  // what failed: writing there again would fail again and report itself without end.
  const stdoutBroken = isLeakcheckError(error) && error.code === ErrorCode.OUTPUT_FAILED && error.file === undefined;
  if (wantsJson(args) && !stdoutBroken) {
    const code = isLeakcheckError(error) ? error.code : 'ERR_INTERNAL';
    process.stdout.write(`${JSON.stringify({ error: { code, message: describeError(error, false) } })}\n`);
  }
  process.exitCode = exitCodeForError(error);
};
watchStdout(fail);
try {
  await buildCli(args).parseAsync();
} catch (error) {
  fail(error);
}
