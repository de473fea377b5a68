import { stat } from 'node:fs/promises';
import type { Argv, CommandModule } from 'yargs';
import { ErrorCode, LeakcheckError } from '../../src/errors.js';
import { inspectDigest, inspectSnapshot, isDigestFile } from '../../src/index.js';
import { createStyle, renderInspectText } from '../../src/report/index.js';
import { writeStdout } from '../output.js';
import { EXIT_CLEAN } from '../exit-codes.js';
import { lastText, lastWholeNumber } from '../option-types.js';
import { createProgressBar } from '../progress-bar.js';

/** Deeper trees multiply rows by --limit per level; past this, --node on one child reads better. */
export const MAX_DEPTH = 8;

/** Files smaller than this load in about a second: no progress bar. */
export const PROGRESS_BAR_MIN_BYTES = 50 * 1024 * 1024;

const builder = (yargs: Argv) => yargs
  .positional('file', { type: 'string', demandOption: true, describe: 'A V8 .heapsnapshot (Node or Chrome; gzip too) or a digest (leakcheck digest); - reads standard input' })
  .options({
    json: { type: 'boolean', default: false, describe: 'Print one JSON object instead of text' },
    top: { default: 20, coerce: lastWholeNumber('top'), describe: 'How many classes and dominators to list (a whole number)' },
    node: { type: 'string', coerce: lastText('node'), describe: 'Explain one node: its retainer path, sizes, dominated children and outgoing edges (V8 id, e.g. @12345)' },
    limit: { default: 20, coerce: lastWholeNumber('limit'), describe: 'With --node: children and edges listed per page (a whole number)' },
    offset: { default: 0, coerce: lastWholeNumber('offset'), describe: 'With --node: children and edges skipped, largest first (the next page: --offset 20)' },
    depth: { default: 1, coerce: lastWholeNumber('depth', MAX_DEPTH), describe: `With --node: levels of the dominator tree shown below it (1 to ${MAX_DEPTH})` },
  })
  .example('$0 inspect app.heapsnapshot', 'classes and dominators by retained size')
  .example('$0 inspect app.heapsnapshot --json --top 50', 'the same as one JSON object')
  .example('$0 inspect app.heapsnapshot --node @12345', 'why is this object alive, and what does it keep?')
  .example('$0 inspect app.heapsnapshot --node @12345 --depth 3 --offset 20', 'the next 20 children, three levels deep');

type InspectArgs = Awaited<ReturnType<ReturnType<typeof builder>['parseAsync']>>;

/** "@123" or "123" → 123; anything else is a usage error. */
export function parseNodeId(text: string): number {
  const match = /^@?(\d+)$/.exec(text.trim());
  const id = match ? Number(match[1]) : NaN;
  if (!Number.isSafeInteger(id) || id > 0xffffffff) throw new LeakcheckError(ErrorCode.USAGE, `--node wants a V8 object id like @12345, not "${text}"`);
  return id;
}

export const inspectCommand: CommandModule<object, InspectArgs> = {
  command: 'inspect <file>',
  describe: 'Summarise one heap snapshot or digest: classes and dominators by retained size, retainer paths',
  builder: builder as unknown as CommandModule<object, InspectArgs>['builder'],
  handler: async (args) => {
    const file = args.file;
    const nodeId = args.node === undefined ? undefined : parseNodeId(args.node);
    const size = await stat(file).then((info) => info.size, () => 0);
    const bar = createProgressBar(!args.json && size > PROGRESS_BAR_MIN_BYTES);
    let report;
    try {
      if (args.depth < 1) throw new LeakcheckError(ErrorCode.USAGE, `--depth wants a whole number from 1 to ${MAX_DEPTH}, not 0`);
      report = await isDigestFile(file)
        ? await inspectDigest(file, { top: args.top, nodeId })
        : await inspectSnapshot(file, { top: args.top, nodeId, page: { limit: args.limit, offset: args.offset, depth: args.depth }, onProgress: bar.onProgress });
    } finally {
      bar.stop();
    }
    if (args.json) await writeStdout(`${JSON.stringify(report, null, 2)}\n`);
    else await writeStdout(renderInspectText(report, createStyle({ color: args['color'] as boolean | undefined })));
    process.exitCode = EXIT_CLEAN;
  },
};
