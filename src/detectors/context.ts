import type { SnapshotDiff } from '../diff/index.js';
import type { Snapshot } from '../snapshot/index.js';
import type { DetectorId, PathStep, RetainerPathData, Thresholds } from './detector.js';
import { SourceLocator } from './source-location.js';
import { SourceMaps } from './source-maps.js';

/**
 * What every detector gets: the diff, the thresholds, a source locator per snapshot, and the
 * claims ledger. Detectors run in a fixed order; each claims the objects it explained, so later
 * detectors (and above all class-growth) do not report the same memory twice.
 */
export class DetectorContext {
  readonly diff: SnapshotDiff;
  readonly thresholds: Thresholds;
  /** Thresholds of one detector where the config overrides them. */
  readonly #thresholdsByDetector: ReadonlyMap<DetectorId, Thresholds>;
  readonly #locators: SourceLocator[];
  /** One map reader for every snapshot and for allocation stacks: they name the same scripts. */
  readonly sourceMaps = new SourceMaps();
  /** By ordinal of the last snapshot: 1 when a detector has claimed the object. */
  readonly #claimed: Uint8Array;
  #claimVersion = 0;
  #explained: Uint8Array | undefined;
  #explainedVersion = -1;
  /** Claims not yet propagated into #byRetainers. */
  #pendingClaims: number[] = [];
  /** Pass-1 state, kept between calls: claims only grow, so propagation is incremental. */
  #byRetainers: Uint8Array | undefined;
  #unexplainedRetainers: Uint32Array | undefined;
  #queue: Uint32Array | undefined;

  constructor(diff: SnapshotDiff, thresholds: Thresholds, thresholdsByDetector: ReadonlyMap<DetectorId, Thresholds> = new Map()) {
    this.diff = diff;
    this.thresholds = thresholds;
    this.#thresholdsByDetector = thresholdsByDetector;
    this.#locators = diff.snapshots.map((snapshot) => new SourceLocator(snapshot, this.sourceMaps));
    this.#claimed = new Uint8Array(diff.last.graph.nodeCount);
  }

  get last(): Snapshot {
    return this.diff.last;
  }

  get snapshotCount(): number {
    return this.diff.snapshots.length;
  }

  thresholdsFor(detectorId: DetectorId): Thresholds {
    return this.#thresholdsByDetector.get(detectorId) ?? this.thresholds;
  }

  /** Source locator of snapshot k (default: the last one). */
  locator(k = this.diff.snapshots.length - 1): SourceLocator {
    return this.#locators[k]!;
  }

  claim(ordinal: number): void {
    if (this.#claimed[ordinal] === 0) {
      this.#claimed[ordinal] = 1;
      this.#claimVersion++;
      this.#pendingClaims.push(ordinal);
    }
  }

  isClaimed(ordinal: number): boolean {
    return this.#claimed[ordinal] === 1;
  }

  /**
   * 1 for every object of the last snapshot that only claimed objects keep alive: memory some
   * finding already accounts for. Recomputed only when claims changed.
   *
   * Two passes. (1) From the claimed objects forward (incremental: only new claims are pushed): an
   * object all of whose (non-weak) retainers are explained is explained, which covers objects
   * shared by several claimed objects (a request held by a leaked listener's scope and by a leaked
   * Map entry), which no single claimed object dominates. (2) Anything whose immediate dominator is explained is explained, which covers
   * cycles hanging under an explained object.
   */
  explained(): Uint8Array {
    if (this.#explained && this.#explainedVersion === this.#claimVersion) return this.#explained;
    const byRetainers = this.#propagateClaims();
    const snapshot = this.last;
    const count = snapshot.graph.nodeCount;
    const { dominators } = snapshot;
    // 0 unknown, 1 explained, 2 not explained; resolved by walking up the dominator tree with an
    // explicit stack, so each node is settled once overall (deep chains would overflow recursion).
    const state = new Uint8Array(count);
    // The pass-1 queue is idle here; reused as the walk's stack.
    const stack = (this.#queue ??= new Uint32Array(count));
    for (let ordinal = 0; ordinal < count; ordinal++) {
      if (state[ordinal] !== 0) continue;
      let depth = 0;
      let current = ordinal;
      let answer = 2;
      for (;;) {
        if (byRetainers[current] === 1) {
          answer = 1;
          break;
        }
        if (state[current] !== 0) {
          answer = state[current]!;
          break;
        }
        stack[depth++] = current;
        const dominator = dominators[current]!;
        if (dominator === current) break;
        current = dominator;
      }
      while (depth > 0) state[stack[--depth]!] = answer;
    }
    for (let ordinal = 0; ordinal < count; ordinal++) state[ordinal] = byRetainers[ordinal] === 1 || state[ordinal] === 1 ? 1 : 0;
    this.#explained = state;
    this.#explainedVersion = this.#claimVersion;
    return this.#explained;
  }

  /**
   * Pass 1 of explained(), incremental: pushes the claims made since the last call forward through
   * the graph. Returns the by-ordinal set of objects claimed or kept alive only by claimed ones.
   */
  #propagateClaims(): Uint8Array {
    const snapshot = this.last;
    const graph = snapshot.graph;
    const count = graph.nodeCount;
    const weak = graph.edgeType.weak;
    const byRetainers = (this.#byRetainers ??= new Uint8Array(count));
    // unexplainedRetainers[o]: o's non-weak retainer slots whose owner is not explained yet, set
    // on first touch (0 = untouched; stored +1 so that 0 stays free as the marker).
    const unexplainedRetainers = (this.#unexplainedRetainers ??= new Uint32Array(count));
    const queue = (this.#queue ??= new Uint32Array(count));
    let head = 0;
    let tail = 0;
    for (const ordinal of this.#pendingClaims) {
      if (byRetainers[ordinal] === 1) continue;
      byRetainers[ordinal] = 1;
      queue[tail++] = ordinal;
    }
    this.#pendingClaims = [];
    // Invariant: every ordinal in queue[0..tail) is explained and enters the queue once.
    while (head < tail) {
      const owner = queue[head++]!;
      const end = graph.firstEdge[owner + 1]!;
      for (let edge = graph.firstEdge[owner]!; edge < end; edge++) {
        if (graph.edgeTypes[edge] === weak) continue;
        const target = graph.edgeTargets[edge]!;
        if (byRetainers[target] === 1) continue;
        if (unexplainedRetainers[target] === 0) unexplainedRetainers[target] = snapshot.strongReferrerCount(target) + 1;
        if (--unexplainedRetainers[target]! > 1) continue;
        byRetainers[target] = 1;
        queue[tail++] = target;
      }
    }
    return byRetainers;
  }

  /**
   * explained()[ordinal] for one object, without the full O(N) pass: walks up the dominator tree
   * (bounded). For detectors that test a few objects after each claim (class-growth).
   */
  isExplained(ordinal: number): boolean {
    const byRetainers = this.#propagateClaims();
    const { dominators } = this.last;
    let current = ordinal;
    for (let steps = 0; steps < MAX_DOMINATOR_WALK; steps++) {
      if (byRetainers[current] === 1) return true;
      const dominator = dominators[current]!;
      if (dominator === current) return false;
      current = dominator;
    }
    return false;
  }

  /** Bytes a group of objects of the last snapshot retains together (see clusterRetainedSize). */
  clusterRetainedSize(members: ArrayLike<number>): number {
    return clusterRetainedSize(this.last, members);
  }

  /**
   * Evidence bytes "as of" snapshot k: what the members (ordinals of the last snapshot) that
   * already existed at snapshot k retain together in the last snapshot. For k = last, all of them.
   * Growth in bytes is then last minus first: what the members added since the base retain now.
   */
  retainedAsOf(members: readonly number[], k: number): number {
    if (k === this.diff.snapshots.length - 1) return this.clusterRetainedSize(members);
    const inK = this.diff.ordinalIn[k]!;
    return this.clusterRetainedSize(members.filter((ordinal) => inK[ordinal]! >= 0));
  }

  /** The retainer path of an object of the last snapshot as data (see retainerPathData). */
  retainerPath(ordinal: number): RetainerPathData | null {
    return retainerPathData(this.last, ordinal);
  }

  /** One path step: edge `edge` (of the last snapshot) leading to `ordinal`. */
  pathStep(edge: number, ordinal: number): PathStep {
    return pathStepOf(this.last, edge, ordinal);
  }
}

/**
 * Bytes a group of objects retains together: the retained sizes of members that no other member
 * dominates (a member inside another member's subtree is already counted there).
 */
export function clusterRetainedSize(snapshot: Snapshot, members: ArrayLike<number>): number {
  const { dominators, retainedSizes } = snapshot;
  const isMember = new Set<number>();
  for (let i = 0; i < members.length; i++) isMember.add(members[i]!);
  let total = 0;
  for (const member of isMember) {
    let current = dominators[member]!;
    let covered = false;
    // Each walk stops at the root, at a member, or after MAX_DOMINATOR_WALK steps: a member
    // deeper than that under another member is counted twice, the accepted cost of a bound.
    for (let steps = 0; steps < MAX_DOMINATOR_WALK && current !== dominators[current]; steps++) {
      if (isMember.has(current)) {
        covered = true;
        break;
      }
      current = dominators[current]!;
    }
    if (!covered) total += retainedSizes[member]!;
  }
  return total;
}

/**
 * The retainer path of an object as data, root first (V8's root itself left out); null when no
 * essential path reaches it. Long paths keep both ends (64 steps at most).
 */
export function retainerPathData(snapshot: Snapshot, ordinal: number): RetainerPathData | null {
  const path = snapshot.retainerPath(ordinal, { maxSteps: MAX_PATH_STEPS });
  if (!path) return null;
  return { steps: path.steps.map((step) => pathStepOf(snapshot, step.edge, step.to)), omittedSteps: path.omittedSteps };
}

function pathStepOf(snapshot: Snapshot, edge: number, ordinal: number): PathStep {
  return { ...describePathNode(snapshot, ordinal), edge: snapshot.edgeName(edge), edgeType: snapshot.edgeKind(edge) };
}

/** Longest retainer path kept in a finding; longer ones lose their middle. */
const MAX_PATH_STEPS = 64;

const MAX_DOMINATOR_WALK = 10_000;

/** The node half of a path step. Embedder ("Node / Environment") and synthetic roots are best known by their own names. */
function describePathNode(snapshot: Snapshot, ordinal: number): Omit<PathStep, 'edge' | 'edgeType'> {
  const graph = snapshot.graph;
  const type = graph.nodeTypes[ordinal];
  const own = type === graph.nodeType.synthetic || type === graph.nodeType.native ? snapshot.nodeName(ordinal) : '';
  const name = own !== '' ? own : type === graph.nodeType.object ? snapshot.definingClassName(ordinal) : snapshot.displayName(ordinal);
  return {
    nodeId: graph.nodeIds[ordinal]!,
    className: name,
    nodeType: snapshot.nodeKind(ordinal),
    passThrough: snapshot.isPassThrough(ordinal),
  };
}
