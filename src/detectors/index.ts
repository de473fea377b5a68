// The detectors layer: an explicit, ordered list (earlier detectors claim what they explain, so
// the order is part of the behaviour) plus the contract and result types. Re-exports only below.
import { classGrowth } from './class-growth.js';
import type { Detector, DetectorId } from './detector.js';
import { duplicateListeners } from './duplicate-listeners.js';
import { growingCollections } from './growing-collections.js';
import { liveHandles } from './live-handles.js';
import { retainedClosures } from './retained-closures.js';

// Handles before closures: a Timeout dominates its callback, and "600 timers running heartbeat()"
// says more than "600 heartbeat closures".
export const DETECTORS: readonly Detector[] = [duplicateListeners, liveHandles, retainedClosures, growingCollections, classGrowth];

/** Ids `--detector` accepts, in the order the detectors run. */
export const DETECTOR_IDS: readonly DetectorId[] = DETECTORS.map((detector) => detector.id);

export function isDetectorId(value: string): value is DetectorId {
  return (DETECTOR_IDS as readonly string[]).includes(value);
}

export type {
  AllocationFrame, AllocationSite, AllocationStack, FrameOrigin, SiteMatch, CapturedVariable, Detector, DetectorId, Evidence, Finding, FindingSubjects, HandleKind, HandleOwner, HolderPath, HolderStep, LocationGroup,
  PathStep, RetainerPathData, Severity, SourceLocation, Thresholds, WrapperKind,
} from './detector.js';
export { DetectorContext, clusterRetainedSize, retainerPathData } from './context.js';
export { accountHeapGrowth, groupCauses, type Cause, type CauseHolder, type HeapGrowthAccount } from './causes.js';
export { everyListenerList, type ListenerList } from './duplicate-listeners.js';
export { declaringLocation } from './growing-collections.js';
export { visibleClasses } from './class-growth.js';
export { unwrapFunction, type Unwrapped } from './wrappers.js';
export { SourceMaps } from './source-maps.js';
export { holderKey, holderPath, holderSignature, MapEntryKeys } from './holders.js';
export { describeSuppressions, judgeGrowth, type GrowthSeries, type LeakDecision } from './suppressions.js';
export { crossesThresholds, DEFAULT_DETECTOR_THRESHOLDS, DEFAULT_THRESHOLDS, severityOf } from './thresholds.js';
export { SourceLocator } from './source-location.js';
export { attachAllocationStacks } from './allocation-stacks.js';
export { attachAllocationSites, growingAllocationSites, type AllocationSitesResult, type SampledProfile } from './allocation-sites.js';
export { ANALYSIS_SCHEMA_VERSION, type AnalysisResult, type AnalysisVerdict, type SnapshotSummary } from './analysis-result.js';
