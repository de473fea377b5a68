// leakcheck's snapshot engine vs @memlab/core and heap-snapshot-toolkit (DevTools' own loader),
// in one run, on the same generated snapshots. Every measurement runs in a fresh child process;
// its peak RSS is the child's own resourceUsage().maxRSS.
//
//   npm run bench:parse                              # ~20, 150 and 500 MiB snapshots
//   node dist/bench/parse.bench.js --sizes 1300      # one size (generated and cached)
//   node dist/bench/parse.bench.js --file x.heapsnapshot --runs 3 --only leakcheck
//
// Modes: "load" = bytes → in-memory graph (typed arrays + strings); "full" = load plus what a
// leak analysis needs: dominators, retained sizes and distances (leakcheck: loadSnapshot;
// memlab: getSnapshotFromFile + TraceFinder.annotateShortestPaths + calculateAllNodesRetainedSizes,
// as its HeapAnalyzer.preparePathFinder does; heap-snapshot-toolkit: parse(), i.e. DevTools'
// HeapSnapshotLoader + JSHeapSnapshot initialisation).
import { spawn } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseSnapshot, loadSnapshot } from '../src/snapshot/index.js';
import { DEFAULT_SNAPSHOT_DIR, ensureBigSnapshot } from './make-big-snapshot.js';
import { MIB, formatMiB, formatRatio, formatSeconds, median, peersDir, renderTable, replaceMarkedBlock, writeResults, type Column } from './table.js';

const CONTENDERS = ['leakcheck', 'heap-snapshot-toolkit', 'memlab'] as const;
const MODES = ['load', 'full'] as const;
type Contender = (typeof CONTENDERS)[number];
type Mode = (typeof MODES)[number];
const RESULT_MARK = '@@bench-result ';
const CHILD_TIMEOUT_MS = 30 * 60_000;

interface ChildResult {
  ms: number;
  /** User + system CPU time of the child over the same span: steadier than wall time on a busy machine. */
  cpuMs: number;
  maxRssBytes: number;
  nodeCount: number;
}

let cpuAtStart = process.cpuUsage();

/* eslint-disable @typescript-eslint/no-explicit-any -- the peers are loaded by path, untyped */
async function measure(contender: Contender, mode: Mode, file: string): Promise<ChildResult> {
  if (contender === 'leakcheck') {
    const started = startClock();
    const nodeCount = mode === 'load' ? (await parseSnapshot(file)).nodeCount : (await loadSnapshot(file)).graph.nodeCount;
    return done(started, nodeCount);
  }
  if (contender === 'heap-snapshot-toolkit') {
    const toolkit: any = await import(pathToFileURL(join(peersDir, 'heap-snapshot-toolkit', 'index.js')).href);
    const started = startClock();
    if (mode === 'full') {
      const snapshot = await toolkit.parse(createReadStream(file, 'utf-8'));
      return done(started, snapshot.nodeCount);
    }
    const loader = new toolkit.DevToolsAPI.HeapSnapshotLoader.HeapSnapshotLoader();
    for await (const chunk of createReadStream(file, 'utf-8')) loader.write(chunk);
    loader.close();
    await loader.parsingComplete;
    return done(started, -1); // the loader keeps its arrays private: no count to report
  }
  const memlab: any = createRequire(join(peersDir, 'noop.js'))('@memlab/core');
  memlab.config.muteConsole = true;
  const started = startClock();
  const snapshot = await memlab.utils.getSnapshotFromFile(file, {});
  if (mode === 'full') {
    const finder = new memlab.TraceFinder();
    finder.annotateShortestPaths(snapshot);
    finder.calculateAllNodesRetainedSizes(snapshot);
  }
  return done(started, snapshot.nodes.length);
}
/* eslint-enable @typescript-eslint/no-explicit-any */

function done(started: number, nodeCount: number): ChildResult {
  const cpu = process.cpuUsage(cpuAtStart);
  return { ms: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000, maxRssBytes: process.resourceUsage().maxRSS * 1024, nodeCount };
}

/** performance.now(), after resetting the CPU clock too. */
function startClock(): number {
  cpuAtStart = process.cpuUsage();
  return performance.now();
}

interface Measurement {
  ms?: number;
  cpuMs?: number;
  maxRssBytes?: number;
  nodeCount?: number;
  error?: string;
}

function runChild(contender: Contender, mode: Mode, file: string): Promise<Measurement> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--max-old-space-size=16384', fileURLToPath(import.meta.url), '--child', contender, mode, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => { stdout += text; });
    child.stderr.setEncoding('utf8').on('data', (text: string) => { stderr = (stderr + text).slice(-4000); });
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARK));
      if (code === 0 && line) return resolve(JSON.parse(line.slice(RESULT_MARK.length)) as ChildResult);
      const last = stderr.trim().split('\n').filter(Boolean).at(-1) ?? '';
      resolve({ error: `${signal ?? `exit ${code}`}${last ? `: ${last.slice(0, 200)}` : ''}` });
    });
  });
}

interface Row {
  file: string;
  fileBytes: number;
  contender: Contender;
  load: Measurement;
  full: Measurement;
}

const mibPerSecond = (bytes: number, ms: number | undefined) => (ms === undefined ? '-' : `${(bytes / MIB / (ms / 1000)).toFixed(0)}`);

function table(rows: Row[]): string {
  const baseline = (row: Row, mode: Mode) => rows.find((r) => r.file === row.file && r.contender === 'memlab')?.[mode].ms;
  const columns: Column<Row>[] = [
    { title: 'file', cell: (r) => `${basename(r.file)} (${formatMiB(r.fileBytes)})`, left: true },
    { title: 'contender', cell: (r) => r.contender, left: true },
    { title: 'nodes', cell: (r) => (r.full.nodeCount ?? -1) >= 0 ? r.full.nodeCount!.toLocaleString('en-US') : '-' },
    { title: 'load', cell: (r) => formatSeconds(r.load.ms) },
    { title: 'MiB/s', cell: (r) => mibPerSecond(r.fileBytes, r.load.ms) },
    { title: 'load CPU', cell: (r) => formatSeconds(r.load.cpuMs) },
    { title: 'load RSS', cell: (r) => formatMiB(r.load.maxRssBytes) },
    { title: 'full', cell: (r) => formatSeconds(r.full.ms) },
    { title: 'MiB/s', cell: (r) => mibPerSecond(r.fileBytes, r.full.ms) },
    { title: 'full CPU', cell: (r) => formatSeconds(r.full.cpuMs) },
    { title: 'peak RSS', cell: (r) => formatMiB(r.full.maxRssBytes) },
    { title: 'RSS/file', cell: (r) => formatRatio(r.full.maxRssBytes, r.fileBytes) },
    { title: 'vs memlab load', cell: (r) => formatRatio(baseline(r, 'load'), r.load.ms) },
    { title: 'vs memlab full', cell: (r) => formatRatio(baseline(r, 'full'), r.full.ms) },
  ];
  return renderTable(columns, rows);
}

/** Replaces the bench block of docs/inspect.md (between its markers) with the table. */
function updateNotes(text: string, when: string): void {
  const notes = fileURLToPath(new URL('../../docs/inspect.md', import.meta.url));
  replaceMarkedBlock(notes, 'parse', `Latest \`npm run bench:parse\` (${when}, Node ${process.version}, ${process.platform}):\n\n\`\`\`\n${text}\n\`\`\`\n`);
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--child') {
    const result = await measure(argv[1] as Contender, argv[2] as Mode, argv[3]!);
    process.stdout.write(`\n${RESULT_MARK}${JSON.stringify(result)}\n`);
    process.exit(0); // peers may leave handles open
  }
  const option = (name: string) => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const runs = Number(option('--runs') ?? 1);
  const only = option('--only')?.split(',') as Contender[] | undefined;
  const contenders = CONTENDERS.filter((c) => !only || only.includes(c));
  const files = option('--file')
    ? [option('--file')!]
    : (option('--sizes') ?? '20,150,500').split(',').map((size) => ensureBigSnapshot(Number(size), option('--dir') ?? DEFAULT_SNAPSHOT_DIR, (l) => process.stderr.write(`${l}\n`)));
  const rows: Row[] = [];
  for (const file of files) {
    const fileBytes = statSync(file).size;
    for (const contender of contenders) {
      const row: Row = { file, fileBytes, contender, load: {}, full: {} };
      for (const mode of MODES) {
        const results: Measurement[] = [];
        for (let run = 0; run < runs; run++) {
          process.stderr.write(`${basename(file)} ${contender} ${mode} run ${run + 1}/${runs} … `);
          const result = await runChild(contender, mode, file);
          process.stderr.write(result.error ? `errored (${result.error})\n` : `${formatSeconds(result.ms)}, ${formatMiB(result.maxRssBytes)}\n`);
          results.push(result);
          if (result.error) break;
        }
        const ok = results.filter((r) => r.error === undefined);
        row[mode] = ok.length === results.length
          ? {
            ms: median(ok.map((r) => r.ms!)),
            cpuMs: median(ok.map((r) => r.cpuMs!)),
            maxRssBytes: Math.max(...ok.map((r) => r.maxRssBytes!)),
            nodeCount: ok[0]!.nodeCount,
          }
          : { error: results.find((r) => r.error)!.error };
      }
      rows.push(row);
    }
  }
  const text = table(rows);
  process.stdout.write(`${text}\n`);
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const path = writeResults('parse', { when, node: process.version, runs, rows });
  process.stdout.write(`\nresults: ${path}\n`);
  if (!option('--file') && !only) updateNotes(text, `${when} UTC, median of ${runs} run${runs === 1 ? '' : 's'}`);
}

await main(process.argv.slice(2));
