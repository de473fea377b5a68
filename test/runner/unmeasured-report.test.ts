// Every ending of `leakcheck run` writes report.json (issue 9): the ones that end before the target
// is ready get outcome 'not-measured' with what was known. Real targets, real report files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, isLeakcheckError } from '../../src/errors.js';
import { createStyle, describeReason, parseRunReport, renderRunText, type RunReport, type VerdictReason } from '../../src/report/index.js';
import { RunNotMeasured, runTarget, type RunOptions } from '../../src/runner/index.js';
import { fixturesDir } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';
import { runOptions } from '../helpers/run-options.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const options = (t: Parameters<typeof tmpDir>[0], command: string[], extra: Partial<RunOptions> = {}): RunOptions =>
  runOptions(t, command, { snapshots: false, ...extra });

/** Runs, expects a RunNotMeasured with `code`, and returns the report.json it wrote, read back through the reader `leakcheck report` uses. */
async function unmeasured(opts: RunOptions, code: string): Promise<{ report: RunReport; reason: Extract<VerdictReason, { kind: 'not-measured' }> }> {
  let thrown: RunNotMeasured | undefined;
  await assert.rejects(runTarget(opts), (error) => {
    thrown = error as RunNotMeasured;
    return error instanceof RunNotMeasured && isLeakcheckError(error) && error.code === code;
  });
  const file = join(opts.outDir!, 'report.json');
  const report = parseRunReport(readFileSync(file, 'utf8'), file);
  assert.deepEqual(report, JSON.parse(JSON.stringify(thrown!.report)), 'the error carries the report written');
  assert.equal(report.verdict.outcome, 'not-measured');
  assert.equal(report.verdict.leak, false);
  assert.deepEqual(report.command, opts.command);
  assert.ok(existsSync(report.files.reportHtml));
  assert.deepEqual([report.phases, report.checkpoints, report.trends], [[], [], []]);
  const [reason] = report.verdict.reasons;
  assert.ok(reason?.kind === 'not-measured');
  assert.equal(reason.errorCode, code);
  assert.match(renderRunText(report, createStyle({ color: false })), /^NOT MEASURED/);
  return { report, reason };
}

test('a command that cannot start: not-measured, cause failed-to-start, no pid, the spawn error', async (t) => {
  const { report, reason } = await unmeasured(options(t, ['no-such-command-leakcheck']), ErrorCode.TARGET_FAILED_TO_START);
  assert.equal(reason.cause, 'failed-to-start');
  assert.equal(report.target.pid, null);
  assert.deepEqual(reason.exit, { code: null, signal: null, spawnError: 'command not found: no-such-command-leakcheck' });
  assert.equal(describeReason(reason, []), 'nothing was measured: the target could not start (command not found: no-such-command-leakcheck)');
});

test('a target that exits before it is ready: its pid, exit code and last stderr lines', async (t) => {
  const script = join(tmpDir(t), 'boom.mjs');
  writeFileSync(script, 'console.error("loading config"); throw new Error("config file missing: /etc/app.json");');
  const { report, reason } = await unmeasured(options(t, [process.execPath, script]), ErrorCode.TARGET_FAILED_TO_START);
  assert.equal(reason.cause, 'exited-before-ready');
  assert.ok(Number.isInteger(report.target.pid) && report.target.pid! > 0);
  assert.deepEqual(reason.exit, { code: 1, signal: null });
  assert.deepEqual(report.target.exit, { code: 1, signal: null, phase: null });
  assert.match(report.target.stderrTail, /loading config[\s\S]*Error: config file missing: \/etc\/app\.json/);
  // The agent said hello before the program threw: the process is in the table.
  assert.ok(report.target.agents.some((a) => a.pid === report.target.pid));
});

test('a target that never listens: cause not-listening, stopped by the runner (its exit is not its own)', async (t) => {
  const { report, reason } = await unmeasured(
    options(t, [process.execPath, join(fixturesDir, 'apps', 'http-never-listens.mjs')], { startTimeoutMs: 2000 }), ErrorCode.TARGET_NOT_LISTENING,
  );
  assert.equal(reason.cause, 'not-listening');
  assert.equal(report.target.exit, null, 'leakcheck stopped it: not an exit of its own');
  assert.ok(reason.exit !== null && (reason.exit.signal === 'SIGTERM' || reason.exit.code !== null));
});

test('a run interrupted before the target is ready: cause interrupted, with the signal', async (t) => {
  const controller = new AbortController();
  const opts = options(t, [process.execPath, join(fixturesDir, 'apps', 'http-never-listens.mjs')], {
    signal: controller.signal,
    onProgress: (event) => {
      if (event.kind === 'started') setTimeout(() => controller.abort('SIGTERM'), 300);
    },
  });
  const { reason } = await unmeasured(opts, ErrorCode.INTERRUPTED);
  assert.equal(reason.cause, 'interrupted');
  assert.equal(reason.signal, 'SIGTERM');
});

test('CLI: a target that exits before it is ready exits 2; --json prints the error and the report path, and the report is there', async (t) => {
  const dir = tmpDir(t);
  const script = join(dir, 'boom.mjs');
  writeFileSync(script, 'throw new Error("no database");');
  const out = join(dir, 'r');
  const json = await runCli(['run', '--json', '--no-snapshots', '--out', out, '--', process.execPath, script]);
  assert.equal(json.status, 2, json.stderr);
  const printed = JSON.parse(json.stdout) as { error: { code: string; message: string }; reportJson: string };
  assert.deepEqual(Object.keys(printed), ['error', 'reportJson']);
  assert.equal(printed.error.code, ErrorCode.TARGET_FAILED_TO_START);
  assert.match(printed.error.message, /exited with code 1 before it was ready: Error: no database/);
  assert.equal(printed.reportJson, join(out, 'report.json'));
  const report = JSON.parse(readFileSync(printed.reportJson, 'utf8')) as RunReport;
  assert.equal(report.verdict.outcome, 'not-measured');
  assert.match(report.target.stderrTail, /Error: no database/);

  const text = await runCli(['run', '--no-snapshots', '--out', join(dir, 'r2'), '--', process.execPath, script]);
  assert.equal(text.status, 2);
  const lines = text.stderr.trimEnd().split('\n');
  assert.equal(lines.at(-2), `leakcheck: report in ${join(dir, 'r2', 'report.json')}`);
  assert.match(lines.at(-1)!, /^leakcheck: the target exited with code 1 before it was ready: Error: no database$/);
  // `leakcheck report` reads it back with the same exit status.
  const again = await runCli(['report', join(dir, 'r2')]);
  assert.equal(again.status, 2, again.stderr);
  assert.match(again.stdout, /^NOT MEASURED/);
});
