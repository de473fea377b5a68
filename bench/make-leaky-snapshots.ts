// Writes three large snapshots (base, target, final) of ONE leaking Node process, for
// bench/diff.bench.ts. The process holds a realistic service state (sessions, closures over
// contexts, Maps/Sets, arrays, strings), then runs two rounds of "requests" that each leak an
// EventEmitter listener (capturing the request) and a Map entry, and churn garbage that is freed.
// Files are cached per size in the output dir.
//
//   node dist/bench/make-leaky-snapshots.js [sizeMiB] [--dir DIR]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serviceStateSource } from './make-big-snapshot.js';

export const DEFAULT_LEAKY_DIR = join(tmpdir(), 'leakcheck-bench-snapshots');

/** Service-state units per MiB of snapshot file on Node 20 (bench/make-big-snapshot.ts measured 740). */
const UNITS_PER_MIB = 740;
/** What an empty node process already puts in a snapshot. */
const BASELINE_MIB = 4;
/** Leaked requests per round: ~3 % of a 150 MiB snapshot per round. */
const LEAKS_PER_MIB = 30;

const program = `
import { EventEmitter } from 'node:events';
import { writeHeapSnapshot } from 'node:v8';
import { join } from 'node:path';
const [units, leaksPerRound, dir] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
${serviceStateSource}
class JobQueue extends EventEmitter {}
const queue = new JobQueue();
queue.setMaxListeners(0);
const requestLog = new Map();
let nextRequest = 0;
function handleRequest() {
  const request = { id: nextRequest++, headers: { 'x-request-id': 'r' + nextRequest }, body: 'b'.repeat(200) };
  queue.on('error', function onQueueError(err) { return request.id + String(err); });
  requestLog.set('req-' + request.id, { request, at: Date.now() });
  const scratch = [];
  for (let j = 0; j < 30; j++) scratch.push({ j, label: 'tmp' + j });
  return scratch.length;
}
function snapshot(name) {
  globalThis.gc();
  writeHeapSnapshot(join(dir, name + '.heapsnapshot.partial'));
}
for (let i = 0; i < 50; i++) handleRequest();
snapshot('base');
for (let i = 0; i < leaksPerRound; i++) handleRequest();
snapshot('target');
for (let i = 0; i < leaksPerRound; i++) handleRequest();
snapshot('final');
`;

export interface LeakySnapshots {
  readonly base: string;
  readonly target: string;
  readonly final: string;
  /** Listeners leaked per round (the expected growth is twice this). */
  readonly leaksPerRound: number;
}

/** Paths of three ~sizeMiB snapshots of one leaking process, written first if not cached. */
export function ensureLeakySnapshots(sizeMiB: number, dir = DEFAULT_LEAKY_DIR, log: (line: string) => void = () => {}): LeakySnapshots {
  const setDir = join(dir, `leaky-${sizeMiB}mib`);
  const leaksPerRound = Math.max(100, Math.round(sizeMiB * LEAKS_PER_MIB));
  const paths = { base: join(setDir, 'base.heapsnapshot'), target: join(setDir, 'target.heapsnapshot'), final: join(setDir, 'final.heapsnapshot'), leaksPerRound };
  if (existsSync(paths.base) && existsSync(paths.target) && existsSync(paths.final)) return paths;
  mkdirSync(setDir, { recursive: true });
  const script = join(setDir, 'make-snapshots.mjs');
  writeFileSync(script, program);
  // The two leaking rounds add ~6 % on top of the baseline state: size the state so the middle
  // (target) snapshot is about sizeMiB.
  const units = Math.max(1, Math.round((sizeMiB * 0.94 - BASELINE_MIB) * UNITS_PER_MIB));
  log(`writing three ~${sizeMiB} MiB snapshots of one leaking process to ${setDir} …`);
  const started = Date.now();
  // Writing a snapshot needs several times the heap it describes.
  const heapMiB = Math.max(4096, sizeMiB * 6);
  const result = spawnSync(process.execPath, ['--expose-gc', `--max-old-space-size=${heapMiB}`, script, String(units), String(leaksPerRound), setDir], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (result.status !== 0) {
    rmSync(setDir, { recursive: true, force: true });
    throw new Error(`snapshot writer failed (${result.signal ?? result.status})`);
  }
  for (const name of ['base', 'target', 'final']) renameSync(join(setDir, `${name}.heapsnapshot.partial`), join(setDir, `${name}.heapsnapshot`));
  const sizes = [paths.base, paths.target, paths.final].map((p) => (statSync(p).size / 2 ** 20).toFixed(0));
  log(`  ${sizes.join(' / ')} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return paths;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const dirAt = args.indexOf('--dir');
  const dir = dirAt >= 0 ? args.splice(dirAt, 2)[1]! : DEFAULT_LEAKY_DIR;
  const size = args.length > 0 ? Number(args[0]) : 150;
  const paths = ensureLeakySnapshots(size, dir, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`${paths.base}\n${paths.target}\n${paths.final}\n`);
}
