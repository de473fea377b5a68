import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { RunReport } from '../../src/report/index.js';
import { fixturesDir } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const clusterApp = join(fixturesDir, 'apps', 'http-cluster.mjs');

/** `leakcheck run --json` on the two-worker cluster fixture; snapshots off to stay fast (3 processes × 3 snapshots). */
async function runCluster(t: Parameters<typeof tmpDir>[0], leakyWorker: number): Promise<{ status: number | null; report: RunReport }> {
  const result = await runCli(['run', '--json', '--no-snapshots', '--requests', '300', '--warmup-requests', '100', '--concurrency', '4',
    '--out', join(tmpDir(t), 'report'), '--', process.execPath, clusterApp, String(leakyWorker)]);
  return { status: result.status, report: JSON.parse(result.stdout) as RunReport };
}

test('run on a cluster measures the primary and every worker, and the verdict names the one worker that leaks (issue 10 item 4)', async (t) => {
  const { status, report } = await runCluster(t, 2);
  assert.equal(status, 1, 'a leak in any process fails the gate');
  assert.equal(report.verdict.outcome, 'leak');
  // The primary, which leakcheck started, is the target; both workers listen on the same port and are measured too.
  const everyone = [{ pid: report.target.pid, clusterWorkerId: report.target.clusterWorkerId ?? null }, ...report.processes!];
  assert.deepEqual(everyone.map((p) => p.clusterWorkerId).sort(), [1, 2, null]);
  const leaky = report.processes!.find((p) => p.clusterWorkerId === 2)!;
  const other = report.processes!.find((p) => p.clusterWorkerId === 1)!;
  assert.equal(leaky.verdict.outcome, 'leak', JSON.stringify(leaky.verdict.reasons));
  assert.equal(other.verdict.outcome, 'clean', JSON.stringify(other.verdict.reasons));
  assert.ok(leaky.checkpoints.length === report.checkpoints.length && leaky.checkpoints.length >= 9, 'every process at every checkpoint');
  const named = report.verdict.reasons.find((r) => r.kind === 'process' && r.leak);
  assert.ok(named && named.kind === 'process' && named.pid === leaky.pid && named.clusterWorkerId === 2, JSON.stringify(report.verdict.reasons));
});

test('run on a clean cluster is clean for every process and exits 0', async (t) => {
  const { status, report } = await runCluster(t, 0);
  assert.equal(status, 0, JSON.stringify(report.verdict.reasons));
  assert.equal(report.processes!.length, 2);
  assert.ok(report.processes!.every((p) => p.verdict.outcome === 'clean'));
});
