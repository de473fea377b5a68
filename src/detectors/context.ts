import { displayName, edgeName, isIndexEdge, type SnapshotDiff } from '../diff/index.js';
import type { Snapshot } from '../snapshot/index.js';
import type { Thresholds } from './detector.js';
import { SourceLocator } from './source-location.js';

/**
 * What every detector gets: the diff, the thresholds, a source locator per snapshot, and the
 * claims ledger. Detectors run in a fixed order; each claims the objects it explained, so later
 * detectors (and above all class-growth) do not report the same memory twice.
 */
export class DetectorContext {
  readonly diff: SnapshotDiff;
  readonly thresholds: Thresholds;
  /** Thresholds of one detector where the config overrides them. */
  readonly #thresholdsByDetector: ReadonlyMap<string, Thresholds>;
  readonly #locators: SourceLocator[];
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

  constructor(diff: SnapshotDiff, thresholds: Thresholds, thresholdsByDetector: ReadonlyMap<string, Thresholds> = new Map()) {
    this.diff = diff;
    this.thresholds = thresholds;
    this.#thresholdsByDetector = thresholdsByDetector;
    this.#locators = diff.snapshots.map((snapshot) => new SourceLocator(snapshot));
    this.#claimed = new Uint8Array(diff.last.graph.nodeCount);
  }

  get last(): Snapshot {
    return this.diff.last;
  }

  get snapshotCount(): number {
    return this.diff.snapshots.length;
  }

  thresholdsFor(detectorId: string): Thresholds {
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
    const { firstRetainer, retainerEdges } = snapshot.retainers;
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
        if (unexplainedRetainers[target] === 0) unexplainedRetainers[target] = strongRetainerCount(graph, firstRetainer, retainerEdges, target) + 1;
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

  /**
   * Bytes a group of objects retains together: the retained sizes of members that no other member
   * dominates (a member inside another member's subtree is already counted there).
   */
  clusterRetainedSize(members: ArrayLike<number>): number {
    const { dominators, retainedSizes } = this.last;
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
   * Evidence bytes "as of" snapshot k: what the members (ordinals of the last snapshot) that
   * already existed at snapshot k retain together in the last snapshot. For k = last, all of them.
   * Growth in bytes is then last minus first: what the members added since the base retain now.
   */
  retainedAsOf(members: readonly number[], k: number): number {
    if (k === this.diff.snapshots.length - 1) return this.clusterRetainedSize(members);
    const inK = this.diff.ordinalIn[k]!;
    return this.clusterRetainedSize(members.filter((ordinal) => inK[ordinal]! >= 0));
  }

  /** The compact retainer path of an object of the last snapshot, root first. */
  retainerPath(ordinal: number): string[] {
    return renderRetainerPath(this.diff.last, ordinal);
  }
}

const MAX_DOMINATOR_WALK = 10_000;

function strongRetainerCount(graph: Snapshot['graph'], firstRetainer: Uint32Array, retainerEdges: Uint32Array, ordinal: number): number {
  let strong = 0;
  for (let slot = firstRetainer[ordinal]!; slot < firstRetainer[ordinal + 1]!; slot++) {
    if (graph.edgeTypes[retainerEdges[slot]!] !== graph.edgeType.weak) strong++;
  }
  return strong;
}

/** Nodes that only carry their owner's data; a path step through them joins the owner's step. */
export function isPassThrough(snapshot: Snapshot, ordinal: number): boolean {
  const graph = snapshot.graph;
  const type = graph.nodeTypes[ordinal];
  if (type === graph.nodeType.array || type === graph.nodeType.hidden) return true;
  if (type !== graph.nodeType.object) return false;
  const name = graph.strings[graph.nodeNames[ordinal]!] ?? '';
  return name === 'Object' || name === 'Array' || name === 'system / Context' || name === '';
}

const identifier = /^[A-Za-z_$][\w$]*$/;

function accessor(snapshot: Snapshot, edge: number): string {
  const graph = snapshot.graph;
  const name = edgeName(graph, edge);
  if (isIndexEdge(graph, edge)) return `[${name}]`;
  const type = graph.edgeTypes[edge];
  // A closure's scope: `handler.context` reads worse than the variable that follows it.
  // `previous` links a scope to the enclosing one: `fn()::x` already says x is in fn's scope chain.
  if (type === graph.edgeType.internal && (name === 'context' || name === 'previous' || name === 'elements' || name === 'properties' || name === 'table')) return '';
  if (type === graph.edgeType.context) return `::${name}`;
  if (identifier.test(name)) return `.${name}`;
  if (/^\d+$/.test(name)) return `[${name}]`;
  return `[${name.startsWith('<symbol') ? name.slice(1, -1) : JSON.stringify(name)}]`;
}

function label(snapshot: Snapshot, ordinal: number): string {
  const graph = snapshot.graph;
  if (ordinal === 0) return '(root)';
  const type = graph.nodeTypes[ordinal];
  // Synthetic roots ("(GC roots)", "(Global handles)") and embedder nodes ("Node / Environment")
  // are best known by their own names.
  if (type === graph.nodeType.synthetic || type === graph.nodeType.native) {
    const own = graph.strings[graph.nodeNames[ordinal]!] ?? '';
    if (own !== '') return own;
  }
  const name = displayName(snapshot, ordinal);
  // A scope seen at the start of a step (after a cut in a long path) reads better as what it is.
  if (name === 'system / Context') return '(scope)';
  return graph.nodeTypes[ordinal] === graph.nodeType.closure ? `${name}()` : name;
}

/**
 * Node's embedder graph (Environment → Realm → CleanupQueue → ModuleWrap …) precedes every
 * module-level path; it is one fact ("held by Node itself"), so it is shown as one step.
 */
function collapseEmbedderPrefix(tokens: string[]): string[] {
  let run = 0;
  while (run < tokens.length - 1 && tokens[run]!.startsWith('Node / ')) run++;
  return run <= 1 ? tokens : ['(node)', ...tokens.slice(run)];
}

/** A linked chain (`Timeout._idlePrev` ×600) reads better as one step with a count. */
function collapseRepeats(tokens: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tokens.length; ) {
    let j = i + 1;
    while (j < tokens.length && tokens[j] === tokens[i]) j++;
    out.push(j - i > 1 ? `${tokens[i]} ×${j - i}` : tokens[i]!);
    i = j;
  }
  return out;
}

/** Longest rendered path; longer ones keep their head and tail around an ellipsis. */
const MAX_PATH_STEPS = 8;

/**
 * `(GC roots) → … → Server._events.request → JobQueue._events.error[4999] → onQueueError()`:
 * one step per meaningful object, pass-through holders (plain objects, arrays, contexts, backing
 * stores) folded into the accessor of the step before them.
 */
export function renderRetainerPath(snapshot: Snapshot, ordinal: number): string[] {
  const path = snapshot.retainerPath(ordinal, { maxSteps: 64 });
  if (!path) return ['(unreachable)'];
  const tokens: string[] = [];
  let current = '';
  for (const step of path.steps) {
    if (current === '') current = label(snapshot, step.from);
    current += accessor(snapshot, step.edge);
    const isLast = step.to === ordinal;
    if (!isLast && isPassThrough(snapshot, step.to) && step.from !== 0) continue;
    tokens.push(current);
    current = '';
  }
  tokens.push(label(snapshot, ordinal));
  const cleaned = collapseRepeats(collapseEmbedderPrefix(tokens.filter((token) => token !== '(root)' && !token.startsWith('(root)['))));
  if (cleaned.length <= MAX_PATH_STEPS) return cleaned;
  return [...cleaned.slice(0, 2), '…', ...cleaned.slice(cleaned.length - (MAX_PATH_STEPS - 3))];
}
