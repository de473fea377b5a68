import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ErrorCode, LeakcheckError } from '../src/errors.js';
import { failedSuite, githubAnnotations, renderJunit, renderMarkdown, type CiOptions, type CiSuite } from '../src/report/index.js';
import { EXIT_ERROR, EXIT_LEAK } from './exit-codes.js';
import { allTexts } from './option-types.js';
import { outputFailed, writeStdout } from './output.js';

/**
 * `--reporter` for run and diff: results in the forms CI systems read, besides the summary.
 * Specs are checked before any work starts (a typo is a usage error, not a lost run); files are
 * written after the verdict. Exit precedence, documented in the README's CI recipe: a leak (1)
 * stays 1 when a report cannot be written; otherwise a report that cannot be written makes it
 * 2, so a missing JUnit file never comes with a passing exit status.
 */
export type ReporterSpec = { readonly kind: 'junit' | 'markdown'; readonly file: string } | { readonly kind: 'github' };

const KNOWN = 'junit=<file>, markdown=<file>, github, none';

export const reporterOption = {
  type: 'string',
  coerce: allTexts('reporter'),
  describe: `Also write results for CI: ${KNOWN} (repeatable; github is on by itself when GITHUB_ACTIONS=true, none turns that off)`,
} as const;

/**
 * The reporters asked for, plus github when running in GitHub Actions unless `none` is among them
 * (a job that runs leakcheck as one step of many may not want its annotations); `none` with
 * `github` contradicts itself and is a usage error.
 */
export function parseReporters(specs: readonly string[] | undefined, env: NodeJS.ProcessEnv): ReporterSpec[] {
  const optOut = (specs ?? []).some((spec) => spec.trim() === 'none');
  const reporters = (specs ?? []).filter((spec) => spec.trim() !== 'none').map(parseSpec);
  if (optOut && reporters.some((r) => r.kind === 'github')) throw usage('--reporter none and --reporter github contradict each other: keep one');
  const files = new Map<string, string>();
  for (const reporter of reporters) {
    if (reporter.kind === 'github') continue;
    const path = resolve(reporter.file);
    const other = files.get(path);
    if (other !== undefined) throw usage(`--reporter: ${other} and ${reporter.kind} would both write ${reporter.file}`);
    files.set(path, reporter.kind);
  }
  const unique = reporters.filter((reporter, at) => reporter.kind !== 'github' || reporters.findIndex((r) => r.kind === 'github') === at);
  if (env['GITHUB_ACTIONS'] === 'true' && !optOut && !unique.some((r) => r.kind === 'github')) unique.push({ kind: 'github' });
  return unique;
}

function parseSpec(spec: string): ReporterSpec {
  const equals = spec.indexOf('=');
  const name = (equals < 0 ? spec : spec.slice(0, equals)).trim();
  const value = equals < 0 ? undefined : spec.slice(equals + 1);
  if (name === 'github') {
    if (value !== undefined) throw usage(`--reporter github takes no file (annotations go to the log, the summary to $GITHUB_STEP_SUMMARY): ${spec}`);
    return { kind: 'github' };
  }
  if (name === 'junit' || name === 'markdown') {
    if (value === undefined || value.trim() === '') throw usage(`--reporter ${name} needs a file: ${name}=<file>`);
    if (value === '-') throw usage(`--reporter ${name}=-: write it to a file; standard output carries the summary`);
    return { kind: name, file: value };
  }
  throw usage(`--reporter: unknown reporter '${name}' (known: ${KNOWN})`);
}

const usage = (message: string) => new LeakcheckError(ErrorCode.USAGE, message);

export interface ReporterContext {
  env: NodeJS.ProcessEnv;
  /** Where annotations go: standard output, or standard error when standard output carries JSON. */
  json: boolean;
}

/**
 * Writes every reporter (one failing does not stop the others), prints one line per failure on
 * standard error, and returns the exit code with reporter failures folded in by the precedence above.
 */
export async function emitReporters(
  reporters: readonly ReporterSpec[], suiteFor: (options: CiOptions) => CiSuite, cwd: string, verdictExit: number, context: ReporterContext,
): Promise<number> {
  if (reporters.length === 0) return verdictExit;
  const { env } = context;
  const suite = suiteFor({ cwd, workspace: env['GITHUB_WORKSPACE'] || env['CI_PROJECT_DIR'] || cwd });
  const failures: LeakcheckError[] = [];
  const attempt = async (file: string | undefined, what: string, write: () => Promise<void>) => {
    try {
      await write();
    } catch (error) {
      failures.push(error instanceof LeakcheckError ? error : outputFailed(error, file, what));
    }
  };
  for (const reporter of reporters) {
    if (reporter.kind === 'junit') await attempt(reporter.file, 'the JUnit report', () => writeReport(reporter.file, renderJunit([suite])));
    else if (reporter.kind === 'markdown') await attempt(reporter.file, 'the Markdown report', () => writeReport(reporter.file, renderMarkdown(suite)));
    else {
      const summary = env['GITHUB_STEP_SUMMARY'];
      if (summary) await attempt(summary, 'the GitHub job summary ($GITHUB_STEP_SUMMARY)', () => appendFile(summary, `${renderMarkdown(suite)}\n`));
      const lines = githubAnnotations(suite);
      if (lines.length > 0) {
        await attempt(undefined, 'the GitHub annotations', () => writeStdout(`${lines.join('\n')}\n`, context.json ? process.stderr : process.stdout));
      }
    }
  }
  for (const failure of failures) process.stderr.write(`leakcheck: ${failure.oneLine()}\n`);
  if (failures.length === 0 || verdictExit === EXIT_LEAK) return verdictExit;
  return EXIT_ERROR;
}

/**
 * For a command that ended in an error before its verdict (the target never listened, a snapshot
 * is truncated): the reporters still say why, as an <error> and an ::error, so CI does not find
 * an old report or none. The caller rethrows the error, which sets the exit code as before.
 */
export async function reportFailure(
  reporters: readonly ReporterSpec[], kind: 'run' | 'diff', inputs: readonly string[], error: unknown, context: ReporterContext,
): Promise<void> {
  const message = error instanceof LeakcheckError ? error.oneLine() : error instanceof Error ? error.message : String(error);
  await emitReporters(reporters, () => failedSuite(kind, inputs, message), process.cwd(), EXIT_ERROR, context);
}

/** Creates the folder first: CI jobs name report paths (reports/junit.xml) in checkouts that do not have them yet. */
async function writeReport(file: string, text: string): Promise<void> {
  // EEXIST: a part of the path is a file; writing then fails with the error that says so (ENOTDIR).
  await mkdir(dirname(resolve(file)), { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  await writeFile(file, text);
}
