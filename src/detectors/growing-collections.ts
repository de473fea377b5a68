import { ordinalInSnapshot } from '../diff/index.js';
import { COLLECTION_NODE_NAMES, UNREACHABLE, type CollectionSize, type Snapshot } from '../snapshot/index.js';
import type { DetectorContext } from './context.js';
import type { Detector, Finding, SourceLocation } from './detector.js';
import { holderPath } from './holders.js';
import type { SourceLocator } from './source-location.js';
import { judgeGrowth } from './suppressions.js';
import { severityOf } from './thresholds.js';

/**
 * The same Map, Set, Array or dictionary-like object (same V8 id in every snapshot) whose size
 * grew across all snapshots; named by the variable or property that holds it.
 */
export const growingCollections: Detector = {
  id: 'growing-collections',
  title: 'Maps, Sets, Arrays and dictionary objects that keep growing',
  detect(context) {
    const { diff } = context;
    const last = context.last;
    const graph = last.graph;
    const first = diff.snapshots[0]!;
    const explained = context.explained();
    const findings: Finding[] = [];
    const collectionNames = new Set(COLLECTION_NODE_NAMES.map((name) => last.stringIndex(name)).filter((index) => index >= 0));
    for (let ordinal = 0; ordinal < graph.nodeCount; ordinal++) {
      // Cheap tests first: most objects are not collections, or were not there at the baseline.
      if (graph.nodeTypes[ordinal] !== graph.nodeType.object || !collectionNames.has(graph.nodeNames[ordinal]!)) continue;
      if (explained[ordinal] === 1 || last.distances[ordinal] === UNREACHABLE) continue;
      const firstOrdinal = ordinalInSnapshot(diff, 0, ordinal);
      if (firstOrdinal < 0) continue;
      const lastSize = last.collectionSize(ordinal);
      if (!lastSize || lastSize.size === 0) continue;
      const firstSize = first.collectionSize(firstOrdinal);
      if (!firstSize || firstSize.size >= lastSize.size) continue;
      const sizes: number[] = [];
      for (let k = 0; k < diff.snapshots.length; k++) {
        const there = ordinalInSnapshot(diff, k, ordinal);
        sizes.push(there < 0 ? 0 : diff.snapshots[k]!.collectionSize(there)?.size ?? 0);
      }
      const { survivingCount, bytes } = measureMembers(context, ordinal, lastSize);
      const decision = judgeGrowth({ counts: sizes, survivingCount });
      const growth = { count: sizes[sizes.length - 1]! - sizes[0]!, bytes: bytes[bytes.length - 1]! - bytes[0]! };
      const severity = severityOf(decision, growth, context.thresholdsFor('growing-collections'));
      if (severity === undefined) continue;
      context.claim(ordinal);
      const unit = lastSize.kind === 'Array' ? 'elements' : lastSize.kind === 'Object' ? 'properties' : 'entries';
      findings.push({
        kind: 'growing-collections',
        severity,
        subject: { collection: lastSize.kind, nodeId: graph.nodeIds[ordinal]!, holder: holderPath(last, ordinal) ?? null },
        retainedSize: bytes[bytes.length - 1]!,
        growth,
        location: declaringLocation(last, context.locator(), ordinal),
        retainerPath: context.retainerPath(ordinal),
        evidence: { unit, counts: sizes, bytes, survivingCount },
      });
    }
    return findings;
  },
};

/**
 * Over the collection's members (targets of its entry edges, in the last snapshot): how many are
 * leak candidates, and the bytes per snapshot "as of" k: the collection's retained size now minus
 * what the members it alone holds (it, or its table, dominates them) and that did not exist yet at
 * snapshot k retain now.
 */
function measureMembers(context: DetectorContext, ordinal: number, size: CollectionSize): { survivingCount: number; bytes: number[] } {
  const { diff } = context;
  const last = context.last;
  const graph = last.graph;
  const total = last.retainedSizes[ordinal]!;
  let owner = ordinal;
  if (size.kind === 'Map' || size.kind === 'Set') owner = last.internal(ordinal, 'table');
  const newSince = new Float64Array(diff.snapshots.length);
  let survivingCount = 0;
  const end = owner < 0 ? 0 : graph.firstEdge[owner + 1]!;
  for (let edge = owner < 0 ? 0 : graph.firstEdge[owner]!; edge < end; edge++) {
    const type = graph.edgeTypes[edge];
    if (type === graph.edgeType.weak || type === graph.edgeType.shortcut) continue;
    const member = graph.edgeTargets[edge]!;
    if (diff.candidates[member] === 1) survivingCount++;
    const dominator = last.dominators[member];
    if (dominator !== ordinal && dominator !== owner) continue;
    for (let k = 0; k < diff.snapshots.length - 1; k++) if (diff.ordinalIn[k]![member]! < 0) newSince[k]! += last.retainedSizes[member]!;
  }
  const bytes = diff.snapshots.map((_, k) => Math.max(0, total - newSince[k]!));
  // A Map entry is two members (key and value): count entries, by the value (or the key).
  if (size.kind === 'Map') {
    survivingCount = 0;
    for (const { key, value } of last.mapEntries(ordinal)) {
      const member = value >= 0 ? value : key;
      if (member >= 0 && diff.candidates[member] === 1) survivingCount++;
    }
  }
  return { survivingCount, bytes };
}

/**
 * A collection held by a scope variable is located at a function that captures that scope (V8
 * records locations for functions, not for other objects); property-held ones have no location.
 */
export function declaringLocation(snapshot: Snapshot, locator: SourceLocator, ordinal: number): SourceLocation | null {
  const step = snapshot.owner(ordinal);
  const graph = snapshot.graph;
  if (!step || graph.edgeTypes[step.edge] !== graph.edgeType.context) return null;
  const { firstRetainer, retainerEdges, retainerOwners } = snapshot.retainers;
  const scope = step.owner;
  for (let slot = firstRetainer[scope]!; slot < firstRetainer[scope + 1]!; slot++) {
    const owner = retainerOwners[slot]!;
    if (graph.nodeTypes[owner] !== graph.nodeType.closure || snapshot.edgeName(retainerEdges[slot]!) !== 'context') continue;
    const location = locator.locate(owner);
    if (location) return location;
  }
  return null;
}
