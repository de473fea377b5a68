import { stat } from 'node:fs/promises';
import type { Argv, CommandModule } from 'yargs';
import { digestSnapshotFile } from '../../src/index.js';
import { renderDigestWritten } from '../../src/report/index.js';
import { writeStdout } from '../output.js';
import { EXIT_CLEAN } from '../exit-codes.js';
import { lastText } from '../option-types.js';
import { createProgressBar } from '../progress-bar.js';
import { PROGRESS_BAR_MIN_BYTES } from './inspect.js';

const builder = (yargs: Argv) => yargs
  .positional('snapshot', { type: 'string', demandOption: true, describe: 'A V8 .heapsnapshot (gzip too); - reads standard input' })
  .options({
    out: { alias: 'o', type: 'string', coerce: lastText('out'), describe: 'Where to write the digest (default: <snapshot>.digest.json.gz next to it)' },
    json: { type: 'boolean', default: false, describe: 'Print what was written as one JSON object' },
  })
  .example('$0 digest prod.heapsnapshot.gz -o prod.digest.json.gz', 'kilobytes to ship off the box instead of the snapshot')
  .example('$0 diff --cross-process before.digest.json.gz after.digest.json.gz', 'compare two digests of different processes');

type DigestArgs = Awaited<ReturnType<ReturnType<typeof builder>['parseAsync']>>;

/** `app.heapsnapshot.gz` → `app.digest.json.gz`; standard input → `stdin.digest.json.gz` in the working directory. */
export function defaultDigestPath(snapshot: string): string {
  if (snapshot === '-') return 'stdin.digest.json.gz';
  return `${snapshot.replace(/\.gz$/, '').replace(/\.heapsnapshot$/, '')}.digest.json.gz`;
}

export const digestCommand: CommandModule<object, DigestArgs> = {
  command: 'digest <snapshot>',
  describe: 'Write a digest of a snapshot (classes, collections, listeners, closures, dominators): ~1 % of its size, for diff --cross-process and inspect',
  builder: builder as unknown as CommandModule<object, DigestArgs>['builder'],
  handler: async (args) => {
    const size = await stat(args.snapshot).then((info) => info.size, () => 0);
    const bar = createProgressBar(!args.json && size > PROGRESS_BAR_MIN_BYTES);
    let written;
    try {
      written = await digestSnapshotFile(args.snapshot, args.out ?? defaultDigestPath(args.snapshot), { onProgress: bar.onProgress });
    } finally {
      bar.stop();
    }
    await writeStdout(args.json ? `${JSON.stringify(written, null, 2)}\n` : renderDigestWritten(written));
    process.exitCode = EXIT_CLEAN;
  },
};
