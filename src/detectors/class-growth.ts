import type { ComparedSnapshot } from '../diff/index.js';
import type { Snapshot } from '../snapshot/index.js';
import type { DetectorContext } from './context.js';
import type { Detector, Finding, HolderPath, Severity } from './detector.js';
import { holderKey, holderSignature } from './holders.js';
import { judgeGrowth } from './suppressions.js';
import { severityOf } from './thresholds.js';

/**
 * Whatever else grew: per class, the leak candidates no earlier finding explains (not claimed and
 * not dominated by a claimed object), clustered by the shape of their retainer (holderSignature)
 * and ranked by retained size; `evidence.counts` are the class's live totals per snapshot. V8's own bookkeeping (code, maps, backing stores, "system /"
 * objects) is left out: it grows with any code that runs and is never what a user can fix.
 */
export const classGrowth: Detector = {
  id: 'class-growth',
  title: 'classes whose surviving instances keep growing (anything the other detectors did not explain)',
  detect(context) {
    const { diff } = context;
    const explained = context.explained();
    const last = context.last;
    const graph = last.graph;
    const members = new Map<string, number[]>();
    const lastClasses = last.classIds;
    const visible = visibleClasses(last);
    for (let ordinal = 0; ordinal < graph.nodeCount; ordinal++) {
      if (diff.candidates[ordinal] === 0 || explained[ordinal] === 1 || visible[lastClasses.classIds[ordinal]!] === 0) continue;
      if (heldByExplained(last, explained, ordinal)) continue;
      const name = lastClasses.names[lastClasses.classIds[ordinal]!]!;
      let list = members.get(name);
      if (!list) members.set(name, (list = []));
      list.push(ordinal);
    }
    if (members.size === 0) return [];
    const countsByClass = diff.snapshots.map((snapshot) => countVisibleByClass(snapshot, members));
    const findings: Finding[] = [];
    const thresholds = context.thresholdsFor('class-growth');
    // Largest classes first, each claiming what it reports: the objects a leaking class owns (its
    // headers, its strings) are then explained by it instead of reported as classes of their own.
    const ranked = [...members].map(([className, survivors]) => ({ className, survivors, retained: context.clusterRetainedSize(survivors) }))
      .sort((a, b) => b.retained - a.retained);
    for (const { className, survivors: allSurvivors } of ranked) {
      // Per-object checks, not explained(): claims change after every reported class, and a full
      // O(N) pass per class would dominate the run on big heaps.
      const survivors = allSurvivors.filter((o) => !context.isExplained(o) && !heldByExplainedNow(context, last, o));
      if (survivors.length === 0) continue;
      const counts = countsByClass.map((perSnapshot) => perSnapshot.get(className)?.count ?? 0);
      const bytes = countsByClass.map((perSnapshot) => perSnapshot.get(className)?.bytes ?? 0);
      const decision = judgeGrowth({ counts, bytes, survivingCount: survivors.length });
      if (decision === 'not-leak') continue;
      const classRetained = context.clusterRetainedSize(survivors);
      // A cache at its bound replaces what it drops: of the objects allocated between base and
      // target that survived, all but as many as the class grew by stand in for instances that
      // died. That net share caps the class's severity: under the thresholds the class is at most a
      // suspect, under a quarter of them it churned and is no finding (the push server's resume
      // frames kept 240 new 8 KiB Buffer pool slabs alive while ArrayBuffers grew by 23-32).
      const share = survivors.length === 0 ? 1 : Math.min(1, (counts[counts.length - 1]! - counts[0]!) / survivors.length);
      const netSeverity = severityOf(decision, { count: Math.round(survivors.length * share), bytes: Math.round(classRetained * share) }, thresholds);
      if (netSeverity === undefined) continue;
      const capped = (severity: Severity | undefined): Severity | undefined => (severity === 'leak' ? netSeverity : severity);
      // Cluster the class's survivors by the shape of what holds them, so two leaks of one class
      // (or one leak among many healthy instances) come out as separate, ranked findings.
      const clusters = new Map<string, { holder: HolderPath | undefined; members: number[] }>();
      for (const ordinal of survivors) {
        const holder = holderSignature(last, ordinal);
        const key = holderKey(holder);
        let cluster = clusters.get(key);
        if (!cluster) clusters.set(key, (cluster = { holder, members: [] }));
        cluster.members.push(ordinal);
      }
      const clusterFindings: { finding: Finding; members: number[] }[] = [];
      for (const { holder, members: clusterMembers } of clusters.values()) {
        const retainedSize = context.clusterRetainedSize(clusterMembers);
        const growth = { count: clusterMembers.length, bytes: retainedSize };
        const severity = capped(severityOf(decision, growth, thresholds));
        if (severity === undefined) continue;
        clusterFindings.push({ finding: classFinding(context, className, holder, clusterMembers, counts, growth, severity), members: clusterMembers });
      }
      // Many small clusters can still add up to a class-wide leak: then report the class whole.
      const classGrowth = { count: survivors.length, bytes: classRetained };
      const classSeverity = capped(severityOf(decision, classGrowth, thresholds));
      const reported = classSeverity === 'leak' && !clusterFindings.some((c) => c.finding.severity === 'leak')
        ? [{ finding: classFinding(context, className, undefined, survivors, counts, classGrowth, classSeverity), members: survivors }]
        : clusterFindings;
      for (const { finding, members: claimed } of reported) {
        findings.push(finding);
        for (const ordinal of claimed) context.claim(ordinal);
      }
    }
    return findings;
  },
};

function classFinding(
  context: DetectorContext, className: string, holder: HolderPath | undefined, members: readonly number[], counts: number[],
  growth: Finding['growth'], severity: Severity,
): Finding {
  return {
    kind: 'class-growth',
    severity,
    subject: { className, holder: holder ?? null },
    retainedSize: growth.bytes,
    growth,
    location: null,
    retainerPath: context.retainerPath(context.last.largestByRetainedSize(members)),
    evidence: { unit: 'objects', counts, bytes: counts.map((_, k) => (k === counts.length - 1 ? growth.bytes : 0)), survivingCount: members.length },
  };
}

/**
 * Shared members of a finding's objects are not dominated by them but are still theirs: the keys
 * of a leaking dictionary are also held by V8's string table, the promises in a leaking array also
 * by their resolve functions. Any retainer already explained explains them too.
 */
function heldByExplained(snapshot: Snapshot, explained: Uint8Array, ordinal: number): boolean {
  const { firstRetainer, retainerOwners } = snapshot.retainers;
  for (let slot = firstRetainer[ordinal]!; slot < firstRetainer[ordinal + 1]!; slot++) {
    if (explained[retainerOwners[slot]!] === 1) return true;
  }
  return false;
}

function heldByExplainedNow(context: DetectorContext, snapshot: Snapshot, ordinal: number): boolean {
  const { firstRetainer, retainerOwners } = snapshot.retainers;
  for (let slot = firstRetainer[ordinal]!; slot < firstRetainer[ordinal + 1]!; slot++) {
    if (context.isExplained(retainerOwners[slot]!)) return true;
  }
  return false;
}

function isUserVisible(snapshot: ComparedSnapshot, ordinal: number): boolean {
  const graph = snapshot.graph;
  const type = graph.nodeTypes[ordinal];
  const { nodeType } = graph;
  if (type === nodeType.object) return !(graph.strings[graph.nodeNames[ordinal]!] ?? '').startsWith('system /');
  return (
    type === nodeType.closure || type === nodeType.string || type === nodeType.concatenatedString ||
    type === nodeType.slicedString || type === nodeType.regexp || type === nodeType.native || type === nodeType.bigint
  );
}

/**
 * By class id: 1 when the class is user-visible. Every member of a class has the same node type
 * category and name, so the first member decides for all (one test per class, not per node).
 */
export function visibleClasses(snapshot: ComparedSnapshot): Uint8Array {
  const graph = snapshot.graph;
  const { classIds, names } = snapshot.classIds;
  const decided = new Uint8Array(names.length);
  const visible = new Uint8Array(names.length);
  for (let ordinal = 0; ordinal < graph.nodeCount; ordinal++) {
    const id = classIds[ordinal]!;
    if (decided[id] === 1) continue;
    decided[id] = 1;
    visible[id] = isUserVisible(snapshot, ordinal) ? 1 : 0;
  }
  return visible;
}

function countVisibleByClass(snapshot: ComparedSnapshot, wanted: ReadonlyMap<string, unknown>): Map<string, { count: number; bytes: number }> {
  const graph = snapshot.graph;
  const { classIds, names } = snapshot.classIds;
  const visible = visibleClasses(snapshot);
  // Indexed by class id; only visible classes are summed.
  const countPerClass = new Float64Array(names.length);
  const bytesPerClass = new Float64Array(names.length);
  for (let ordinal = 0; ordinal < graph.nodeCount; ordinal++) {
    const id = classIds[ordinal]!;
    if (visible[id] !== 1) continue;
    countPerClass[id]!++;
    bytesPerClass[id]! += graph.selfSizes[ordinal]!;
  }
  const totals = new Map<string, { count: number; bytes: number }>();
  for (let id = 0; id < names.length; id++) {
    if (!wanted.has(names[id]!)) continue;
    const total = totals.get(names[id]!) ?? { count: 0, bytes: 0 };
    totals.set(names[id]!, { count: total.count + countPerClass[id]!, bytes: total.bytes + bytesPerClass[id]! });
  }
  return totals;
}
