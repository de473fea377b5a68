import { ErrorCode, LeakcheckError } from '../errors.js';
import { RUN_REPORT_SCHEMA_VERSION, type RunReport } from './model.js';
import { OUTCOMES, REASON_KINDS } from './run-verdict.js';
import { upgradePhasesV2, upgradeRunReportV1 } from './schema-v1.js';

/** Schema versions parseRunReport reads: the current one, and 1 (words stored where facts are now), upgraded on reading. */
const readableVersions: readonly unknown[] = [1, 2, RUN_REPORT_SCHEMA_VERSION];

/** report.json text: two-space indented, keys in the order the model declares them. */
export function runReportToJson(report: RunReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/**
 * Reads back a saved report.json, refusing anything that is not a run report of a schema version
 * this build understands (one-line errors naming the file); older versions come back as the current one.
 */
export function parseRunReport(text: string, file: string): RunReport {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LeakcheckError(ErrorCode.CONFIG_INVALID, `not a leakcheck run report: invalid JSON (${(error as Error).message})`, { file });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new LeakcheckError(ErrorCode.CONFIG_INVALID, 'not a leakcheck run report: expected a JSON object', { file });
  }
  const report = json as Omit<Partial<RunReport>, 'schemaVersion'> & { schemaVersion?: unknown } & Record<string, unknown>;
  if (report.schemaVersion === undefined || report.tool?.name !== 'leakcheck') {
    throw new LeakcheckError(ErrorCode.CONFIG_INVALID, 'not a leakcheck run report (no schemaVersion / tool.name)', { file });
  }
  if (!readableVersions.includes(report.schemaVersion)) {
    throw new LeakcheckError(ErrorCode.CONFIG_INVALID,
      `run report schema version ${String(report.schemaVersion)} is not supported (this leakcheck reads versions ${readableVersions.join(', ')})`, { file });
  }
  for (const key of ['phases', 'samples', 'checkpoints', 'trends'] as const) {
    if (!Array.isArray(report[key])) throw new LeakcheckError(ErrorCode.CONFIG_INVALID, `run report is missing the "${key}" array`, { file });
  }
  if (typeof report.analysis !== 'object' || (report.analysis !== null && !Array.isArray(report.analysis.findings))) {
    throw new LeakcheckError(ErrorCode.CONFIG_INVALID, 'run report has no valid "analysis" (an object with findings, or null)', { file });
  }
  if (typeof report.verdict !== 'object' || report.verdict === null || !Array.isArray(report.verdict.reasons)) {
    throw new LeakcheckError(ErrorCode.CONFIG_INVALID, 'run report is missing its verdict', { file });
  }
  if (report.schemaVersion === 1) return upgradeRunReportV1(report);
  if (report.schemaVersion === 2) upgradePhasesV2(report as unknown as RunReport);
  // Refused rather than rendered: a page or summary that skipped a reason it cannot word could
  // read as clean (a report written by a newer leakcheck, or edited by hand).
  const verdict = report.verdict as { outcome?: unknown; reasons: unknown[] };
  if (!(OUTCOMES as readonly unknown[]).includes(verdict.outcome)) {
    throw new LeakcheckError(ErrorCode.CONFIG_INVALID, `run report's verdict outcome ${JSON.stringify(verdict.outcome)} is unknown to this leakcheck (known: ${OUTCOMES.join(', ')})`, { file });
  }
  verdict.reasons.forEach((reason, at) => {
    const kind = typeof reason === 'object' && reason !== null ? (reason as { kind?: unknown }).kind : undefined;
    if (!(REASON_KINDS as readonly unknown[]).includes(kind)) {
      throw new LeakcheckError(ErrorCode.CONFIG_INVALID,
        `run report's verdict reason ${at} has kind ${JSON.stringify(kind)}, unknown to this leakcheck ${toolVersionNote(report.tool?.version)}(known: ${REASON_KINDS.join(', ')})`, { file });
    }
  });
  return { ...report, schemaVersion: RUN_REPORT_SCHEMA_VERSION } as unknown as RunReport;
}

/** "(the report was written by leakcheck 0.2.0) " when the report names a version: a newer writer is the likely cause. */
function toolVersionNote(version: unknown): string {
  return typeof version === 'string' ? `(the report was written by leakcheck ${version}) ` : '';
}
