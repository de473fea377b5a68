import {
  attachAllocationSites, attachAllocationStacks, growingAllocationSites, SourceMaps, type AllocationSitesResult, type SampledProfile,
  ANALYSIS_SCHEMA_VERSION, DEFAULT_DETECTOR_THRESHOLDS, DEFAULT_THRESHOLDS, DETECTOR_IDS, DETECTORS, DetectorContext,
  type AnalysisResult, type DetectorId, type Finding, type Thresholds,
} from './detectors/index.js';
import { compareClasses, diffSnapshots, loadSnapshotsForDiff, type ComparedSnapshot } from './diff/index.js';
import { ErrorCode, LeakcheckError } from './errors.js';
import { noProgress, type Progress } from './progress.js';
import { loadSnapshot, loadSnapshotIds, type Snapshot } from './snapshot/index.js';

export type { AllocationSitesResult, AnalysisResult, AnalysisVerdict, SampledProfile, SnapshotSummary } from './detectors/index.js';
export { DETECTOR_IDS } from './detectors/index.js';

export interface AnalyzeOptions {
  /** Gate thresholds; unset fields keep DEFAULT_THRESHOLDS. */
  thresholds?: Partial<Thresholds>;
  /** Per-detector overrides, e.g. { 'duplicate-listeners': { minGrowthCount: 5 } }. */
  detectorThresholds?: Readonly<Partial<Record<DetectorId, Partial<Thresholds>>>>;
  /** Run only these detector ids (default: all, in their fixed order). */
  detectors?: readonly DetectorId[];
  onProgress?: Progress;
  /** Rows kept in `classGrowth` (default 30). */
  maxClassRows?: number;
  /** Findings of severity 'suspect' kept (default 20); leaks are never cut. */
  maxSuspects?: number;
}

/**
 * The whole pipeline behind `leakcheck diff`: load → match ids → detectors → verdict.
 * `inputs` are 2 or 3 snapshots of one process, oldest first: paths (loaded here, the earlier ones
 * in a worker thread while this thread loads the last) or already-loaded Snapshots (reused as they are). Throws LeakcheckError on bad input.
 */
export async function analyzeSnapshots(inputs: readonly (string | Snapshot)[], options: AnalyzeOptions = {}): Promise<AnalysisResult> {
  if (inputs.length !== 2 && inputs.length !== 3) {
    throw new LeakcheckError(ErrorCode.USAGE, `analyze needs 2 or 3 snapshots (base, target[, final]); got ${inputs.length}`);
  }
  const onProgress = options.onProgress ?? noProgress;
  const selected = selectDetectors(options.detectors);
  const thresholds = resolveThresholds(DEFAULT_THRESHOLDS, options.thresholds);
  const detectorThresholds: Partial<Record<DetectorId, Thresholds>> = {};
  for (const detector of DETECTORS) {
    // A built-in per-detector default yields to a global threshold the caller set explicitly.
    const builtIn = Object.fromEntries(Object.entries(DEFAULT_DETECTOR_THRESHOLDS[detector.id] ?? {})
      .filter(([field]) => options.thresholds?.[field as keyof Thresholds] === undefined));
    const override = { ...builtIn, ...options.detectorThresholds?.[detector.id] };
    if (Object.keys(override).length > 0) detectorThresholds[detector.id] = resolveThresholds(thresholds, override);
  }

  const label = (k: number): Progress => (event) => onProgress({ ...event, phase: `snapshot ${k + 1}/${inputs.length}: ${event.phase}` });
  let loaded: { earlier: ComparedSnapshot[]; last: Snapshot };
  if (inputs.every((input): input is string => typeof input === 'string')) {
    loaded = await loadSnapshotsForDiff(inputs, (k, event) => label(k)(event));
  } else {
    const earlier: ComparedSnapshot[] = [];
    for (const [k, input] of inputs.slice(0, -1).entries()) earlier.push(typeof input === 'string' ? await loadSnapshotIds(input, { onProgress: label(k) }) : input);
    const lastInput = inputs[inputs.length - 1]!;
    loaded = { earlier, last: typeof lastInput === 'string' ? await loadSnapshot(lastInput, { onProgress: label(inputs.length - 1) }) : lastInput };
  }

  onProgress({ phase: 'diff', done: 0, total: 1 });
  const diff = diffSnapshots(loaded.earlier, loaded.last);
  const context = new DetectorContext(diff, thresholds, new Map(Object.entries(detectorThresholds) as [DetectorId, Thresholds][]));
  const findings: Finding[] = [];
  for (const [index, detector] of selected.entries()) {
    onProgress({ phase: `detector ${detector.id}`, done: index, total: selected.length });
    findings.push(...detector.detect(context));
  }
  onProgress({ phase: 'diff', done: 1, total: 1 });

  const ranked = attachAllocationStacks(context, rankFindings(findings, options.maxSuspects ?? 20));
  const leaks = ranked.filter((finding) => finding.severity === 'leak');
  const classGrowth = compareClasses(diff)
    .filter((row) => row.countDelta > 0 || row.shallowDelta > 0)
    .slice(0, options.maxClassRows ?? 30);
  return {
    schemaVersion: ANALYSIS_SCHEMA_VERSION,
    snapshots: diff.snapshots.map((snapshot) => summarize(snapshot)),
    method: diff.threeSnapshot ? 'three-snapshot' : 'two-snapshot',
    thresholds,
    detectorThresholds,
    detectors: selected.map((detector) => detector.id),
    findings: ranked,
    classGrowth,
    newInTarget: { count: diff.baseToTarget.addedCount, freedSinceBase: diff.baseToTarget.removedCount },
    survivingCount: diff.candidateCount,
    warnings: [...diff.warnings],
    verdict: { leak: leaks.length > 0, leakCount: leaks.length, suspectCount: ranked.length - leaks.length },
  };
}

/**
 * A run's sampled allocation sites (one profile per measured checkpoint, oldest first): the growing
 * ones, mapped to original sources, attached to the findings they match; the rest listed apart.
 */
export function explainWithAllocationSites(
  findings: readonly Finding[],
  checkpoints: readonly { phase: string; atMs: number; profile: SampledProfile }[],
): { findings: Finding[]; allocationSites: AllocationSitesResult } {
  const sites = growingAllocationSites(checkpoints.map((c) => c.profile), new SourceMaps());
  const attached = attachAllocationSites(findings, sites);
  return {
    findings: attached.findings,
    allocationSites: {
      samplingIntervalBytes: checkpoints[0]?.profile.samplingIntervalBytes ?? 0,
      checkpoints: checkpoints.map((c) => ({ phase: c.phase, atMs: c.atMs, totalLiveBytes: c.profile.totalLiveBytes })),
      ...attached.result,
    },
  };
}

function selectDetectors(ids: readonly DetectorId[] | undefined): typeof DETECTORS {
  if (ids === undefined || ids.length === 0) return DETECTORS;
  for (const id of ids) {
    if (!DETECTOR_IDS.includes(id)) {
      throw new LeakcheckError(ErrorCode.USAGE, `unknown detector '${id}'; known: ${DETECTOR_IDS.join(', ')}`);
    }
  }
  return DETECTORS.filter((detector) => ids.includes(detector.id));
}

function resolveThresholds(base: Thresholds, override: Partial<Thresholds> | undefined): Thresholds {
  const result = { ...base, ...override };
  for (const [field, value] of Object.entries(result)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new LeakcheckError(ErrorCode.USAGE, `threshold ${field} must be a number >= 0, got ${String(value)}`);
    }
  }
  return result;
}

/** Leaks first, then suspects; largest retained size first within each; suspects capped. */
function rankFindings(findings: readonly Finding[], maxSuspects: number): Finding[] {
  const bySize = (a: Finding, b: Finding): number => b.retainedSize - a.retainedSize || b.growth.count - a.growth.count;
  const leaks = findings.filter((f) => f.severity === 'leak').sort(bySize);
  const suspects = findings.filter((f) => f.severity === 'suspect').sort(bySize).slice(0, maxSuspects);
  return [...leaks, ...suspects];
}

function summarize(snapshot: ComparedSnapshot): AnalysisResult['snapshots'][number] {
  const graph = snapshot.graph;
  return { path: graph.source, nodeCount: graph.nodeCount, edgeCount: graph.edgeCount, totalBytes: snapshot.totalSize };
}
