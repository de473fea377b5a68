import type { AnalysisResult, Evidence, Finding, HandleKind } from '../detectors/index.js';
import { RUN_REPORT_SCHEMA_VERSION, type RunReport } from './model.js';
import type { VerdictReason } from './run-verdict.js';

/**
 * Reading report.json files of schema 1 (leakcheck 0.1.0): findings carried finished titles and
 * retainer paths as rendered strings, the diff's verdict listed titles, and the run verdict's
 * reasons were sentences. The upgrade keeps every fact schema 1 had as facts (kind, severity,
 * sizes, counts, location) and carries its words over as stored (RunReport.storedWords, reasons of
 * kind 'v1-message'), so `leakcheck report` shows an old run as it was shown then.
 */

interface FindingV1 {
  readonly kind: Finding['kind'];
  readonly title: string;
  readonly severity: Finding['severity'];
  readonly retainedSize: number;
  readonly growth: Finding['growth'];
  readonly location: Finding['location'];
  readonly retainerPath: readonly string[];
  readonly evidence: Evidence & { readonly holder?: string; readonly subject?: string };
}

/** Words a schema-1 report stored where schema 2 keeps facts; index i belongs to analysis.findings[i]. */
export interface StoredWords {
  readonly findingTitles: readonly string[];
  readonly findingPaths: readonly (readonly string[])[];
  readonly findingHolders: readonly (string | null)[];
}

/** A parsed schema-1 object (already checked for the arrays every version has) → schema 2. */
export function upgradeRunReportV1(stored: Record<string, unknown>): RunReport {
  const report = upgradeVerdictV1(stored as unknown as RunReport);
  const analysis = stored['analysis'] as (Omit<AnalysisResult, 'schemaVersion' | 'findings' | 'verdict' | 'warnings'> & {
    findings: FindingV1[]; warnings: string[];
  }) | null;
  if (analysis === null) return report;
  const findings = analysis.findings.map(upgradeFinding);
  const leakCount = findings.filter((f) => f.severity === 'leak').length;
  const upgraded: AnalysisResult = {
    ...analysis,
    schemaVersion: 2,
    findings,
    // Schema 1 wrote the two-snapshot warning as text; it is the only warning it had.
    warnings: analysis.warnings.length > 0 ? [{ kind: 'two-snapshots' }] : [],
    verdict: { leak: leakCount > 0, leakCount, suspectCount: findings.length - leakCount },
  };
  return {
    ...report,
    analysis: upgraded,
    storedWords: {
      findingTitles: analysis.findings.map((f) => f.title),
      findingPaths: analysis.findings.map((f) => f.retainerPath),
      findingHolders: analysis.findings.map((f) => f.evidence.holder ?? null),
    },
  };
}

function upgradeFinding(old: FindingV1): Finding {
  const { holder: _holder, subject, ...evidence } = old.evidence;
  const common = {
    severity: old.severity, retainedSize: old.retainedSize, growth: old.growth, location: old.location, retainerPath: null, evidence,
  };
  // Subjects from what schema 1 kept as facts; the rest of the title is in storedWords.
  switch (old.kind) {
    case 'duplicate-listeners':
      return { ...common, kind: old.kind, subject: { emitter: old.title.split(' ')[0] ?? '', emitterId: 0, event: subject ?? '' } };
    case 'live-handles':
      return { ...common, kind: old.kind, subject: { className: subject ?? '', handleKind: handleKindOf(subject) } };
    case 'retained-closures':
      return { ...common, kind: old.kind, subject: { functionName: old.location?.functionName ?? '' } };
    case 'growing-collections':
      return { ...common, kind: old.kind, subject: { collection: collectionOf(evidence.unit), nodeId: 0, holder: null } };
    case 'class-growth':
      return { ...common, kind: old.kind, subject: { className: old.title.slice(0, Math.max(0, old.title.indexOf(':'))), holder: null } };
  }
}

function handleKindOf(className: string | undefined): HandleKind {
  if (className === 'Timeout' || className === 'Immediate') return 'timers';
  if (className === 'Promise') return 'promises';
  if (className === 'ServerResponse' || className === 'IncomingMessage' || className === 'ClientRequest') return 'http-exchanges';
  if (className === 'FileHandle') return 'file-handles';
  if (className === 'WriteStream' || className === 'ReadStream') return 'streams';
  return 'sockets';
}

function collectionOf(unit: Evidence['unit']): 'Map' | 'Array' | 'Object' {
  return unit === 'elements' ? 'Array' : unit === 'properties' ? 'Object' : 'Map';
}

/** A schema-1 report kept each verdict reason as text: keep the text, mark it as such, and say whether the run was cut short. */
function upgradeVerdictV1(report: RunReport): RunReport {
  const reasons = report.verdict.reasons as unknown as Array<{ kind: string; leak: boolean; message: string }>;
  upgradePhasesV2(report);
  return {
    ...report,
    schemaVersion: RUN_REPORT_SCHEMA_VERSION,
    verdict: {
      ...report.verdict,
      partial: report.target.crashed || report.verdict.outcome === 'interrupted',
      reasons: reasons.map((r): VerdictReason => ({ kind: 'v1-message', leak: r.leak, v1Kind: r.kind, message: String(r.message) })),
    },
  };
}

/** Schemas 1 and 2 kept why a phase stopped as a sentence: keep it, marked as stored text (in place: the object is freshly parsed). */
export function upgradePhasesV2(report: RunReport): void {
  for (const phase of report.phases) {
    const stored = phase.incomplete as unknown;
    if (typeof stored === 'string') phase.incomplete = { kind: 'stored-text', text: stored };
  }
}
