import { judgeGrowth, severityOf, type DetectorId, type Finding, type Severity, type Thresholds } from '../detectors/index.js';
import type { ClassGrowthRow, DiffWarning } from '../diff/index.js';
import { ErrorCode, LeakcheckError } from '../errors.js';
import { closureKey, collectionKey, listenerKey } from './keys.js';
import type { DigestMinCounts, GroupRef, HeapDigest } from './schema.js';

/** The detectors the cross-process method can run: live handles need object identity (the handles that survived), so that one cannot. */
export const CROSS_PROCESS_DETECTORS: readonly DetectorId[] = ['duplicate-listeners', 'retained-closures', 'growing-collections', 'class-growth'];

export interface CrossProcessComparison {
  /** Unranked; the caller ranks and caps them as for any diff. */
  readonly findings: Finding[];
  /** Every class in any digest, as ClassGrowthRow (no candidate counts), largest shallow growth first. */
  readonly classGrowth: ClassGrowthRow[];
  /** The requested detectors this method ran, in order. */
  readonly detectors: readonly DetectorId[];
  readonly warning: DiffWarning;
}

/**
 * The cross-process diff: digests of different processes (oldest first) compared group by group.
 * A group is the same group in every digest when its key matches (keys.ts: holder path, emitter
 * and event, source location, class name); its count per digest is its series, and the series is
 * judged by the same rules as any diff (suppressions.ts) except the survivor rule, which needs
 * object ids. Groups a digest left out (below its floors) count 0 there. What one reported group
 * holds is not reported again (the digest's containment, standing in for the detectors' claims).
 */
export function compareDigests(
  digests: readonly HeapDigest[], requested: readonly DetectorId[], thresholdsFor: (id: DetectorId) => Thresholds,
): CrossProcessComparison {
  const detectors = requested.filter((id) => CROSS_PROCESS_DETECTORS.includes(id));
  // Running none would print "clean" about nothing measured.
  if (detectors.length === 0) {
    throw new LeakcheckError(ErrorCode.USAGE, `${requested.join(', ')} cannot run across processes (it needs object ids); the cross-process method runs ${CROSS_PROCESS_DETECTORS.join(', ')}`);
  }
  const candidates: Candidate[] = [];
  // Each detector's groups, matched across the digests and judged; `describe` adds what the finding is about.
  const collect = <Row extends { readonly retainedBytes: number; readonly insideOf: GroupRef | null }>(
    id: DetectorId, kind: GroupRef['kind'], rows: readonly (readonly Row[])[], keyOf: (row: Row) => string, sizeOf: (row: Row) => number,
    describe: (row: Row, series: Series<Row>) => FindingFacts, nodeHeld?: (row: Row) => boolean,
  ): void => {
    if (!detectors.includes(id)) return;
    for (const series of matchGroups(rows, keyOf, sizeOf)) {
      const verdict = judged(id, series.counts, series.bytes, thresholdsFor);
      if (!verdict) continue;
      // What Node's own code holds fills lazily as code paths run, and across processes nothing
      // tells that from a leak (require.cache growing is both): shown, never failing the gate.
      if (nodeHeld?.(series.last) === true && verdict.severity === 'leak') verdict.severity = 'suspect';
      const finding = { ...describe(series.last, series), ...verdict, retainerPath: null } as Finding;
      candidates.push({ ref: { kind, key: series.key }, insideOf: series.last.insideOf, finding });
    }
  };
  collect('duplicate-listeners', 'listeners', digests.map((d) => d.listeners), listenerKey, (row) => row.count, (row, series) => ({
    kind: 'duplicate-listeners',
    subject: { emitter: row.emitterClass, emitterId: row.exampleEmitterId, event: row.event },
    location: row.location,
    evidence: {
      unit: 'listeners', counts: series.counts, bytes: series.bytes, survivingCount: null,
      groups: [{ location: row.location, count: row.count, ...(row.wrapper ? { wrapper: row.wrapper } : {}) }],
    },
  }));
  collect('retained-closures', 'closures', digests.map((d) => d.closures), closureKey, (row) => row.count, (row, series) => ({
    kind: 'retained-closures',
    subject: { functionName: row.functionName, ...(row.wrapper ? { wrapper: row.wrapper } : {}) },
    location: row.location,
    evidence: { unit: 'closures', counts: series.counts, bytes: series.bytes, survivingCount: null },
  }));
  collect('growing-collections', 'collections', digests.map((d) => d.collections), collectionKey, (row) => row.size, (row, series) => ({
    kind: 'growing-collections',
    subject: { collection: row.kind, nodeId: row.exampleId, holder: row.holder },
    location: row.location,
    evidence: {
      unit: row.kind === 'Array' ? 'elements' : row.kind === 'Object' ? 'properties' : 'entries',
      counts: series.counts, bytes: series.bytes, survivingCount: null,
    },
  }), (row) => row.nodeHeld);
  // A group held by another group that grew too is a part of that one's growth (the arrays of a
  // growing Map's entries, the array of a growing listener list): reported once. In detector
  // order, then largest first, as the detectors claim: a group is absorbed only by one decided
  // before it, so two groups that hold each other (a chain of closures and objects) keep one.
  const order: readonly string[] = ['duplicate-listeners', 'retained-closures', 'growing-collections'];
  candidates.sort((a, b) => order.indexOf(a.finding.kind) - order.indexOf(b.finding.kind) || b.finding.retainedSize - a.finding.retainedSize);
  const decided = new Set<string>();
  const findings: Finding[] = [];
  for (const { finding, ref, insideOf } of candidates) {
    if (insideOf === null || !decided.has(refKey(insideOf))) findings.push(finding);
    decided.add(refKey(ref));
  }
  const candidateKeys = decided;
  const classGrowth = compareClassTables(digests);
  // Every group that grew is a reported one or a part of one: their objects are accounted for.
  if (detectors.includes('class-growth')) findings.push(...classFindings(digests, classGrowth, candidateKeys, thresholdsFor));
  return { findings, classGrowth, detectors, warning: crossProcessWarning(digests, requested.filter((id) => !detectors.includes(id))) };
}

function refKey(ref: GroupRef): string {
  return `${ref.kind}:${ref.key}`;
}

/**
 * Classes whose user-visible objects grew outside the groups reported above: each digest says how
 * many of a class's objects every group holds, and those of reported groups are subtracted
 * (counts, and their shallow bytes from the class's retained bytes) before the series is judged.
 */
function classFindings(
  digests: readonly HeapDigest[], rows: readonly ClassGrowthRow[], reported: ReadonlySet<string>, thresholdsFor: (id: DetectorId) => Thresholds,
): Finding[] {
  const tables = digests.map((digest) => new Map(digest.classes.map((row) => [row.name, row])));
  const findings: Finding[] = [];
  for (const row of rows) {
    const lastRow = tables[tables.length - 1]!.get(row.className);
    if (!lastRow?.userVisible) continue;
    const held = tables.map((table) => {
      let count = 0;
      let bytes = 0;
      for (const entry of table.get(row.className)?.inGroups ?? []) {
        if (!reported.has(refKey(entry.group))) continue;
        count += entry.count;
        bytes += entry.shallowBytes;
      }
      return { count, bytes };
    });
    const counts = row.counts.map((count, k) => Math.max(0, count - held[k]!.count));
    const bytes = row.retainedBytes.map((retained, k) => Math.max(0, retained - held[k]!.bytes));
    const finding = judged('class-growth', counts, bytes, thresholdsFor);
    if (!finding) continue;
    findings.push({
      kind: 'class-growth', ...finding,
      subject: { className: row.className, holder: null },
      location: null,
      retainerPath: null,
      evidence: { unit: 'objects', counts: row.counts, bytes, survivingCount: null },
    });
  }
  return findings;
}

/** What a finding is about (kind, subject, location, evidence): the verdict and the (absent) path are added by compareDigests. */
type FindingFacts = { [K in Finding['kind']]: Pick<Extract<Finding, { kind: K }>, 'kind' | 'subject' | 'location' | 'evidence'> }[Finding['kind']];

interface Candidate {
  readonly finding: Finding;
  readonly ref: GroupRef;
  /** The group that holds this one in the last digest. */
  readonly insideOf: GroupRef | null;
}

interface Series<Row> {
  readonly key: string;
  /** The group's row in the last digest (where findings are described). */
  readonly last: Row;
  readonly counts: number[];
  readonly bytes: number[];
}

/** Every group of the last digest (rows per digest, oldest first) with its count and bytes in each digest (0 where it is missing). */
function matchGroups<Row extends { readonly retainedBytes: number }>(
  rowsPerDigest: readonly (readonly Row[])[], keyOf: (row: Row) => string, sizeOf: (row: Row) => number,
): Series<Row>[] {
  const byKey = rowsPerDigest.map((rowsOfDigest) => {
    const rows = new Map<string, Row>();
    for (const row of rowsOfDigest) rows.set(keyOf(row), row);
    return rows;
  });
  const lastRows = byKey[byKey.length - 1]!;
  return [...lastRows].map(([key, last]) => ({
    key,
    last,
    counts: byKey.map((rows) => {
      const row = rows.get(key);
      return row ? sizeOf(row) : 0;
    }),
    bytes: byKey.map((rows) => rows.get(key)?.retainedBytes ?? 0),
  }));
}

/** The verdict part of a finding, or undefined when the series is no finding (suppressions.ts without the survivor rule). */
function judged(
  id: DetectorId, counts: readonly number[], bytes: readonly number[], thresholdsFor: (id: DetectorId) => Thresholds,
): { severity: Severity; retainedSize: number; growth: Finding['growth'] } | undefined {
  const decision = judgeGrowth({ counts, survivingCount: null });
  const growth = { count: counts[counts.length - 1]! - counts[0]!, bytes: bytes[bytes.length - 1]! - bytes[0]! };
  const severity = severityOf(decision, growth, thresholdsFor(id));
  if (severity === undefined) return undefined;
  return { severity, retainedSize: bytes[bytes.length - 1]!, growth };
}

/** The class tables side by side: every class in any digest (0 where a digest left it out). */
function compareClassTables(digests: readonly HeapDigest[]): ClassGrowthRow[] {
  const tables = digests.map((digest) => new Map(digest.classes.map((row) => [row.name, row])));
  const names = new Set(digests.flatMap((digest) => digest.classes.map((row) => row.name)));
  const rows: ClassGrowthRow[] = [];
  for (const className of names) {
    const pick = (field: 'count' | 'shallowBytes' | 'retainedBytes'): number[] => tables.map((table) => table.get(className)?.[field] ?? 0);
    const counts = pick('count');
    const shallowBytes = pick('shallowBytes');
    const retainedBytes = pick('retainedBytes');
    const last = counts.length - 1;
    rows.push({
      className, counts, shallowBytes, retainedBytes,
      countDelta: counts[last]! - counts[0]!,
      shallowDelta: shallowBytes[last]! - shallowBytes[0]!,
      retainedDelta: retainedBytes[last]! - retainedBytes[0]!,
      candidateCount: null,
      candidateBytes: null,
    });
  }
  rows.sort((x, y) => y.shallowDelta - x.shallowDelta || y.countDelta - x.countDelta || x.className.localeCompare(y.className));
  return rows;
}

function crossProcessWarning(digests: readonly HeapDigest[], notRun: readonly DetectorId[]): DiffWarning {
  // A diff sees a group as missing below the largest floor any of its digests used.
  const minCounts = {} as Record<keyof DigestMinCounts, number>;
  for (const field of ['classes', 'collections', 'listeners', 'closures'] as const) minCounts[field] = Math.max(...digests.map((d) => d.minCounts[field]));
  return { kind: 'cross-process', unproven: ['survivors', 'same-objects', 'order', 'retainer-paths'], notRun, minCounts };
}
