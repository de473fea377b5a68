import { classIdsOf, type ComparedSnapshot } from '../diff/index.js';
import type { Snapshot } from '../snapshot/index.js';
import type { Detector, Finding } from './detector.js';
import { judgeGrowth } from './suppressions.js';
import { severityOf } from './thresholds.js';

/**
 * Whatever else grew: per class, the leak candidates no earlier finding explains (not claimed and
 * not dominated by a claimed object). V8's own bookkeeping (code, maps, backing stores, "system /"
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
    const lastClasses = classIdsOf(graph);
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
    for (const [className, survivors] of members) {
      const counts = countsByClass.map((perSnapshot) => perSnapshot.get(className) ?? 0);
      const decision = judgeGrowth({ counts, survivingCount: survivors.length });
      const retainedSize = context.clusterRetainedSize(survivors);
      const growth = { count: survivors.length, bytes: retainedSize };
      const severity = severityOf(decision, growth, context.thresholdsFor('class-growth'));
      if (severity === undefined) continue;
      const representative = survivors.reduce((best, o) => (last.retainedSizes[o]! > last.retainedSizes[best]! ? o : best), survivors[0]!);
      findings.push({
        kind: 'class-growth',
        title: `${className}: ${survivors.length.toLocaleString('en-US')} new objects survived (${counts.map((c) => c.toLocaleString('en-US')).join(' → ')} live)`,
        severity,
        retainedSize,
        growth,
        location: null,
        retainerPath: context.retainerPath(representative),
        evidence: { unit: 'objects', counts, bytes: counts.map((_, k) => (k === counts.length - 1 ? retainedSize : 0)), survivingCount: survivors.length },
      });
    }
    return findings;
  },
};

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
function visibleClasses(snapshot: ComparedSnapshot): Uint8Array {
  const graph = snapshot.graph;
  const { classIds, names } = classIdsOf(graph);
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

function countVisibleByClass(snapshot: ComparedSnapshot, wanted: ReadonlyMap<string, unknown>): Map<string, number> {
  const graph = snapshot.graph;
  const { classIds, names } = classIdsOf(graph);
  const visible = visibleClasses(snapshot);
  const perClass = new Float64Array(names.length);
  for (let ordinal = 0; ordinal < graph.nodeCount; ordinal++) if (visible[classIds[ordinal]!] === 1) perClass[classIds[ordinal]!]!++;
  const counts = new Map<string, number>();
  for (let id = 0; id < names.length; id++) if (wanted.has(names[id]!)) counts.set(names[id]!, (counts.get(names[id]!) ?? 0) + perClass[id]!);
  return counts;
}
