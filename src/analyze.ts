import {
  accountHeapGrowth, attachAllocationSites, attachAllocationStacks, groupCauses, growingAllocationSites, SourceMaps,
  type AllocationSitesResult, type SampledProfile,
  ANALYSIS_SCHEMA_VERSION, DEFAULT_DETECTOR_THRESHOLDS, DEFAULT_THRESHOLDS, DETECTOR_IDS, DETECTORS, DetectorContext,
  type AnalysisResult, type DetectorId, type Finding, type Thresholds,
} from './detectors/index.js';
import { checkDistinctFiles, compareClasses, diffSnapshots, loadSnapshotsForDiff, type ComparedSnapshot, type PreloadedSnapshots } from './diff/index.js';
import { compareDigests, digestSnapshot, isDigestFile, readDigest, type HeapDigest } from './digest/index.js';
import { stat } from 'node:fs/promises';
import type { ClassGrowthRow } from './diff/index.js';
import { ErrorCode, LeakcheckError } from './errors.js';
import { noProgress, type Progress } from './progress.js';
import { checkSnapshotReadable, loadSnapshot, loadSnapshotIds, Snapshot } from './snapshot/index.js';
import { toolVersion } from './version.js';

export type { AllocationSitesResult, AnalysisResult, AnalysisVerdict, SampledProfile, SnapshotSummary } from './detectors/index.js';
export { DETECTOR_IDS } from './detectors/index.js';
// The runner parses a diff's earlier snapshots while it still runs: through this module, like every analysis.
export { SnapshotIdLoader, type ComparedSnapshot, type PreloadedSnapshots } from './diff/index.js';

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
  /**
   * Compare snapshots of different processes (method 'cross-process', src/digest/compare.ts).
   * Implied when any input is a digest; never switched on silently for snapshots.
   */
  crossProcess?: boolean;
  /**
   * Earlier inputs (given as paths) whose load by id is already under way, by path: `leakcheck run`
   * parses each as soon as it is written. Same checks and results as loading them here.
   */
  preloaded?: PreloadedSnapshots;
}

/** An input of a diff: a path (snapshot or digest, told apart by content), a loaded Snapshot, or a HeapDigest. */
export type AnalysisInput = string | Snapshot | HeapDigest;

/**
 * The whole pipeline behind `leakcheck diff`: load → match ids → detectors → verdict.
 * `inputs` are 2 or 3 snapshots of one process, oldest first: paths (loaded here, the earlier ones
 * in a worker thread while this thread loads the last) or already-loaded Snapshots (reused as they are). Throws LeakcheckError on bad input.
 */
export async function analyzeSnapshots(inputs: readonly AnalysisInput[], options: AnalyzeOptions = {}): Promise<AnalysisResult> {
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
  const ranking = { maxSuspects: options.maxSuspects ?? 20, maxClassRows: options.maxClassRows ?? 30 };
  if (options.crossProcess === true || await anyDigest(inputs)) {
    const { digests, fromDigest } = await digestInputs(inputs, label);
    const compared = compareDigests(digests, selected.map((detector) => detector.id), (id) => detectorThresholds[id] ?? thresholds);
    return {
      schemaVersion: ANALYSIS_SCHEMA_VERSION,
      snapshots: digests.map((digest, k) => ({
        path: typeof inputs[k] === 'string' ? inputs[k] as string : digest.source.path,
        nodeCount: digest.source.nodeCount, edgeCount: digest.source.edgeCount, totalBytes: digest.source.totalBytes,
        ...(fromDigest[k] ? { input: 'digest' as const } : {}),
      })),
      method: 'cross-process',
      thresholds,
      detectorThresholds,
      detectors: compared.detectors,
      ...rankedResult(compared.findings, compared.classGrowth, ranking),
      newInTarget: null,
      survivingCount: null,
      warnings: [compared.warning],
    };
  }
  // No input is a digest here (anyDigest above).
  const snapshotInputs = inputs as readonly (string | Snapshot)[];
  let loaded: { earlier: ComparedSnapshot[]; last: Snapshot };
  if (snapshotInputs.every((input): input is string => typeof input === 'string')) {
    loaded = await loadSnapshotsForDiff(snapshotInputs, (k, event) => label(k)(event), options.preloaded);
  } else {
    const earlier: ComparedSnapshot[] = [];
    for (const [k, input] of snapshotInputs.slice(0, -1).entries()) earlier.push(typeof input === 'string' ? await loadSnapshotIds(input, { onProgress: label(k) }) : input);
    const lastInput = snapshotInputs[snapshotInputs.length - 1]!;
    loaded = { earlier, last: typeof lastInput === 'string' ? await loadSnapshot(lastInput, { onProgress: label(snapshotInputs.length - 1) }) : lastInput };
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

  return {
    schemaVersion: ANALYSIS_SCHEMA_VERSION,
    snapshots: diff.snapshots.map((snapshot) => summarize(snapshot)),
    method: diff.threeSnapshot ? 'three-snapshot' : 'two-snapshot',
    thresholds,
    detectorThresholds,
    detectors: selected.map((detector) => detector.id),
    ...withCauses(context, rankedResult(findings, compareClasses(diff), ranking)),
    newInTarget: { count: diff.baseToTarget.addedCount, freedSinceBase: diff.baseToTarget.removedCount },
    survivingCount: diff.candidateCount,
    warnings: [...diff.warnings],
  };
}

/** Findings ranked and capped, the class rows that grew, and the verdict they make: the same for every method. */
function rankedResult(
  findings: readonly Finding[], classRows: readonly ClassGrowthRow[], ranking: { maxSuspects: number; maxClassRows: number },
): Pick<AnalysisResult, 'findings' | 'classGrowth' | 'verdict'> {
  const ranked = rankFindings(findings, ranking.maxSuspects);
  const leaks = ranked.filter((finding) => finding.severity === 'leak');
  return {
    findings: ranked,
    classGrowth: classRows.filter((row) => row.countDelta > 0 || row.shallowDelta > 0).slice(0, ranking.maxClassRows),
    verdict: { leak: leaks.length > 0, leakCount: leaks.length, suspectCount: ranked.length - leaks.length },
  };
}

/**
 * The ranked findings with the allocation stacks of their objects (where V8 tracked them), grouped
 * by the holder that keeps them, and how much of the heap's growth those causes account for.
 * Needs the object graph, so digests (cross-process) have neither.
 */
function withCauses(
  context: DetectorContext, result: ReturnType<typeof rankedResult>,
): ReturnType<typeof rankedResult> & Pick<AnalysisResult, 'causes' | 'heapGrowth'> {
  const findings = attachAllocationStacks(context, result.findings);
  const causes = groupCauses(context, findings);
  return {
    ...result,
    findings,
    causes,
    heapGrowth: accountHeapGrowth(context, causes),
    verdict: { ...result.verdict, leakCauseCount: causes.filter((cause) => cause.severity === 'leak').length },
  };
}

function isDigestInput(input: AnalysisInput): input is HeapDigest {
  return typeof input === 'object' && !(input instanceof Snapshot);
}

async function anyDigest(inputs: readonly AnalysisInput[]): Promise<boolean> {
  for (const input of inputs) if (isDigestInput(input) || (typeof input === 'string' && await isDigestFile(input))) return true;
  return false;
}

/**
 * Every input as a digest, oldest first: digests read (and validated), snapshots loaded one at a
 * time and digested, so memory holds one snapshot at most. The same file twice, or two digests of
 * one heap, would compare a heap with itself and read as clean: refused as in any diff.
 */
async function digestInputs(inputs: readonly AnalysisInput[], label: (k: number) => Progress): Promise<{ digests: HeapDigest[]; fromDigest: boolean[] }> {
  const paths = inputs.filter((input): input is string => typeof input === 'string');
  for (const path of paths) if (!await isDigestFile(path)) await checkSnapshotReadable(path);
  await checkDistinctFiles(paths);
  const digests: HeapDigest[] = [];
  const fromDigest: boolean[] = [];
  for (const [k, input] of inputs.entries()) {
    fromDigest.push(isDigestInput(input) || (typeof input === 'string' && await isDigestFile(input)));
    if (isDigestInput(input)) digests.push(input);
    else if (input instanceof Snapshot) digests.push(digestSnapshot(input, { toolVersion: toolVersion(), fileBytes: 0 }));
    else if (fromDigest[k]) digests.push(await readDigest(input));
    else {
      const snapshot = await loadSnapshot(input, { onProgress: label(k) });
      digests.push(digestSnapshot(snapshot, { toolVersion: toolVersion(), fileBytes: await stat(input).then((info) => info.size, () => 0) }));
    }
  }
  checkDistinctDigests(digests, inputs.map((input, k) => (typeof input === 'string' ? input : digests[k]!.source.path)));
  return { digests, fromDigest };
}

/** Two digests with the same content (where the file was and who wrote it aside) are of one heap. `names`: the inputs as given. */
function checkDistinctDigests(digests: readonly HeapDigest[], names: readonly string[]): void {
  const content = digests.map((digest) => JSON.stringify({ ...digest, toolVersion: '', source: { ...digest.source, path: '', fileBytes: 0 } }));
  for (let k = 1; k < content.length; k++) {
    const same = content.indexOf(content[k]!);
    if (same < k) {
      throw new LeakcheckError(ErrorCode.SNAPSHOTS_INCOMPARABLE, `holds the same heap as ${names[same]}; a diff compares snapshots taken one after another, not one with itself`, { file: names[k]! });
    }
  }
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
