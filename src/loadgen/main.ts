/**
 * Standalone entry of the load generator (`node dist/src/loadgen/main.js`, the same as
 * `leakcheck load`): flags → LoadPlan → runLoad, printing a progress line per interval and a
 * summary. Exit 0 when it ran, 2 on bad flags. The only file of src/loadgen that prints or exits.
 */
import { loadOptions, makePlan, PlanError, type LoadArgs } from './plan.js';
import { formatProgress, formatSummary, runLoad } from './run.js';

function parseArgs(argv: string[]): LoadArgs {
  const args: LoadArgs = {};
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k];
    if (!arg.startsWith('--')) throw new PlanError(`unexpected argument ${JSON.stringify(arg)}`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (loadOptions[name] === undefined) throw new PlanError(`unknown flag --${name} (try --help)`);
    const value = eq === -1 ? argv[++k] : arg.slice(eq + 1);
    if (value === undefined) throw new PlanError(`--${name} needs a value`);
    args[name] = value; // makePlan converts and checks numbers, quoting what was given
  }
  return args;
}

const argv = process.argv.slice(2);
if (argv.includes('--help')) {
  const rows = Object.entries(loadOptions).map(([name, o]) => `  --${name.padEnd(18)} ${o.describe}${o.default === undefined ? '' : ` (default ${o.default})`}`);
  process.stdout.write(`usage: node dist/src/loadgen/main.js [flags]\n${rows.join('\n')}\n`);
  process.exit(0);
}
let plan;
try {
  plan = makePlan(parseArgs(argv));
} catch (error) {
  if (!(error instanceof PlanError)) throw error;
  process.stderr.write(`leakcheck load: ${error.message}\n`);
  process.exit(2);
}
const abort = new AbortController();
process.once('SIGINT', () => abort.abort());
process.once('SIGTERM', () => abort.abort());
const summary = await runLoad(plan, (progress) => process.stdout.write(`${formatProgress(progress)}\n`), abort.signal);
process.stdout.write(`${formatSummary(summary)}\n`);
