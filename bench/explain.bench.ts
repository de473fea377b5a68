/**
 * `npm run bench:explain`: how well the findings on the fixture apps explain themselves (issue 11).
 * Runs every phase-snapshot fixture in fixtures/apps (base/target/final in a real node), analyses
 * it as `leakcheck diff` does, and counts, over the leak findings:
 * - how many name a user-code location: a function (by name) and file:line in the user's own
 *   source (a path under fixtures/apps, after source maps; not node: internals);
 * - how many causes they form (findings grouped by dominating holder);
 * - how much of the heap's growth the causes account for, against the findings' own bytes.
 * Prints a table, writes bench/results/explain.json, and replaces the block between the
 * bench:explain markers in README.md. Env: BENCH_REQUESTS (requests per phase, default 250).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeSnapshots, type AnalysisResult, type Finding } from '../src/index.js';
import { renderTable, replaceMarkedBlock, writeResults } from './table.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const appsDir = join(repoRoot, 'fixtures', 'apps');
const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 250);

interface AppFigures {
  readonly app: string;
  readonly leakFindings: number;
  /** Leak findings whose location is a named function in a user file. */
  readonly namedUserLocations: number;
  /** Leak findings located in a user file at all (anonymous functions included). */
  readonly userLocations: number;
  readonly leakCauses: number;
  readonly heapGrowthBytes: number;
  readonly explainedBytes: number;
  /** Sum of the leak findings' own growth bytes (what the findings said before causes). */
  readonly findingBytes: number;
}

/** Fixture apps that write the three snapshots themselves (phase-snapshots.mjs). */
function phaseApps(): string[] {
  return readdirSync(appsDir)
    .filter((name) => name.endsWith('.mjs') && name !== 'phase-snapshots.mjs')
    .filter((name) => readFileSync(join(appsDir, name), 'utf8').includes('runPhases('))
    .sort();
}

async function snapshotsOf(app: string, dir: string): Promise<string[]> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', join(appsDir, app), dir], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, FIXTURE_REQUESTS: String(REQUESTS) },
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${app} exited with ${code}`))));
  });
  return ['base', 'target', 'final'].map((phase) => join(dir, `${phase}.heapsnapshot`));
}

/** The user's own source: a file under fixtures/apps (where source maps point for the .mts ones). */
function inUserCode(finding: Finding): boolean {
  const script = finding.location?.script ?? '';
  return script.startsWith(appsDir) && (finding.location?.line ?? 0) > 0;
}

function figures(app: string, result: AnalysisResult): AppFigures {
  const leaks = result.findings.filter((finding) => finding.severity === 'leak');
  return {
    app,
    leakFindings: leaks.length,
    namedUserLocations: leaks.filter((finding) => inUserCode(finding) && finding.location!.functionName !== '').length,
    userLocations: leaks.filter(inUserCode).length,
    leakCauses: result.verdict.leakCauseCount ?? leaks.length,
    heapGrowthBytes: result.heapGrowth?.bytes ?? 0,
    explainedBytes: result.heapGrowth?.explainedBytes ?? 0,
    findingBytes: leaks.reduce((sum, finding) => sum + Math.max(0, finding.growth.bytes), 0),
  };
}

const percent = (part: number, whole: number): string => (whole > 0 ? `${Math.round((100 * part) / whole)} %` : '-');
const kib = (bytes: number): string => `${Math.round(bytes / 1024).toLocaleString('en-US')} KiB`;

function table(rows: readonly AppFigures[]): string {
  // The total is over the fixtures that leak: a clean fixture's growth is no finding's to explain.
  const total: AppFigures = rows.filter((row) => row.leakFindings > 0).reduce((sum, row) => ({
    app: 'all leak fixtures',
    leakFindings: sum.leakFindings + row.leakFindings,
    namedUserLocations: sum.namedUserLocations + row.namedUserLocations,
    userLocations: sum.userLocations + row.userLocations,
    leakCauses: sum.leakCauses + row.leakCauses,
    heapGrowthBytes: sum.heapGrowthBytes + row.heapGrowthBytes,
    explainedBytes: sum.explainedBytes + row.explainedBytes,
    findingBytes: sum.findingBytes + row.findingBytes,
  }), { app: '', leakFindings: 0, namedUserLocations: 0, userLocations: 0, leakCauses: 0, heapGrowthBytes: 0, explainedBytes: 0, findingBytes: 0 });
  return renderTable<AppFigures>([
    { title: 'fixture', cell: (r) => r.app, left: true },
    { title: 'leak findings', cell: (r) => String(r.leakFindings) },
    { title: 'named fn + file:line', cell: (r) => `${r.namedUserLocations} (${percent(r.namedUserLocations, r.leakFindings)})` },
    { title: 'any user file:line', cell: (r) => `${r.userLocations} (${percent(r.userLocations, r.leakFindings)})` },
    { title: 'leak causes', cell: (r) => String(r.leakCauses) },
    { title: 'heap growth', cell: (r) => kib(r.heapGrowthBytes) },
    { title: 'causes explain', cell: (r) => `${kib(r.explainedBytes)} (${percent(r.explainedBytes, r.heapGrowthBytes)})` },
    { title: 'findings alone', cell: (r) => `${kib(r.findingBytes)} (${percent(r.findingBytes, r.heapGrowthBytes)})` },
  ], [...rows, total]);
}

async function main(): Promise<void> {
  const rows: AppFigures[] = [];
  for (const app of phaseApps()) {
    const dir = mkdtempSync(join(tmpdir(), 'leakcheck-explain-'));
    try {
      rows.push(figures(app.replace(/\.mjs$/, ''), await analyzeSnapshots(await snapshotsOf(app, dir))));
    } finally {
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    }
    process.stderr.write(`${app} done\n`);
  }
  const text = table(rows);
  process.stdout.write(`${text}\n`);
  writeResults('explain', { requestsPerPhase: REQUESTS, node: process.version, rows });
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  replaceMarkedBlock(join(repoRoot, 'README.md'), 'explain', `Latest \`npm run bench:explain\` (${when} UTC, ${REQUESTS} requests per phase, Node ${process.version}):\n\n\`\`\`\n${text}\n\`\`\`\n`);
}

await main();
