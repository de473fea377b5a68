import type { CheckStatus, CiCheck, CiProcess, CiSuite } from './ci-checks.js';
import type { Outcome } from './run-verdict.js';

/**
 * A run or a diff as GitHub-flavoured Markdown, for `--reporter markdown=<file>` and the GitHub
 * job summary: the verdict, a table of every check (and of every process, in a cluster run), then
 * each failed or doubtful check with its evidence, location and retainer path. Every string from the target (class names, event names,
 * paths) is escaped, so a name cannot start a table cell, a link or an HTML tag.
 */
export function renderMarkdown(suite: CiSuite): string {
  const out: string[] = [];
  out.push(`### ${outcomeMark(suite.outcome)} ${inline(suite.name)}: ${inline(suite.headline)}`, '');
  for (const [label, value] of suite.facts) out.push(`- ${inline(label)}: ${code(value)}`);
  for (const note of suite.notes) out.push(`- ${MARK.warning} ${inline(note)}`);
  if (suite.processes.length > 0) out.push('', ...processTable(suite.processes));
  out.push('', '| | check | result |', '|---|---|---|');
  for (const check of suite.checks) out.push(`| ${MARK[check.status]} | ${inline(check.name)} | ${inline(check.message)} |`);
  const worthALook = suite.checks.filter((check) => check.status !== 'passed' && check.status !== 'skipped' && check.details.length > 0);
  for (const check of worthALook) out.push('', ...details(check));
  return `${out.join('\n')}\n`;
}

const MARK: Readonly<Record<CheckStatus, string>> = { passed: '✅', warning: '⚠️', failed: '❌', error: '⛔', skipped: '⏭️' };

/** A verdict marked as its checks are: anything but clean or leak did not measure what it should have. */
function outcomeMark(outcome: Outcome): string {
  return MARK[outcome === 'clean' ? 'passed' : outcome === 'leak' ? 'failed' : 'error'];
}

function details(check: CiCheck): string[] {
  const where = check.file ? ` (${code(`${check.file.path}:${check.file.line}`)})` : '';
  return [`#### ${MARK[check.status]} ${inline(check.title ?? check.name)}${where}`, '', `> ${inline(check.message)}`, '', ...check.details.map((line) => `- ${code(line)}`)];
}

/** A cluster run's processes, the leaking ones first: which one leaked, by pid, and how its heap went. */
function processTable(processes: readonly CiProcess[]): string[] {
  const rows = processes.map((p) => `| ${MARK[p.status]} | ${inline(p.role)}${p.target ? ' (the target)' : ''} | ${p.pid ?? '?'} | ${p.clusterWorkerId ?? '—'} | ${inline(p.verdict)} | ${inline(p.figures.heap)} | ${inline(p.figures.trend)} | ${inline(p.figures.findings)} |`);
  return ['| | process | pid | worker id | verdict | heap after GC | trend | findings |', '|---|---|---|---|---|---|---|---|', ...rows];
}

/**
 * Text on one line with what could start emphasis, code, a link, a table cell, strikethrough or
 * an HTML tag escaped. It never starts a line, so list and heading markers need no escape.
 */
function inline(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/[\\`*_[\]|~<>&]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : `\\${c}`));
}

/** A code span whose fence is longer than any backtick run inside it, as CommonMark requires. */
function code(text: string): string {
  const flat = text.replace(/\r?\n/g, ' ');
  const longest = Math.max(0, ...[...flat.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}
