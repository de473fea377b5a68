import { isAbsolute, relative, sep } from 'node:path';
import type { AnalysisResult, Finding, SourceLocation } from '../detectors/index.js';
import { causesOf, causeText, heapGrowthText, heapGrowthUnexplained } from './cause-words.js';
import { evidenceText, findingName, findingWords, functionLocationText } from './finding-words.js';
import { diffVerdictText, diffWarningText } from './findings-text.js';
import type { RunReport } from './model.js';
import { processViews, type ProcessRole, type ProcessView } from './process-view.js';
import { processFigures, processKey, processViewLabel, type ProcessFigures } from './process-words.js';
import type { Outcome, RunVerdict, VerdictReason } from './run-verdict.js';
import type { StoredWords } from './schema-v1.js';
import { formatCount, formatBytes, formatDurationMs } from './units.js';
import { crashExcerpt } from './to-text.js';
import { describeReason, outcomeHeadline, partialVerdictWords } from './verdict-words.js';

/**
 * A run or a diff as the list of checks CI systems show: one per trend, one per finding, one per
 * detector that found nothing, one for the run itself. The JUnit, GitHub and Markdown outputs all
 * render this one list, so they cannot disagree about what failed.
 *
 * `warning` passes the gate but deserves a look (a suspect, a caveat); `error` means the check
 * could not be measured (a crash, an interruption, too few points): never shown as passing.
 */
export type CheckStatus = 'passed' | 'warning' | 'failed' | 'error' | 'skipped';

export interface CiCheck {
  /** What kind of check: 'leakcheck.run', 'leakcheck.<detector id>' (JUnit's classname). */
  readonly group: string;
  /** Stable from run to run while the thing checked stays the same. */
  readonly name: string;
  readonly status: CheckStatus;
  /** One line: the result in words. */
  readonly message: string;
  /** Further lines: evidence, where the function is, what holds it, the retainer path. */
  readonly details: readonly string[];
  /** The finding's function, relative to the workspace; null when unknown or outside it. */
  readonly file: WorkspaceFile | null;
  /** In a cluster run: the key (CiProcess.key) of the process it checks; absent for the run as a whole. */
  readonly process?: string;
  /** How an annotation or a heading names it when that differs from `name`: with the process's pid, which `name` leaves out to stay stable. */
  readonly title?: string;
}

/** A process of a cluster run (the target among them), for the per-process groups and tables. */
export interface CiProcess {
  /** "worker 2", "primary": stable from run to run (no pid); the prefix of its checks' names. */
  readonly key: string;
  /** "cluster worker 2 (pid 4242)". */
  readonly label: string;
  readonly role: ProcessRole;
  readonly pid: number | null;
  readonly clusterWorkerId: number | null;
  readonly target: boolean;
  readonly outcome: Outcome;
  /** The worst of its checks: a clean verdict of a process that stopped being measured is an error, not a pass. */
  readonly status: CheckStatus;
  /** Its verdict in words: "LEAK", "CLEAN, measured until load1". */
  readonly verdict: string;
  readonly figures: ProcessFigures;
}

export interface WorkspaceFile {
  /** Relative to the workspace, with forward slashes. */
  readonly path: string;
  readonly line: number;
  readonly column: number;
}

export interface CiSuite {
  readonly kind: 'run' | 'diff';
  readonly name: string;
  readonly outcome: Outcome;
  /** The verdict in a line. */
  readonly headline: string;
  readonly startedAt: string | null;
  readonly durationMs: number | null;
  /** Labelled facts about the inputs (command, snapshots, report files). */
  readonly facts: ReadonlyArray<readonly [label: string, value: string]>;
  /** Caveats about the whole suite (a partial run, a two-snapshot diff). */
  readonly notes: readonly string[];
  readonly checks: readonly CiCheck[];
  /** Every process of a cluster run, the leaking ones first; [] when only the target served the load. */
  readonly processes: readonly CiProcess[];
}

export interface CiOptions {
  /** Scripts under it are shown relative to it in words. */
  cwd: string;
  /** The checkout CI annotates (GITHUB_WORKSPACE, CI_PROJECT_DIR, else the cwd): file paths are relative to it. */
  workspace: string;
}

/** A source file inside the workspace, as CI systems name it; null for node: internals and files elsewhere. */
export function workspaceFile(location: SourceLocation, workspace: string): WorkspaceFile | null {
  if (!isAbsolute(location.script)) return null;
  const path = relative(workspace, location.script);
  if (path === '' || path === '..' || path.startsWith(`..${sep}`) || isAbsolute(path)) return null;
  return { path: path.split(sep).join('/'), line: location.line, column: location.column };
}

/** The checks of `leakcheck diff`. */
export function diffSuite(result: AnalysisResult, options: CiOptions): CiSuite {
  return {
    kind: 'diff',
    name: suiteName('diff', result.snapshots.map((s) => s.path)),
    outcome: result.verdict.leak ? 'leak' : 'clean',
    headline: diffVerdictText(result),
    startedAt: null,
    durationMs: null,
    facts: result.snapshots.map((s, k) => [['base', 'target', 'final'][k] ?? `#${k + 1}`, `${s.path} (${formatCount(s.nodeCount)} objects, ${formatBytes(s.totalBytes)})`]),
    notes: [...result.warnings.map((warning) => diffWarningText(warning)), ...unexplainedNote(result)],
    checks: findingChecks(result, options),
    processes: [],
  };
}

/** A note when the findings explain less than half of the heap's growth. */
function unexplainedNote(result: AnalysisResult): string[] {
  const account = heapGrowthText(result);
  return account !== undefined && heapGrowthUnexplained(result) ? [account] : [];
}

/** One check per finding (leaks fail, suspects warn), and a passing one per detector that found nothing. */
function findingChecks(result: AnalysisResult, options: CiOptions, stored?: StoredWords): CiCheck[] {
  const threeSnapshots = result.method === 'three-snapshot';
  // Checks stay one per finding (their names are stable across runs); each says which cause it belongs to.
  const causeLines = new Map<number, string>();
  for (const cause of causesOf(result)) {
    const summary = causeText(cause, result.findings);
    if (summary !== undefined) causeLines.set(cause.findingIndex, summary);
    const head = findingWords(result.findings[cause.findingIndex]!, cause.findingIndex, { cwd: options.cwd, ...(stored ? { stored } : {}) }).title;
    for (const index of cause.related) causeLines.set(index, `part of one cause with: ${head}`);
  }
  const checks = result.findings.map((finding, index) => findingCheck(finding, index, threeSnapshots, options, stored, causeLines.get(index)));
  for (const detector of result.detectors) {
    if (result.findings.some((f) => f.kind === detector)) continue;
    checks.push({ group: `leakcheck.${detector}`, name: `${detector}: nothing growing`, status: 'passed', message: 'no finding', details: [], file: null });
  }
  return checks;
}

function findingCheck(finding: Finding, index: number, threeSnapshots: boolean, options: CiOptions, stored: StoredWords | undefined, cause: string | undefined): CiCheck {
  const words = findingWords(finding, index, { cwd: options.cwd, ...(stored ? { stored } : {}) });
  const details = [evidenceText(finding, threeSnapshots)];
  if (cause !== undefined) details.push(cause);
  if (finding.location) details.push(`at ${functionLocationText(finding.location, { cwd: options.cwd })}`);
  if (words.holder) details.push(`held by ${words.holder}`);
  details.push(`retainer path: ${words.path.join(' → ')}`);
  return {
    group: `leakcheck.${finding.kind}`,
    name: findingName(finding),
    status: finding.severity === 'leak' ? 'failed' : 'warning',
    message: `${finding.severity === 'leak' ? 'leak' : 'suspect'}: ${words.title}`,
    details,
    file: finding.location ? workspaceFile(finding.location, options.workspace) : null,
  };
}

/**
 * The checks of `leakcheck run`: the heap and off-heap trends, the snapshot diff's findings, the
 * run itself. In a cluster run, the trends and findings of every process, each check named by
 * its process (leaking processes first), and then the run.
 */
export function runSuite(report: RunReport, options: CiOptions): CiSuite {
  const { verdict } = report;
  const views = processViews(report);
  const perProcess = views.map((view) => processChecks(view, report, options));
  const processes = views.map((view, k): CiProcess => ({
    key: processKey(view), label: processViewLabel(view), role: view.role, pid: view.pid, clusterWorkerId: view.clusterWorkerId,
    target: view.processIndex === null, outcome: view.verdict.outcome, status: worstStatus(perProcess[k]!),
    verdict: `${outcomeHeadline[view.verdict.outcome]}${view.lost ? `, measured until ${view.lost.phase}` : ''}`, figures: processFigures(view),
  }));
  const checks: CiCheck[] = views.length === 0 ? measuredChecks(verdict, report.analysis, report, options) : perProcess.flat();
  checks.push(runCheck(report, (reason) => describeReason(reason, report.analysis?.findings ?? [])));
  const leaking = processes.filter((p) => p.outcome === 'leak');
  return {
    kind: 'run',
    name: suiteName('run', report.command),
    outcome: verdict.outcome,
    headline: leaking.length > 0 ? `${outcomeHeadline[verdict.outcome]} in ${leaking.map((p) => p.label).join(', ')}` : outcomeHeadline[verdict.outcome],
    startedAt: report.startedAt,
    durationMs: report.durationMs,
    facts: [
      ['command', report.command.join(' ')],
      ['duration', formatDurationMs(report.durationMs)],
      ['report', report.files.reportHtml],
    ],
    notes: [
      ...(verdict.partial ? [partialVerdictWords] : []),
      ...(views.length === 0
        ? (report.analysis ? unexplainedNote(report.analysis) : [])
        : views.flatMap((view, k) => (view.analysis ? unexplainedNote(view.analysis).map((note) => `${processes[k]!.label}: ${note}`) : []))),
    ],
    checks,
    processes,
  };
}

/** The trends and the snapshot diff of one process (the target, or another serving process) by its own verdict. */
function measuredChecks(verdict: RunVerdict, analysis: AnalysisResult | null, report: RunReport, options: CiOptions, analysisNote = report.analysisNote): CiCheck[] {
  const describe = (reason: VerdictReason) => describeReason(reason, analysis?.findings ?? []);
  const unmeasured = verdict.reasons.find((r) => r.kind === 'too-few-points');
  const trendCheck = (kind: 'heap-trend' | 'off-heap-trend', name: string): CiCheck => {
    const reason = verdict.reasons.find((r) => r.kind === kind || (r.kind === 'v1-message' && r.v1Kind === kind));
    if (reason === undefined) {
      return { group: 'leakcheck.run', name, status: 'error', message: `not measured: ${unmeasured ? describe(unmeasured) : 'no post-GC measurements'}`, details: [], file: null };
    }
    return { group: 'leakcheck.run', name, status: reason.leak ? 'failed' : 'passed', message: describe(reason), details: [], file: null };
  };
  const checks: CiCheck[] = [trendCheck('heap-trend', 'heap trend'), trendCheck('off-heap-trend', 'off-heap trend')];
  if (analysis) {
    checks.push(...findingChecks(analysis, options, report.storedWords));
  } else {
    // Snapshots turned off is the user's choice (skipped); snapshots that were due but gave no diff are an error.
    checks.push({
      group: 'leakcheck.snapshot-diff', name: 'snapshot diff', status: report.options.snapshots ? 'error' : 'skipped',
      message: analysisNote ?? 'the snapshot diff did not run', details: [], file: null,
    });
  }
  return checks;
}

/** One process's checks, named by its key (stable across runs) and titled by its label (with its pid); an error when it stopped being measured. */
function processChecks(view: ProcessView, report: RunReport, options: CiOptions): CiCheck[] {
  const checks = measuredChecks(view.verdict, view.analysis, report, options, view.analysisNote);
  if (view.lost) {
    checks.push({ group: 'leakcheck.run', name: 'measured', status: 'error', message: `measured until ${view.lost.phase}: ${view.lost.error}`, details: [], file: null });
  }
  const key = processKey(view);
  const label = processViewLabel(view);
  return checks.map((check) => ({ ...check, name: `${key}: ${check.name}`, title: `${label}: ${check.name}`, message: `${label}: ${check.message}`, process: key }));
}

const SEVERITY: readonly CheckStatus[] = ['failed', 'error', 'warning', 'passed', 'skipped'];

function worstStatus(checks: readonly CiCheck[]): CheckStatus {
  return SEVERITY.find((status) => checks.some((check) => check.status === status)) ?? 'passed';
}

/** Reasons that have a check of their own (a process's verdict is its checks); every other reason is about the run as a whole. */
const CHECKED_APART = new Set<VerdictReason['kind']>(['heap-trend', 'off-heap-trend', 'too-few-points', 'snapshot', 'process']);

/**
 * The run as a whole: an out-of-memory crash fails it; a crash, an interruption or a run that
 * measured nothing makes it an error whatever else passed; caveats (error responses, RSS only)
 * make it a warning.
 */
function runCheck(report: RunReport, describe: (reason: VerdictReason) => string): CiCheck {
  const { verdict } = report;
  const reasons = verdict.reasons.filter((r) => !CHECKED_APART.has(r.kind) && !(r.kind === 'v1-message' && CHECKED_APART.has(r.v1Kind as VerdictReason['kind'])));
  const lines = reasons.map(describe);
  const unmeasured = verdict.reasons.find((r) => r.kind === 'too-few-points');
  const measuredNothing = verdict.outcome !== 'clean' && verdict.outcome !== 'leak';
  const status: CheckStatus = reasons.some((r) => r.leak) ? 'failed'
    : measuredNothing || verdict.partial ? 'error'
      : reasons.length > 0 && !reasons.every((r) => r.kind === 'memwatch-rule') ? 'warning' : 'passed';
  if (report.target.crashed) lines.push(...crashExcerpt(report.target.stderrTail).map((line) => `| ${line}`));
  const message = lines[0] ?? (status === 'error' && unmeasured ? describe(unmeasured) : status === 'error' ? outcomeHeadline[verdict.outcome] : 'every phase ran');
  return { group: 'leakcheck.run', name: 'run', status, message, details: lines.slice(1), file: null };
}

/**
 * A run or diff that ended in an error before it had a verdict (the target never listened, a
 * snapshot is truncated): one check in error, so CI shows why instead of finding no report.
 */
export function failedSuite(kind: 'run' | 'diff', inputs: readonly string[], message: string): CiSuite {
  return {
    kind, name: suiteName(kind, inputs), outcome: 'inconclusive', headline: outcomeHeadline.inconclusive,
    startedAt: null, durationMs: null, facts: [], notes: [], processes: [],
    checks: [{ group: `leakcheck.${kind}`, name: kind, status: 'error', message, details: [], file: null }],
  };
}

/** The same name whether the command ended in a verdict or an error: a run by its command, a diff by its snapshots' file names. */
function suiteName(kind: 'run' | 'diff', inputs: readonly string[]): string {
  const names = kind === 'diff' ? inputs.map((path) => path.slice(path.lastIndexOf('/') + 1)) : inputs;
  return `leakcheck ${kind} ${names.join(' ')}`;
}
