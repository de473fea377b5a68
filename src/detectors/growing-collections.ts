import {
  collectionSize, describeCollection, edgeName, internalTarget, ordinalInSnapshot, stringIndex, type CollectionSize,
} from '../diff/index.js';
import { UNREACHABLE } from '../snapshot/index.js';
import type { DetectorContext } from './context.js';
import type { Detector, Finding, SourceLocation } from './detector.js';
import { closestRetainer, holderName } from './holders.js';
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
    const collectionNames = new Set(COLLECTION_NAMES.map((name) => stringIndex(graph, name)).filter((index) => index >= 0));
    for (let ordinal = 0; ordinal < graph.nodeCount; ordinal++) {
      // Cheap tests first: most objects are not collections, or were not there at the baseline.
      if (graph.nodeTypes[ordinal] !== graph.nodeType.object || !collectionNames.has(graph.nodeNames[ordinal]!)) continue;
      if (explained[ordinal] === 1 || last.distances[ordinal] === UNREACHABLE) continue;
      const firstOrdinal = ordinalInSnapshot(diff, 0, ordinal);
      if (firstOrdinal < 0) continue;
      const lastSize = collectionSize(graph, ordinal);
      if (!lastSize || lastSize.size === 0) continue;
      const firstSize = collectionSize(first.graph, firstOrdinal);
      if (!firstSize || firstSize.size >= lastSize.size) continue;
      const sizes: number[] = [];
      const bytes: number[] = [];
      for (let k = 0; k < diff.snapshots.length; k++) {
        const there = ordinalInSnapshot(diff, k, ordinal);
        const snapshot = diff.snapshots[k]!;
        sizes.push(there < 0 ? 0 : collectionSize(snapshot.graph, there)?.size ?? 0);
        bytes.push(there < 0 ? 0 : snapshot.retainedSizes[there]!);
      }
      const survivingCount = survivingMembers(context, ordinal, lastSize);
      const decision = judgeGrowth({ counts: sizes, survivingCount });
      const growth = { count: sizes[sizes.length - 1]! - sizes[0]!, bytes: bytes[bytes.length - 1]! - bytes[0]! };
      const severity = severityOf(decision, growth, context.thresholdsFor('growing-collections'));
      if (severity === undefined) continue;
      context.claim(ordinal);
      const holder = holderName(last, ordinal);
      const unit = lastSize.kind === 'Array' ? 'elements' : lastSize.kind === 'Object' ? 'properties' : 'entries';
      findings.push({
        kind: 'growing-collections',
        title: `${holder ?? `${lastSize.kind} @${graph.nodeIds[ordinal]}`}: ${describeCollection(lastSize)} (+${growth.count.toLocaleString('en-US')}) keeps growing`,
        severity,
        retainedSize: bytes[bytes.length - 1]!,
        growth,
        location: declaringLocation(context, ordinal),
        retainerPath: context.retainerPath(ordinal),
        evidence: { unit, counts: sizes, bytes, survivingCount, ...(holder ? { holder } : {}) },
      });
    }
    return findings;
  },
};

/** Node names collectionSize() understands. */
const COLLECTION_NAMES = ['Map', 'Set', 'SafeMap', 'SafeSet', 'Array', 'Object'];

/** Members (targets of the collection's entry edges) that are leak candidates. */
function survivingMembers(context: DetectorContext, ordinal: number, size: CollectionSize): number {
  const graph = context.last.graph;
  let owner = ordinal;
  if (size.kind === 'Map' || size.kind === 'Set') owner = internalTarget(graph, ordinal, 'table');
  if (owner < 0) return 0;
  let surviving = 0;
  const end = graph.firstEdge[owner + 1]!;
  for (let edge = graph.firstEdge[owner]!; edge < end; edge++) {
    const type = graph.edgeTypes[edge];
    if (type === graph.edgeType.weak || type === graph.edgeType.shortcut) continue;
    if (context.diff.candidates[graph.edgeTargets[edge]!] === 1) surviving++;
  }
  return surviving;
}

/**
 * A collection held by a scope variable is located at a function that captures that scope (V8
 * records locations for functions, not for other objects); property-held ones have no location.
 */
function declaringLocation(context: DetectorContext, ordinal: number): SourceLocation | null {
  const snapshot = context.last;
  const step = closestRetainer(snapshot, ordinal);
  const graph = snapshot.graph;
  if (!step || graph.edgeTypes[step.edge] !== graph.edgeType.context) return null;
  const { firstRetainer, retainerEdges, retainerOwners } = snapshot.retainers;
  const scope = step.owner;
  for (let slot = firstRetainer[scope]!; slot < firstRetainer[scope + 1]!; slot++) {
    const owner = retainerOwners[slot]!;
    if (graph.nodeTypes[owner] !== graph.nodeType.closure || edgeName(graph, retainerEdges[slot]!) !== 'context') continue;
    const location = context.locator().locate(owner);
    if (location) return location;
  }
  return null;
}
