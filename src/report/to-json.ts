import { ErrorCode, LeakcheckError } from '../errors.js';
import { RUN_REPORT_SCHEMA_VERSION, type RunReport } from './model.js';
import { upgradeRunReportV1 } from './schema-v1.js';

/** Schema versions parseRunReport reads: the current one, and 1 (words stored where facts are now), upgraded on reading. */
const readableVersions: readonly unknown[] = [1, RUN_REPORT_SCHEMA_VERSION];

/** report.json text: two-space indented, keys in the order the model declares them. */
export function runReportToJson(report: RunReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/**
 * Reads back a saved report.json, refusing anything that is not a run report of a schema version
 * this build understands (one-line errors naming the file).
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
      `run report schema version ${String(report.schemaVersion)} is not supported (this leakcheck reads versions ${readableVersions.join(' and ')})`, { file });
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
  return report.schemaVersion === 1 ? upgradeRunReportV1(report) : report as unknown as RunReport;
}
