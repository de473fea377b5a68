#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { createStyle } from '../src/report/index.js';
import { buildCli } from './build-cli.js';
import { describeError, exitCodeForError } from './exit-codes.js';
import { watchStdout } from './output.js';

const args = hideBin(process.argv);
const fail = (error: unknown) => {
  const style = createStyle({ color: process.stderr.isTTY ? undefined : false });
  process.stderr.write(`${style.red('leakcheck:')} ${describeError(error, args.includes('--verbose'))}\n`);
  process.exitCode = exitCodeForError(error);
};
watchStdout(fail);
try {
  await buildCli(args).parseAsync();
} catch (error) {
  fail(error);
}
