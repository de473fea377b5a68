import type { Snapshot } from '../snapshot/index.js';
import type { DetectorContext } from './context.js';
import type { Finding, Severity } from './detector.js';

/**
 * One bug, one cause: findings whose objects sit under one dominating holder. A per-request logger
 * that subscribes to a shared transport shows up as listeners piling up on several events, as
 * growing loggers and as their metadata; every one of those objects is kept alive only through
 * the transport, so the dominator tree of the last snapshot puts them all below it. Like memlab's
 * trace clustering, but by dominator: a shortest-path prefix can be shared by accident (every
 * module variable's path starts at the same module), dominance cannot.
 */
export interface Cause {
  /** Index in `findings` of the finding that explains the cause: the one whose object is the holder. */
  readonly findingIndex: number;
  /** Other findings under the same holder, as indices in `findings`, largest growth first. */
  readonly related: readonly number[];
  /** The worst severity of the cause's findings. */
  readonly severity: Severity;
  /** The object whose dominator subtree holds the findings (the head finding's emitter, collection or representative object); null when the head names no object. */
  readonly holder: CauseHolder | null;
  /**
   * Bytes of the objects allocated since the first snapshot that the holder dominates in the last
   * one: what the group really keeps, including objects shared by its findings that no single
   * finding retains alone. At least the head finding's own growth.
   */
  readonly growthBytes: number;
}

export interface CauseHolder {
  readonly nodeId: number;
  readonly className: string;
  /** Retained size of the holder in the last snapshot (what is freed with it, old objects too). */
  readonly retainedSize: number;
}

/** How much of the heap's growth the causes account for: a fact, so a report can say when they do not. */
export interface HeapGrowthAccount {
  /** Sum of self sizes, last snapshot minus first (negative when the heap shrank). */
  readonly bytes: number;
  /** Sum of the causes' growthBytes (their holders' subtrees do not overlap). */
  readonly explainedBytes: number;
}

/** The dominator walk is bounded as DetectorContext's walks are: a deeper anchor starts its own cause. */
const MAX_DOMINATOR_WALK = 10_000;

/**
 * Groups `findings` (already ranked) into causes: a finding joins the cause of any other finding
 * whose anchor (emitter, collection, or representative object) dominates its own anchor; equal
 * anchors share a cause. Causes come leaks first, most growth first.
 */
export function groupCauses(context: DetectorContext, findings: readonly Finding[]): Cause[] {
  const snapshot = context.last;
  const anchors = findings.map((finding) => anchorOf(snapshot, finding));
  const findingsByAnchor = new Map<number, number[]>();
  anchors.forEach((anchor, index) => {
    if (anchor >= 0) findingsByAnchor.set(anchor, [...(findingsByAnchor.get(anchor) ?? []), index]);
  });

  const parent = findings.map((_, index) => index);
  const find = (index: number): number => {
    let root = index;
    while (parent[root] !== root) root = parent[root]!;
    return root;
  };
  const union = (a: number, b: number): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  const { dominators } = snapshot;
  anchors.forEach((anchor, index) => {
    if (anchor < 0) return;
    let current = anchor;
    for (let steps = 0; steps < MAX_DOMINATOR_WALK; steps++) {
      for (const other of findingsByAnchor.get(current) ?? []) union(index, other);
      const dominator = dominators[current]!;
      if (dominator === current) break;
      current = dominator;
    }
  });

  const groups = new Map<number, number[]>();
  findings.forEach((_, index) => {
    const root = find(index);
    groups.set(root, [...(groups.get(root) ?? []), index]);
  });
  const causes = [...groups.values()].map((members) => describeCause(context, findings, anchors, members));
  return causes.sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || b.growthBytes - a.growthBytes || a.findingIndex - b.findingIndex);
}

/** The heap's growth between the first and the last snapshot, and the share the causes explain. */
export function accountHeapGrowth(context: DetectorContext, causes: readonly Cause[]): HeapGrowthAccount {
  const snapshots = context.diff.snapshots;
  return {
    bytes: snapshots[snapshots.length - 1]!.totalSize - snapshots[0]!.totalSize,
    explainedBytes: causes.reduce((sum, cause) => sum + cause.growthBytes, 0),
  };
}

const severityRank = (severity: Severity): number => (severity === 'leak' ? 0 : 1);

function describeCause(context: DetectorContext, findings: readonly Finding[], anchors: readonly number[], members: readonly number[]): Cause {
  const snapshot = context.last;
  const growth = (index: number): number => findings[index]!.growth.bytes;
  // The head is the finding nearest the GC roots: its anchor dominates the others'.
  const depth = (index: number): number => (anchors[index]! < 0 ? Infinity : snapshot.distances[anchors[index]!]!);
  const [head, ...related] = [...members].sort((a, b) => depth(a) - depth(b) || growth(b) - growth(a) || a - b);
  const anchor = anchors[head!]!;
  const severity: Severity = members.some((index) => findings[index]!.severity === 'leak') ? 'leak' : 'suspect';
  const ownGrowth = Math.max(0, ...members.map(growth));
  const base = { findingIndex: head!, related: sortByGrowth(related, growth), severity };
  if (anchor < 0) return { ...base, holder: null, growthBytes: ownGrowth };
  return {
    ...base,
    holder: { nodeId: snapshot.graph.nodeIds[anchor]!, className: snapshot.definingClassName(anchor), retainedSize: snapshot.retainedSizes[anchor]! },
    growthBytes: Math.max(ownGrowth, dominatedGrowth(context, anchor)),
  };
}

function sortByGrowth(indices: readonly number[], growth: (index: number) => number): number[] {
  return [...indices].sort((a, b) => growth(b) - growth(a) || a - b);
}

/** The object a finding is about in the last snapshot, or -1 when it names none. */
function anchorOf(snapshot: Snapshot, finding: Finding): number {
  switch (finding.kind) {
    case 'duplicate-listeners':
      return snapshot.ordinalById(finding.subject.emitterId);
    case 'growing-collections':
      return snapshot.ordinalById(finding.subject.nodeId);
    default: {
      const steps = finding.retainerPath?.steps;
      return steps && steps.length > 0 ? snapshot.ordinalById(steps[steps.length - 1]!.nodeId) : -1;
    }
  }
}

/**
 * Self sizes of the objects in `holder`'s dominator subtree that the first snapshot did not have.
 * Iterative (a subtree can be deeper than the stack).
 */
function dominatedGrowth(context: DetectorContext, holder: number): number {
  const snapshot = context.last;
  const { firstDominated, dominated } = snapshot.dominated;
  const inFirst = context.diff.snapshots.length > 1 ? context.diff.ordinalIn[0]! : undefined;
  const selfSizes = snapshot.graph.selfSizes;
  const stack = [holder];
  let total = 0;
  while (stack.length > 0) {
    const ordinal = stack.pop()!;
    if (inFirst !== undefined && inFirst[ordinal]! < 0) total += selfSizes[ordinal]!;
    for (let slot = firstDominated[ordinal]!; slot < firstDominated[ordinal + 1]!; slot++) stack.push(dominated[slot]!);
  }
  return total;
}
