export { createStyle, plainStyle, type Style, type StyleOptions } from './style.js';
export {
  formatBytes, formatByteDelta, formatCount, formatCountDelta, formatDurationMs, formatDurationNs,
} from './units.js';
export * from './model.js';
export { outcomeOf } from './run-verdict.js';
export { runReportToJson, parseRunReport } from './to-json.js';
export { renderRunText } from './to-text.js';
export { describeExit, describeIncomplete, describeProjection, describeReason, outcomeHeadline, outcomeTone, reasonTone, type ReasonTone } from './verdict-words.js';
export { renderDiffHtml, renderRunHtml, escapeHtml } from './to-html.js';
export { trendSeries } from './trend-series.js';
export { heapTrendLine, projectHeapToLimit, type HeapProjection, type HeapTrendLine } from './heap-projection.js';
export { renderDigestWritten, renderInspectText } from './inspect-text.js';
export { diffVerdictText, diffWarningText, renderFindingsText, type FindingsTextOptions } from './findings-text.js';
export {
  evidenceText, findingHolder, findingName, findingTitle, findingWords, functionLocationText, holderText, locationText, type FindingWords, type FindingWordsOptions,
  type WordsOptions,
} from './finding-words.js';
export { edgeAccessor, edgeLabel, propertyAccessor, retainerPathText, retainerPathTokens } from './path-words.js';
export type { StoredWords } from './schema-v1.js';
export {
  renderSnapshotProgress, renderInspectorOpened, renderMemoryCheck, renderLiveSnapshotText, renderWatchText,
} from './live-text.js';
export { diffSuite, failedSuite, runSuite, workspaceFile, type CheckStatus, type CiCheck, type CiOptions, type CiSuite, type WorkspaceFile } from './ci-checks.js';
export { renderJunit } from './to-junit.js';
export { escapeData, escapeProperty, githubAnnotations } from './to-github.js';
export { renderMarkdown } from './to-markdown.js';
