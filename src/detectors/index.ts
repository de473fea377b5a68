// The detectors layer: an explicit, ordered list (earlier detectors claim what they explain, so
// the order is part of the behaviour) plus the contract and result types. Re-exports only below.
import { classGrowth } from './class-growth.js';
import type { Detector } from './detector.js';
import { duplicateListeners } from './duplicate-listeners.js';
import { growingCollections } from './growing-collections.js';
import { liveHandles } from './live-handles.js';
import { retainedClosures } from './retained-closures.js';

// Handles before closures: a Timeout dominates its callback, and "600 timers running heartbeat()"
// says more than "600 heartbeat closures".
export const DETECTORS: readonly Detector[] = [duplicateListeners, liveHandles, retainedClosures, growingCollections, classGrowth];

export type {
  CapturedVariable, Detector, DetectorId, Evidence, Finding, LocationGroup, Severity, SourceLocation, Thresholds,
} from './detector.js';
export { DetectorContext, renderRetainerPath } from './context.js';
export { describeSuppressions, judgeGrowth, type GrowthSeries, type LeakDecision } from './suppressions.js';
export { crossesThresholds, DEFAULT_DETECTOR_THRESHOLDS, DEFAULT_THRESHOLDS, severityOf } from './thresholds.js';
export { formatLocation, SourceLocator } from './source-location.js';
export {
  ANALYSIS_SCHEMA_VERSION, type AnalysisResult, type SnapshotSummary, type AnalysisVerdict,
} from './analysis-result.js';
