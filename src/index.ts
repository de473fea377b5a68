// The programmatic API: what the CLI does, callable from code. Re-exports only.
export { ErrorCode, LeakcheckError, isLeakcheckError, type ErrorCodeValue, type OffsetBase } from './errors.js';
export { noProgress, type Progress, type ProgressEvent } from './progress.js';
export { toolVersion } from './version.js';
export {
  loadSnapshot, loadSnapshotIds, parseSnapshot, summarizeClasses, topDominators, className, UNREACHABLE, Snapshot, IdOrderedSnapshot,
  type LoadOptions, type ParseOptions, type HeapGraph, type Retainers, type EdgeKind, type NodeKind,
  type CollectionKind, type CollectionSize,
  type RetainerPath, type RetainerPathOptions, type RetainerStep, type ClassSummary, type Dominator,
  type LocationTable, type NodeTypeIds, type EdgeTypeIds,
  inspectSnapshot, type InspectReport, type InspectNode, type InspectNodeDetail, type InspectPathStep, type InspectOptions,
  type InspectEdge, type InspectObject, type InspectPage, type InspectTreeNode, type InspectEdgeRow, type PageOptions,
} from './snapshot/index.js';
export {
  digestSnapshot, digestSnapshotFile, writeDigest, readDigest, isDigestFile, inspectDigest, validateDigest, compareDigests,
  DIGEST_FORMAT, DIGEST_SCHEMA_VERSION, DEFAULT_MIN_COUNTS, CROSS_PROCESS_DETECTORS,
  type HeapDigest, type DigestSource, type DigestMinCounts, type DigestClass, type DigestCollection, type DigestListenerGroup,
  type DigestClosureGroup, type DigestDominator, type DigestOptions, type DigestWritten, type CrossProcessComparison,
} from './digest/index.js';
export {
  analyzeSnapshots, DETECTOR_IDS, SnapshotIdLoader, type AnalyzeOptions, type AnalysisInput, type AnalysisResult, type SnapshotSummary, type AnalysisVerdict,
} from './analyze.js';
export {
  DEFAULT_THRESHOLDS, DEFAULT_DETECTOR_THRESHOLDS, ANALYSIS_SCHEMA_VERSION,
  type Finding, type FindingSubjects, type Evidence, type Severity, type SourceLocation, type Thresholds, type DetectorId,
  type CapturedVariable, type LocationGroup, type HolderPath, type HolderStep, type PathStep, type RetainerPathData, type HandleKind,
  type Cause, type CauseHolder, type HeapGrowthAccount,
  isDetectorId,
} from './detectors/index.js';
export { diffSnapshots, matchIds, type SnapshotDiff, type IdMatch, type ClassGrowthRow, type DiffWarning, type CrossProcessGap, type PreloadedSnapshots } from './diff/index.js';
export {
  renderFindingsText, findingTitle, retainerPathText, retainerPathTokens, holderText, locationText, functionLocationText,
  diffWarningText, type FindingsTextOptions, type WordsOptions,
} from './report/index.js';
export {
  runTarget, RunNotMeasured, newRunId, buildLoadPlan, readPhasesFile, parsePhases, analyzeRunSnapshots, computeTrends, decideVerdict,
  type RunOptions, type RunProgressEvent, type SnapshotAnalyzer, type LoadPhase, type LoadPlanOptions,
} from './runner/index.js';
export {
  RUN_REPORT_SCHEMA_VERSION, runReportToJson, parseRunReport, renderRunText, renderRunHtml, renderDiffHtml, projectHeapToLimit, describeProjection,
  type RunReport, type RunPhase, type PhaseIncomplete, type RunCheckpoint, type RunMemorySample, type RunGcSample, type SeriesTrend,
  type RunVerdict, type VerdictReason, type ReasonKind, type TrendJudgement, type ExitFacts, type Outcome,
} from './report/index.js';
export {
  runSuite, diffSuite, renderJunit, githubAnnotations, renderMarkdown,
  type CiSuite, type CiCheck, type CheckStatus, type CiOptions, type WorkspaceFile,
} from './report/index.js';
export {
  snapshotLiveProcess, watchLiveProcess, checkMemoryFit, parseInspectorAddress,
  type LiveSnapshotOptions, type LiveSnapshotResult, type TakenSnapshot, type LiveEvent, type WatchOptions, type WatchResult,
  type WatchEvent, type MemoryFit, type TargetMemory, type InspectorState, type InspectorAddress,
} from './live/index.js';
