/**
 * `npm run bench:digest`: `leakcheck digest` on the bench's big snapshot (make-big-snapshot.ts):
 * wall and CPU time, peak RSS, and the digest's size against the snapshot's (plain and gzipped at
 * level 1, as `leakcheck snapshot` writes it). One fresh CLI process under /usr/bin/time ("%e %M %U %S"):
 * the kernel's peak RSS, exact.
 * Env knobs: BENCH_SIZE_MIB (100), BENCH_SNAPSHOT_DIR. Results land in bench/results/digest.json.
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { constants, createGzip } from 'node:zlib';
import { DEFAULT_SNAPSHOT_DIR, ensureBigSnapshot } from './make-big-snapshot.js';
import { formatMiB, formatSeconds, writeResults } from './table.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const cliPath = join(repoRoot, 'dist', 'cli', 'main.js');
const SIZE_MIB = Number(process.env['BENCH_SIZE_MIB'] ?? 100);

interface Timed {
  readonly ms: number;
  readonly cpuMs: number;
  readonly maxRssBytes: number;
  readonly status: number | null;
}

function timed(args: string[]): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%e %M %U %S', process.execPath, cliPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => { stderr += text; });
    child.on('error', reject);
    child.on('close', (status) => {
      const last = stderr.trim().split('\n').pop() ?? '';
      const [wall, rssKiB, user, sys] = last.split(' ').map(Number);
      if (![wall, rssKiB, user, sys].every((n) => Number.isFinite(n))) return reject(new Error(`no timing from /usr/bin/time: ${stderr.slice(-500)}`));
      resolve({ ms: wall! * 1000, cpuMs: (user! + sys!) * 1000, maxRssBytes: rssKiB! * 1024, status });
    });
  });
}

const snapshot = ensureBigSnapshot(SIZE_MIB, process.env['BENCH_SNAPSHOT_DIR'] ?? DEFAULT_SNAPSHOT_DIR, (line) => process.stderr.write(`${line}\n`));
const work = mkdtempSync(join(tmpdir(), 'leakcheck-bench-digest-'));
try {
  const gz = join(work, 'snapshot.heapsnapshot.gz');
  await pipeline(createReadStream(snapshot), createGzip({ level: constants.Z_BEST_SPEED }), createWriteStream(gz));
  const digestPath = join(work, 'big.digest.json.gz');
  const digest = await timed(['digest', snapshot, '-o', digestPath]);
  if (digest.status !== 0) throw new Error(`digest exited ${digest.status}`);
  const snapshotBytes = statSync(snapshot).size;
  const gzBytes = statSync(gz).size;
  const digestBytes = statSync(digestPath).size;
  const results = {
    snapshot, snapshotBytes, gzBytes, digestBytes,
    shareOfSnapshot: digestBytes / snapshotBytes, shareOfGz: digestBytes / gzBytes,
    digest: { ms: digest.ms, cpuMs: digest.cpuMs, maxRssBytes: digest.maxRssBytes },
  };
  const resultsFile = writeResults('digest', results);
  process.stdout.write(
    `snapshot ${formatMiB(snapshotBytes)} (gzip -1: ${formatMiB(gzBytes)}) → digest ${(digestBytes / 1024).toFixed(1)} KiB `
    + `= ${(results.shareOfSnapshot * 100).toFixed(3)} % of the snapshot, ${(results.shareOfGz * 100).toFixed(2)} % of its .gz\n`
    + `leakcheck digest: wall ${formatSeconds(digest.ms)}, CPU ${formatSeconds(digest.cpuMs)}, peak RSS ${formatMiB(digest.maxRssBytes)}\n`
    + `results: ${resultsFile}\n`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
