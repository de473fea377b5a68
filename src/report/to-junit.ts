import type { CheckStatus, CiCheck, CiSuite } from './ci-checks.js';

/**
 * JUnit XML as Jenkins, GitLab (artifacts:reports:junit), Azure and the GitHub test-report actions
 * read it: <testsuites> holding one <testsuite> per run or diff and one <testcase> per check. A
 * leak is a <failure>; a check that could not be measured is an <error>, so a crashed or
 * interrupted run never reads as passing; a check turned off is <skipped>. A cluster run has one
 * <testsuite> per process (named by its key, its pid and role as properties) and one for the run.
 */
export function renderJunit(suites: readonly CiSuite[]): string {
  const parts = suites.flatMap(junitParts);
  const totals = parts.map((part) => count(part.checks));
  const sum = (key: keyof Counts) => totals.reduce((total, counts) => total + counts[key], 0);
  const seconds = suites.reduce((total, suite) => total + (suite.durationMs ?? 0), 0) / 1000;
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites${attributes({ name: 'leakcheck', tests: sum('tests'), failures: sum('failures'), errors: sum('errors'), skipped: sum('skipped'), time: seconds.toFixed(3) })}>`);
  parts.forEach((part, k) => {
    const { suite } = part;
    out.push(`  <testsuite${attributes({
      name: part.name, tests: totals[k]!.tests, failures: totals[k]!.failures, errors: totals[k]!.errors, skipped: totals[k]!.skipped,
      // A cluster's processes were all measured over the whole run.
      time: ((suite.durationMs ?? 0) / 1000).toFixed(3),
      // The JUnit schema's timestamp has no zone and no fraction: UTC, to the second.
      ...(suite.startedAt ? { timestamp: suite.startedAt.slice(0, 19) } : {}),
    })}>`);
    out.push('    <properties>');
    for (const [name, value] of part.properties) out.push(`      <property${attributes({ name, value })}/>`);
    out.push('    </properties>');
    for (const check of part.checks) out.push(...testcase(check));
    out.push(`    <system-out>${text(part.said.join('\n'))}</system-out>`);
    out.push('  </testsuite>');
  });
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

interface JunitPart {
  suite: CiSuite;
  name: string;
  properties: ReadonlyArray<readonly [string, string]>;
  checks: readonly CiCheck[];
  said: readonly string[];
}

/** A suite as one <testsuite>, or a cluster run's as one per process and one for the checks of the run as a whole. */
function junitParts(suite: CiSuite): JunitPart[] {
  const whole: JunitPart = {
    suite, name: suite.name, properties: [['outcome', suite.outcome], ...suite.facts],
    checks: suite.checks.filter((check) => check.process === undefined), said: [suite.headline, ...suite.notes],
  };
  if (suite.processes.length === 0) return [whole];
  return [
    ...suite.processes.map((p): JunitPart => ({
      suite, name: `${suite.name} · ${p.key}`,
      properties: [
        ['outcome', p.outcome], ['process', p.label], ['role', p.role], ['pid', String(p.pid ?? '')],
        ...(p.clusterWorkerId === null ? [] : [['cluster worker id', String(p.clusterWorkerId)] as const]), ['target', String(p.target)],
      ],
      checks: suite.checks.filter((check) => check.process === p.key), said: [`${p.label}: ${p.verdict}`],
    })),
    whole,
  ];
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

function count(checks: readonly CiCheck[]): Counts {
  const of = (status: CheckStatus) => checks.filter((check) => check.status === status).length;
  return { tests: checks.length, failures: of('failed'), errors: of('error'), skipped: of('skipped') };
}

const ELEMENT: Partial<Record<CheckStatus, string>> = { failed: 'failure', error: 'error' };

function testcase(check: CiCheck): string[] {
  const file: Record<string, string | number> = check.file ? { file: check.file.path, line: check.file.line } : {};
  const open = `    <testcase${attributes({ classname: check.group, name: check.name, ...file })}`;
  const body = [check.message, ...check.details].join('\n');
  const element = ELEMENT[check.status];
  if (element !== undefined) {
    const type = check.status === 'failed' ? 'leak' : 'not-measured';
    return [`${open}>`, `      <${element}${attributes({ message: check.message, type })}>${text(body)}</${element}>`, '    </testcase>'];
  }
  if (check.status === 'skipped') return [`${open}>`, `      <skipped${attributes({ message: check.message })}/>`, '    </testcase>'];
  return [`${open}>`, `      <system-out>${text(body)}</system-out>`, '    </testcase>'];
}

function attributes(values: Record<string, string | number>): string {
  return Object.entries(values).map(([name, value]) => ` ${name}="${attribute(String(value))}"`).join('');
}

/**
 * Characters XML 1.0 cannot carry at all (C0 controls but tab, newline and return; lone
 * surrogates; U+FFFE/U+FFFF) become U+FFFD: class names and event names come from the target's
 * heap, and one such character would make the whole report unreadable to a strict parser.
 */
function xmlChars(value: string): string {
  return value.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function text(value: string): string {
  return xmlChars(value).replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
}

/** Attribute values also escape quotes, and newlines and tabs, which parsers would otherwise normalise to spaces. */
function attribute(value: string): string {
  return text(value).replace(/["\n\r\t]/g, (c) => ({ '"': '&quot;', '\n': '&#10;', '\r': '&#13;', '\t': '&#9;' })[c]!);
}
