import type { Argv, CommandModule } from 'yargs';
import { ErrorCode, LeakcheckError } from '../../src/errors.js';
import { formatProgress, formatSummary, loadOptions, makePlan, PlanError, runLoad, type LoadArgs } from '../../src/loadgen/index.js';

/** The yargs option table is generated from the load generator's own, so both entry points agree. */
const builder = (yargs: Argv) =>
  yargs
    .options(
      Object.fromEntries(
        Object.entries(loadOptions).map(([name, option]) => [name, { type: option.type, default: option.default, describe: option.describe }]),
      ),
    )
    .option('json', { type: 'boolean', default: false, describe: 'Print only the final summary, as JSON' })
    .example('$0 load --target http://127.0.0.1:8080 --connections 10000 --rate 10000', '10k streams, 10k messages/s to random ids')
    .example('$0 load --connections 40000 --linger-ms 10000 --small-pulses 5 --small-size 500', 'a big pulse, then small ones')
    .example('$0 load --target http://127.0.0.1:8081,http://127.0.0.1:8082 --connections 40000 --processes 4', 'spread over two nodes');

type LoadCommandArgs = Record<string, unknown> & { json: boolean };

export const loadCommand: CommandModule<object, LoadCommandArgs> = {
  command: 'load',
  describe: 'Hold SSE connections against a push server (pulses, floods) and print connected/closed/received and delivery latency',
  builder: builder as unknown as CommandModule<object, LoadCommandArgs>['builder'],
  handler: async (args) => {
    const input: LoadArgs = {};
    for (const name of Object.keys(loadOptions)) input[name] = args[name] as string | number | undefined;
    let plan;
    try {
      plan = makePlan(input);
    } catch (error) {
      if (error instanceof PlanError) throw new LeakcheckError(ErrorCode.USAGE, error.message);
      throw error;
    }
    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once('SIGINT', onSignal);
    try {
      const summary = await runLoad(plan, args.json ? undefined : (progress) => process.stdout.write(`${formatProgress(progress)}\n`), abort.signal);
      process.stdout.write(args.json ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary)}\n`);
      // A load of which no connection got through measured nothing: the summary says why, and the
      // exit status says it is an error, not a result.
      if (summary.totals.connected === 0 && summary.totals.failed > 0) {
        const why = Object.entries(summary.errors).map(([code, count]) => `${code} ×${count}`).join(', ');
        process.stderr.write(`leakcheck: no connection got through to ${plan.targets.map((t) => `${t.host}:${t.port}`).join(', ')} (${summary.totals.failed} failed${why ? `: ${why}` : ''})\n`);
        process.exitCode = 2;
      }
    } finally {
      process.off('SIGINT', onSignal);
    }
  },
};
