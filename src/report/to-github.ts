import type { CheckStatus, CiCheck, CiSuite } from './ci-checks.js';

/**
 * GitHub Actions workflow commands, one line per check that needs a look: `::error` for a leak or
 * a check that could not be measured, `::warning` for a suspect or a caveat, placed at the
 * finding's source line when the function is in the workspace. GitHub shows at most 10
 * annotations of each level per step and drops the rest silently, so past that the last line
 * says how many more there are. In a cluster run the title names the process and its pid.
 */
export function githubAnnotations(suite: CiSuite): string[] {
  const lines: string[] = [];
  for (const level of ['error', 'warning'] as const) {
    const checks = suite.checks.filter((check) => LEVEL[check.status] === level);
    const shown = checks.length > MAX_PER_LEVEL ? checks.slice(0, MAX_PER_LEVEL - 1) : checks;
    for (const check of shown) lines.push(annotation(level, check));
    if (shown.length < checks.length) {
      const more = checks.length - shown.length;
      lines.push(command(level, { title: `leakcheck: ${more} more` }, `${more} more checks ${level === 'error' ? 'failed' : 'need a look'}: see the job summary or the JUnit report`));
    }
  }
  return lines;
}

const MAX_PER_LEVEL = 10;

const LEVEL: Partial<Record<CheckStatus, 'error' | 'warning'>> = { failed: 'error', error: 'error', warning: 'warning' };

function annotation(level: 'error' | 'warning', check: CiCheck): string {
  const where: Record<string, string> = check.file ? { file: check.file.path, line: String(check.file.line), col: String(check.file.column) } : {};
  return command(level, { ...where, title: `leakcheck: ${check.title ?? check.name}` }, [check.message, ...check.details].join('\n'));
}

function command(level: string, properties: Record<string, string>, message: string): string {
  const props = Object.entries(properties).map(([key, value]) => `${key}=${escapeProperty(value)}`).join(',');
  return `::${level} ${props}::${escapeData(message)}`;
}

/** The runner's rule for a command's message: `%`, CR and LF are percent-encoded (so a message can span lines). */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property value also encodes `:` and `,`, which end a value. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
