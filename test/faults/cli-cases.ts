import { spawn } from 'node:child_process';
import { copyFileSync, createReadStream, createWriteStream, mkdirSync, openSync, closeSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { cliPath, fixturesDir } from '../helpers/paths.js';
import { SnapshotBuilder } from '../helpers/snapshot-builder.js';
import { permutedSnapshot } from './damage.js';

/**
 * CLI misuse and hostile-input cases for `inspect`, `diff` and `report` (issue 14, items 13-23),
 * each run as a real `leakcheck` process and classified: a clean error is the expected exit
 * status with one line on stderr and no stack trace; anything else is a crash, a wrong outcome,
 * or a hang (no exit within the case's time limit, then the process is killed by its pid).
 */
export interface CliCase {
  readonly name: string;
  readonly args: readonly string[];
  readonly status: number;
  /** What stderr (errors) or stdout (success) must match. */
  readonly stderr?: RegExp;
  readonly stdout?: RegExp;
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Stdin: a file streamed in, or bytes. node:child_process hands a child a socketpair; with
   * `pipedBy: 'shell'` the file comes through `cat file |` in sh instead, a real pipe (FIFO).
   */
  readonly stdin?: string | Buffer;
  readonly pipedBy?: 'shell';
  /** Where stdout goes: the test's pipe (default), /dev/full, or a pipe closed before any output. */
  readonly stdoutTo?: 'pipe' | 'full' | 'closed';
  /** Only in bench/faults.bench.ts: a variant of a case npm test already runs (each run costs ~0.5 s of CPU). */
  readonly benchOnly?: boolean;
  /** A FIFO given a writer (the file's bytes) a moment after leakcheck starts. */
  readonly fifoWriter?: { readonly fifo: string; readonly file: string };
}

export type CliOutcome = 'clean' | 'wrong' | 'crash' | 'hang';

export interface CliResult {
  readonly outcome: CliOutcome;
  readonly status: number | null;
  readonly stderr: string;
  readonly stdout: string;
  readonly ms: number;
}

/** Anything a stack trace prints: "    at fn (file.js:1:2)" or Node's unhandled-error banner. */
const STACK = /^\s+at .+:\d+:\d+\)?$|Unhandled 'error' event|^node:internal/m;

export function runCliCase(c: CliCase, timeoutMs: number): Promise<CliResult> {
  const started = Date.now();
  const stdoutFd = c.stdoutTo === 'full' ? openSync('/dev/full', 'w') : undefined;
  return new Promise((resolve, reject) => {
    const [command, args] = c.pipedBy === 'shell' && typeof c.stdin === 'string'
      ? ['sh', ['-c', 'cat "$0" | exec "$@"', c.stdin, process.execPath, cliPath, ...c.args]] as const
      : [process.execPath, [cliPath, ...c.args]] as const;
    const child = spawn(command, args, {
      cwd: c.cwd,
      env: { ...process.env, NO_COLOR: '1', ...c.env },
      stdio: ['pipe', stdoutFd ?? 'pipe', 'pipe'],
    });
    if (stdoutFd !== undefined) closeSync(stdoutFd);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, timeoutMs);
    if (c.stdoutTo === 'closed') child.stdout!.destroy();
    else child.stdout?.setEncoding('utf8').on('data', (text: string) => { stdout += text; });
    child.stderr!.setEncoding('utf8').on('data', (text: string) => { stderr += text; });
    const stdin = child.stdin!;
    stdin.on('error', () => {}); // leakcheck may fail before it reads its input
    if (c.stdin === undefined || c.pipedBy === 'shell') stdin.end();
    else if (Buffer.isBuffer(c.stdin)) stdin.end(c.stdin);
    else createReadStream(c.stdin).pipe(stdin);
    if (c.fifoWriter) {
      const { fifo, file } = c.fifoWriter;
      // Opening a FIFO for writing waits for the reader: on the thread pool, not this thread.
      setTimeout(() => createReadStream(file).pipe(createWriteStream(fifo)).on('error', () => {}), 200);
    }
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      const ms = Date.now() - started;
      resolve({ outcome: timedOut ? 'hang' : classify(c, status, stdout, stderr), status, stdout, stderr, ms });
    });
  });
}

/** Runs cases `width` at a time (each is a node process; the machine is shared). */
export async function runAll(cases: readonly CliCase[], width: number, timeoutMs: number): Promise<Map<CliCase, CliResult>> {
  const results = new Map<CliCase, CliResult>();
  let next = 0;
  const lane = async () => {
    while (next < cases.length) {
      const c = cases[next++]!;
      results.set(c, await runCliCase(c, timeoutMs));
    }
  };
  await Promise.all(Array.from({ length: width }, lane));
  return results;
}

function classify(c: CliCase, status: number | null, stdout: string, stderr: string): CliOutcome {
  if (STACK.test(stderr) || status === null || status > 2) return 'crash';
  if (status !== c.status) return 'wrong';
  if (status === 2 && stderr.trimEnd().split('\n').length !== 1) return 'wrong';
  if (c.stderr && !c.stderr.test(stderr)) return 'wrong';
  if (c.stdout && !c.stdout.test(stdout)) return 'wrong';
  return 'clean';
}

/** Files the cases read, made once in `dir`. */
export interface CliFixtures {
  readonly dir: string;
  /** Three snapshots of one process, gzip-compressed, and the base unzipped. */
  readonly base: string;
  readonly target: string;
  readonly final: string;
  readonly plainBase: string;
  /** What inspect prints for the base: "55,026 nodes". */
  readonly baseNodes: string;
  /** diff's exit status on base target final: 1 on the leaking fixture, 0 on the small graphs. */
  readonly tripleStatus: number;
  /** A 2-node snapshot from another "process". */
  readonly small: string;
}

/**
 * 'real': the bundled listener-per-request snapshots (a leak; each load costs about a second of
 * CPU, so only bench/faults.bench.ts uses them). 'small': builder graphs of 150-300 nodes, one
 * growing process, for npm test.
 */
export function makeCliFixtures(dir: string, kind: 'real' | 'small'): CliFixtures {
  const b = new SnapshotBuilder();
  const object = b.addNode('object', 'Widget', 40);
  b.addEdge(b.root, object, 'element', 1);
  const small = b.writeTo(join(dir, 'small.heapsnapshot'));
  const plainBase = join(dir, 'base.heapsnapshot');
  if (kind === 'real') {
    const bundled = (phase: string) => join(fixturesDir, 'snapshots', `listener-per-request-${phase}.heapsnapshot.gz`);
    writeFileSync(plainBase, gunzipSync(readFileSync(bundled('base'))));
    return { dir, base: bundled('base'), target: bundled('target'), final: bundled('final'), plainBase, baseNodes: '55,026 nodes', tripleStatus: 1, small };
  }
  const process = new SnapshotBuilder();
  const grow = (count: number) => {
    for (let k = 0; k < count; k++) process.addEdge(process.root, process.addNode('object', `Item${k % 7}`, 24), 'element', k);
  };
  const write = (name: string) => {
    const path = join(dir, name);
    writeFileSync(path, gzipSync(process.toJson()));
    return path;
  };
  grow(149);
  process.writeTo(plainBase);
  const base = write('base.heapsnapshot.gz');
  grow(100);
  const target = write('target.heapsnapshot.gz');
  grow(50);
  const final = write('final.heapsnapshot.gz');
  return { dir, base, target, final, plainBase, baseNodes: '150 nodes', tripleStatus: 0, small };
}

/** The misuse cases; `mkfifo` makes FIFOs (the caller's, since node has no mkfifo). */
export function cliCases(f: CliFixtures, mkfifo: (path: string) => void): CliCase[] {
  const at = (name: string) => join(f.dir, name);
  const cases: CliCase[] = [];
  const add = (c: CliCase) => cases.push(c);
  const quickWait = { LEAKCHECK_WRITER_WAIT_MS: '300' };

  // 13: output errors.
  add({ name: 'inspect > /dev/full', args: ['inspect', f.small], status: 2, stdoutTo: 'full', stderr: /cannot write to standard output: no space left on the device \(ENOSPC\)/ });
  add({ name: 'inspect | closed pipe', args: ['inspect', f.small, '--json'], status: 2, stdoutTo: 'closed', stderr: /cannot write to standard output: the reader closed the pipe \(EPIPE\)/ });

  // 14: identical inputs.
  add({ name: 'diff x x', args: ['diff', f.base, f.base], status: 2, stderr: /is given twice/ });
  copyFileSync(f.plainBase, at('copy.heapsnapshot'));
  add({ name: 'diff x ./x (one file, two names)', benchOnly: true, args: ['diff', 'base.heapsnapshot', './base.heapsnapshot'], cwd: f.dir, status: 2, stderr: /\.\/base\.heapsnapshot: is the same file as base\.heapsnapshot/ });
  add({ name: 'diff x.gz copy-of-x (same heap)', args: ['diff', f.base, at('copy.heapsnapshot')], status: 2, stderr: /holds the same heap as/ });

  // 15: a tiny base from elsewhere.
  add({ name: 'diff tiny-base target', args: ['diff', f.small, f.target], status: 2, stderr: /only \d \(0\.\d+%\) of them are in/ });

  // 16: pipes, FIFOs, stdin.
  add({ name: 'inspect - (pipe)', benchOnly: true, args: ['inspect', '-'], stdin: f.plainBase, status: 0, stdout: new RegExp(f.baseNodes) });
  add({ name: 'cat x | inspect - (a real pipe)', args: ['inspect', '-', '--top', '1'], stdin: f.plainBase, pipedBy: 'shell', status: 0, stdout: new RegExp(f.baseNodes) });
  add({ name: 'inspect - (gzip through a pipe)', args: ['inspect', '-', '--top', '1'], stdin: f.base, status: 0, stdout: new RegExp(f.baseNodes) });
  add({ name: 'inspect /dev/stdin', benchOnly: true, args: ['inspect', '/dev/stdin', '--top', '1'], stdin: f.plainBase, status: 0, stdout: new RegExp(f.baseNodes) });
  add({ name: 'diff - target final (stdin as base)', args: ['diff', '-', f.target, f.final, '--json'], stdin: f.plainBase, status: f.tripleStatus, stdout: /"method": "three-snapshot"/ });
  add({ name: 'diff - - (stdin twice)', args: ['diff', '-', '-'], stdin: f.plainBase, status: 2, stderr: /is given twice/ });
  mkfifo(at('lonely.fifo'));
  add({ name: 'inspect FIFO without writer', args: ['inspect', at('lonely.fifo')], env: quickWait, status: 2, stderr: /no process opened this FIFO for writing within 300 ms/ });
  add({ name: 'diff FIFO-without-writer target', benchOnly: true, args: ['diff', at('lonely.fifo'), f.target], env: quickWait, status: 2, stderr: /lonely\.fifo: cannot read the snapshot: no process opened this FIFO/ });
  add({ name: '--config FIFO without writer', args: ['diff', f.base, f.target, '--config', at('lonely.fifo')], env: quickWait, status: 2, stderr: /cannot read the config: no process opened this FIFO/ });
  const fifoCwd = at('fifo-cwd');
  mkdirSync(fifoCwd);
  mkfifo(join(fifoCwd, 'leakcheck.config.json'));
  add({ name: 'default config file is a FIFO without writer', args: ['diff', f.base, f.target], cwd: fifoCwd, env: quickWait, status: 2, stderr: /leakcheck\.config\.json: cannot read the config: no process opened this FIFO/ });
  mkfifo(at('fed.fifo'));
  add({ name: 'inspect FIFO with a late writer', args: ['inspect', at('fed.fifo'), '--top', '1'], fifoWriter: { fifo: at('fed.fifo'), file: f.base }, status: 0, stdout: new RegExp(f.baseNodes) });

  writeFileSync(at('bom.json'), `\uFEFF${JSON.stringify({ detectors: ['class-growth'] })}`);
  // 17: repeated flags (lists accumulate, the rest take the last value).
  add({ name: '--fail-on twice accumulates', benchOnly: true, args: ['diff', f.base, f.target, f.final, '--fail-on', 'bytes=1GiB', '--fail-on', 'count=100000', '--json'], status: 0, stdout: /"minGrowthBytes": 1073741824,\s+"minGrowthCount": 100000/ });
  add({ name: '--node twice: the last wins', args: ['inspect', f.small, '--node', '@999', '--node', '@3', '--json'], status: 0, stdout: /"node": \{\s+"id": 3,/ });
  add({ name: '--top twice: the last wins', benchOnly: true, args: ['inspect', f.small, '--top', '0', '--top', '1', '--json'], status: 0, stdout: /"classes": \[\s+\{/ });
  add({ name: '--config twice: the last wins', benchOnly: true, args: ['diff', f.base, f.target, '--config', at('missing.json'), '--config', at('bom.json'), '--json'], status: 0, stdout: /"detectors": \[\s+"class-growth"\s+\]/ });
  add({ name: '--detector twice accumulates', benchOnly: true, args: ['diff', f.base, f.target, f.final, '--detector', 'class-growth', '--detector', 'duplicate-listeners', '--json'], status: f.tripleStatus, stdout: /"detectors": \[\s+"duplicate-listeners",\s+"class-growth"\s+\]/ });
  add({
    name: 'repeated flags and a config with a BOM, in one run',
    args: ['diff', f.base, f.target, f.final, '--config', at('missing.json'), '--config', at('bom.json'), '--fail-on', 'bytes=1GiB', '--fail-on', 'count=100000',
      '--detector', 'class-growth', '--detector', 'duplicate-listeners', '--json'],
    status: 0,
    stdout: /"minGrowthBytes": 1073741824,\s+"minGrowthCount": 100000[^]*"detectors": \[\s+"duplicate-listeners",\s+"class-growth"\s+\]/,
  });
  add({ name: '--node with no value', benchOnly: true, args: ['inspect', f.small, '--node'], status: 2, stderr: /--node needs a value/ });

  // 18: one-line errors from yargs and from --detector.
  add({ name: '--detector bogus', args: ['diff', f.base, f.target, '--detector', 'bogus'], status: 2, stderr: /--detector: unknown value 'bogus' \(known: / });
  add({ name: 'unknown option', benchOnly: true, args: ['inspect', f.small, '--bogus'], status: 2, stderr: /Unknown argument/ });

  // 19-21 live in the damage suite; one absurd number end to end.
  const small = readFileSync(f.small, 'utf8');
  writeFileSync(at('huge-size.heapsnapshot'), small.replace(/"nodes":\[(\d+),(\d+),(\d+),(\d+)/, (_m, a, b, c) => `"nodes":[${a},${b},${c},${'9'.repeat(400)}`));
  add({ name: 'inspect self_size of 400 digits', benchOnly: true, args: ['inspect', at('huge-size.heapsnapshot')], status: 2, stderr: /self_size Infinity, beyond 2\^53/ });
  const finalText = gunzipSync(readFileSync(f.final)).toString('latin1');
  const headerEnd = finalText.indexOf('"nodes":');
  writeFileSync(at('renamed-final.heapsnapshot'), Buffer.from(finalText.slice(0, headerEnd).replace('"closure"', '"function"') + finalText.slice(headerEnd), 'latin1'));
  add({ name: 'diff with renamed node types in final', args: ['diff', f.base, f.target, at('renamed-final.heapsnapshot')], status: 2, stderr: /renamed-final\.heapsnapshot: snapshot\.meta\.node_types\[0\] lacks the node type "closure"/ });

  const permuted = (file: string, name: string) => {
    writeFileSync(at(name), permutedSnapshot(gunzipSync(readFileSync(file))));
    return at(name);
  };
  add({
    name: 'diff of consistently permuted snapshots',
    args: ['diff', permuted(f.base, 'p-base.heapsnapshot'), permuted(f.target, 'p-target.heapsnapshot'), permuted(f.final, 'p-final.heapsnapshot')],
    status: f.tripleStatus,
    stdout: f.tripleStatus === 1 ? /LEAK +JobQueue 'error'/ : /clean: nothing crossed the thresholds/,
  });

  // 22: size caps.
  add({ name: 'report /dev/zero', args: ['report', '/dev/zero'], status: 2, stderr: /\/dev\/zero: the report is over its limit of 67108864 bytes/ });
  add({ name: '--config /dev/zero', args: ['diff', f.base, f.target, '--config', '/dev/zero'], status: 2, stderr: /the config is over its limit of 1048576 bytes/ });
  writeFileSync(at('big-report.json'), '');
  truncateSync(at('big-report.json'), 65 * 1024 * 1024);
  add({ name: 'report of 65 MiB', benchOnly: true, args: ['report', at('big-report.json')], status: 2, stderr: /the report is 68157440 bytes, over its limit of 67108864 bytes/ });

  // 23: the small ones.
  copyFileSync(f.small, at('-'));
  copyFileSync(f.small, at('-snap.heapsnapshot'));
  add({ name: 'a file named - is ./-', args: ['inspect', './-'], cwd: f.dir, status: 0, stdout: /2 nodes/ });
  add({ name: 'inspect -- -snap.heapsnapshot', args: ['inspect', '--', '-snap.heapsnapshot'], cwd: f.dir, status: 0, stdout: /-snap\.heapsnapshot/ });
  add({ name: "--top ''", args: ['inspect', f.small, '--top', ''], status: 2, stderr: /--top wants a whole number from 0 to \d+, not ""/ });
  add({ name: '--top -1', benchOnly: true, args: ['inspect', f.small, '--top=-1'], status: 2, stderr: /--top wants a whole number/ });
  add({ name: 'config with a UTF-8 BOM', benchOnly: true, args: ['diff', f.base, f.target, '--config', at('bom.json'), '--json'], status: 0, stdout: /"detectors": \[\s+"class-growth"\s+\]/ });
  writeFileSync(at('no-detectors.json'), '{"detectors": []}');
  add({ name: '{"detectors": []}', args: ['diff', f.base, f.target, '--config', at('no-detectors.json')], status: 2, stderr: /detectors: is empty; leave it out to run every detector/ });
  add({ name: 'diff a b c d', args: ['diff', f.base, f.target, f.final, f.small], status: 2, stderr: /diff takes 2 or 3 snapshots \(base target \[final\]\), not 4/ });
  add({ name: "inspect ''", benchOnly: true, args: ['inspect', ''], status: 2, stderr: /the path of the snapshot is empty/ });
  add({ name: 'inspect a directory', benchOnly: true, args: ['inspect', f.dir], status: 2, stderr: /cannot read the snapshot: is a directory/ });
  return cases;
}
