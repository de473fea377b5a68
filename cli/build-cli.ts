import yargs, { type Argv, type CommandModule } from 'yargs';
import { ErrorCode, LeakcheckError } from '../src/errors.js';
import { toolVersion } from '../src/index.js';
import { diffCommand } from './commands/diff.js';
import { digestCommand } from './commands/digest.js';
import { inspectCommand } from './commands/inspect.js';
import { loadCommand } from './commands/load.js';
import { reportCommand } from './commands/report.js';
import { runCommand } from './commands/run.js';
import { snapshotCommand } from './commands/snapshot.js';
import { watchCommand } from './commands/watch.js';

/**
 * Builds the yargs parser without side effects: nothing is parsed until the caller asks, so tests
 * can build one per case. Commands are listed explicitly (no directory scanning).
 */
// Each command module types its own arguments; the list only needs them to be commands.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const commands: CommandModule<any, any>[] = [
  runCommand, reportCommand, inspectCommand, diffCommand, digestCommand, loadCommand, snapshotCommand, watchCommand,
];

export function buildCli(argv: string[]): Argv {
  const command = argv.find((arg) => !arg.startsWith('-'));
  // `run` keeps what follows `--` as the target's command line; other commands read paths there.
  const isRun = command === 'run';
  return yargs(isRun ? argv : pathArguments(argv))
    .scriptName('leakcheck')
    .usage('$0 <command> [options]')
    .parserConfiguration({ 'populate--': isRun })
    .option('color', { type: 'boolean', describe: 'Force colours on or off (default: follow the terminal and NO_COLOR)' })
    .option('verbose', { type: 'boolean', default: false, describe: 'Print stack traces for unexpected errors' })
    .command(commands)
    .demandCommand(1, 'Name a command: leakcheck <command> --help')
    .strict()
    .strictCommands()
    .strictOptions()
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .version(toolVersion())
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((message: string, error: Error | undefined) => {
      if (error) throw error;
      // yargs writes some messages over several lines ("Invalid values:\n  Argument: …"): one line.
      throw new LeakcheckError(ErrorCode.USAGE, message.replace(/\s*\n\s*/g, ' '));
    });
}

/** What `-` stands for: standard input, opened by path so it works in the diff's loader thread too. */
export const STDIN_PATH = '/dev/stdin';

/**
 * Argument rewriting yargs cannot do for inspect, diff and report: a bare `-` means standard
 * input (yargs would pass it on as ''), and after `--` every argument is a path even when it
 * starts with a dash (yargs would drop them: `inspect -- -snap.heapsnapshot`); such a path gets
 * "./" in front, which names the same file. A file called "-" is `./-`.
 */
export function pathArguments(argv: readonly string[]): string[] {
  const end = argv.indexOf('--');
  const options = end < 0 ? argv : argv.slice(0, end);
  const paths = end < 0 ? [] : argv.slice(end + 1);
  return [
    ...options.map((arg) => (arg === '-' ? STDIN_PATH : arg)),
    ...paths.map((arg) => (arg === '-' ? STDIN_PATH : arg.startsWith('-') ? `./${arg}` : arg)),
  ];
}
