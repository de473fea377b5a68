import type { Argv, CommandModule } from 'yargs';
import { defaultSnapshotName, snapshotLiveProcess } from '../../src/live/index.js';
import { renderLiveSnapshotText } from '../../src/report/index.js';
import { EXIT_CLEAN } from '../exit-codes.js';
import { createLiveLog, liveTargetFromArgs, liveTargetOptions, withPid } from '../live-options.js';

const builder = (yargs: Argv) => withPid(yargs)
  .options({
    out: { alias: 'o', type: 'string', describe: 'Output file (default heap-<pid>-<time>.heapsnapshot.gz; a name without .gz is written uncompressed)' },
    ...liveTargetOptions,
  })
  .example('$0 snapshot 4242', 'heap snapshot of pid 4242, gzip, mode 0600; its inspector is opened and closed again')
  .example('$0 snapshot 4242 --worker 1 -o worker.heapsnapshot.gz', 'the heap of its worker thread 1')
  .example('$0 snapshot --inspector 127.0.0.1:9230', 'through an inspector that is already reachable (e.g. a published container port)');

type SnapshotArgs = Awaited<ReturnType<ReturnType<typeof builder>['parseAsync']>>;

export const snapshotCommand: CommandModule<object, SnapshotArgs> = {
  command: 'snapshot [pid]',
  describe: 'Heap snapshot of a running Node process, by pid (SIGUSR1 opens its inspector) or inspector address',
  builder: builder as unknown as CommandModule<object, SnapshotArgs>['builder'],
  handler: async (args) => {
    const target = liveTargetFromArgs(args, process.env);
    const log = createLiveLog(!args.json);
    const controller = new AbortController();
    const onSignal = (): void => controller.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const result = await snapshotLiveProcess({
        ...target,
        path: args.out ?? defaultSnapshotName(args.pid),
        onEvent: log.onEvent,
        signal: controller.signal,
      });
      const where = result.threadId === 0 ? `pid ${result.pid}` : `pid ${result.pid} worker ${result.threadId}`;
      process.stdout.write(args.json ? `${JSON.stringify(result, null, 2)}\n` : renderLiveSnapshotText(result, where));
      process.exitCode = EXIT_CLEAN;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
