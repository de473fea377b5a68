// The programmatic API: what the CLI does, callable from code. Re-exports only.
export { ErrorCode, LeakcheckError, isLeakcheckError, type ErrorCodeValue, type OffsetBase } from './errors.js';
export { noProgress, type Progress, type ProgressEvent } from './progress.js';
export { toolVersion } from './version.js';
export {
  loadSnapshot, parseSnapshot, summarizeClasses, topDominators, className, edgeLabel, UNREACHABLE,
  type LoadOptions, type LoadedSnapshot, type ParseOptions, type Snapshot, type HeapGraph, type Retainers,
  type RetainerPath, type RetainerPathOptions, type RetainerStep, type ClassSummary, type Dominator,
  type LocationTable, type NodeTypeIds, type EdgeTypeIds,
  inspectSnapshot, type InspectReport, type InspectNode, type InspectNodeDetail, type InspectPathStep, type InspectOptions,
} from './snapshot/index.js';
export {
  analyzeSnapshots, DETECTOR_IDS, type AnalyzeOptions, type AnalysisResult, type SnapshotSummary, type Verdict,
} from './analyze.js';
export {
  DEFAULT_THRESHOLDS, DEFAULT_DETECTOR_THRESHOLDS, ANALYSIS_SCHEMA_VERSION,
  type Finding, type Evidence, type Severity, type SourceLocation, type Thresholds, type DetectorId,
  type CapturedVariable, type LocationGroup,
} from './detectors/index.js';
export { diffSnapshots, matchIds, type SnapshotDiff, type IdMatch, type ClassGrowthRow } from './diff/index.js';
export { renderFindingsText, type FindingsTextOptions } from './report/index.js';
export {
  runTarget, newRunId, buildLoadPlan, readPhasesFile, parsePhases, analyzeRunSnapshots, computeTrends, decideVerdict,
  type RunOptions, type RunProgressEvent, type SnapshotAnalyzer, type LoadPhase, type LoadPlanOptions,
} from './runner/index.js';
export {
  RUN_REPORT_SCHEMA_VERSION, runReportToJson, parseRunReport, renderRunText, renderRunHtml,
  type RunReport, type RunPhase, type RunCheckpoint, type RunMemorySample, type RunGcSample, type SeriesTrend,
  type Verdict as RunVerdict, type VerdictReason, type Outcome,
} from './report/index.js';
