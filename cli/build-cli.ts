import yargs, { type Argv, type CommandModule } from 'yargs';
import { ErrorCode, LeakcheckError } from '../src/errors.js';
import { diffCommand } from './commands/diff.js';
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
  runCommand, reportCommand, inspectCommand, diffCommand, loadCommand, snapshotCommand, watchCommand,
];

export function buildCli(argv: string[]): Argv {
  return yargs(argv)
    .scriptName('leakcheck')
    .usage('$0 <command> [options]')
    .parserConfiguration({ 'populate--': true })
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
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((message: string, error: Error | undefined) => {
      if (error) throw error;
      throw new LeakcheckError(ErrorCode.USAGE, message);
    });
}
