// Writes large, realistic heap snapshots for the benches: a child node allocates a mix of class
// instances, closures over contexts, Maps/Sets, arrays and strings (the shapes services leak),
// then calls v8.writeHeapSnapshot. Files are cached by size in the output dir.
//
//   node dist/bench/make-big-snapshot.js [sizeMiB ...] [--dir DIR]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_SNAPSHOT_DIR = join(tmpdir(), 'leakcheck-bench-snapshots');

/** Allocation units per MiB of snapshot file, measured on Node 20 (see calibrate below). */
const UNITS_PER_MIB = 740;
/** What an empty node process already puts in a snapshot. */
const BASELINE_MIB = 4;

/**
 * JS source (for a child program with `units` in scope) that builds a realistic service state on
 * globalThis.store: class instances, closures over contexts, Maps/Sets, arrays and strings — the
 * shapes services leak. Shared with bench/make-leaky-snapshots.ts so both benches parse alike.
 */
export const serviceStateSource = `
class Session {
  constructor(i) {
    this.id = i;
    this.user = { name: 'user' + i, roles: ['r' + (i % 7), 'reader'] };
    this.createdAt = 1700000000000 + i;
    this.meta = { ip: '10.0.' + (i % 255) + '.' + (i % 13), tags: new Set(['t' + (i % 50)]) };
  }
}
const store = { sessions: new Map(), handlers: [], lists: [], texts: [], maps: [], listeners: {} };
for (let i = 0; i < units; i++) {
  const session = new Session(i);
  store.sessions.set('k' + i, session);
  store.handlers.push(function onEvent(event) { return session.id + i + event; });
  if (i % 4 === 0) store.lists.push([i, i + 1, { x: i }, 'item ' + i]);
  if (i % 3 === 0) store.texts.push('payload-' + i + '-' + 'x'.repeat(i % 40) + (i % 9 === 0 ? ' é日本' : ''));
  if (i % 10 === 0) store.maps.push(new Map([[i, { value: i }], ['w' + i, [i]]]));
  if (i % 25 === 0) (store.listeners['evt' + (i % 100)] ??= []).push(() => session);
}
globalThis.store = store;
`;

const program = `
import { writeHeapSnapshot } from 'node:v8';
const units = Number(process.argv[2]);
${serviceStateSource}writeHeapSnapshot(process.argv[3]);
`;

/** Path of a snapshot of about `sizeMiB` MiB in `dir`, written first if it is not there yet. */
export function ensureBigSnapshot(sizeMiB: number, dir = DEFAULT_SNAPSHOT_DIR, log: (line: string) => void = () => {}): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `bench-${sizeMiB}mib.heapsnapshot`);
  if (existsSync(path)) return path;
  const script = join(dir, 'make-snapshot.mjs');
  writeFileSync(script, program);
  const units = Math.max(1, Math.round((sizeMiB - BASELINE_MIB) * UNITS_PER_MIB));
  const partial = `${path}.partial`;
  log(`writing a ~${sizeMiB} MiB snapshot (${units} units) to ${path} …`);
  const started = Date.now();
  // Writing the snapshot needs several times the heap it describes.
  const heapMiB = Math.max(4096, sizeMiB * 6);
  const result = spawnSync(process.execPath, [`--max-old-space-size=${heapMiB}`, script, String(units), partial], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error(`snapshot writer failed (${result.signal ?? result.status})`);
  renameSync(partial, path);
  log(`  ${(statSync(path).size / 2 ** 20).toFixed(0)} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return path;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const dirAt = args.indexOf('--dir');
  const dir = dirAt >= 0 ? args.splice(dirAt, 2)[1]! : DEFAULT_SNAPSHOT_DIR;
  const sizes = args.length > 0 ? args.map(Number) : [20, 150, 500];
  for (const size of sizes) process.stdout.write(`${ensureBigSnapshot(size, dir, (line) => process.stderr.write(`${line}\n`))}\n`);
}
