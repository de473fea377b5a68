import type { CollectionKind, EdgeKind, NodeKind } from '../snapshot/index.js';
import type { DetectorContext } from './context.js';

/** Detector ids double as finding kinds and as the values `--detector` accepts. */
export type DetectorId = 'duplicate-listeners' | 'retained-closures' | 'growing-collections' | 'live-handles' | 'class-growth';

/**
 * `leak`: grew in every interval (three snapshots: with survivors of the first interval still alive
 * in the final one) and crossed the thresholds: fails the gate.
 * `suspect`: grew, but stayed under the thresholds or grew in only one interval: reported, never fails.
 */
export type Severity = 'leak' | 'suspect';

/** Where a function was defined; 1-based line and column for display, `script` as V8 names it (path or URL). */
export interface SourceLocation {
  readonly script: string;
  readonly line: number;
  readonly column: number;
  /** The function's name ('' for anonymous functions). */
  readonly functionName: string;
  /** Set when a source map mapped the location: where V8 saw it, in the compiled script. */
  readonly generated?: { readonly script: string; readonly line: number; readonly column: number };
}

/** Where a frame's code lives: the user's own, a package under node_modules, Node's built-ins, or V8 itself ('' script). */
export type FrameOrigin = 'user' | 'dependency' | 'node' | 'engine';

export interface AllocationFrame extends SourceLocation {
  readonly origin: FrameOrigin;
}

/** Why a site was attached to a finding (see matchFinding). */
export type SiteMatch = 'constructor' | 'function' | 'script';

export interface AllocationSite {
  /** The stack, innermost first: the function that allocated, then its callers (at most 8). */
  readonly frames: readonly AllocationFrame[];
  /** Index in `frames` of the innermost user frame (the allocation site as the user wrote it), or null when the stack has none. */
  readonly userFrame: number | null;
  /** Estimated live bytes at each measured checkpoint, oldest first. */
  readonly liveBytes: readonly number[];
  /** liveBytes last − first. */
  readonly growthBytes: number;
  /** Set on sites attached to a finding. */
  readonly match?: SiteMatch;
}

/** The exact allocation stack of a finding's objects, from V8's allocation tracker (run --track-allocations). */
export interface AllocationStack {
  /** Innermost first, as in AllocationSite. */
  readonly frames: readonly AllocationFrame[];
  readonly userFrame: number | null;
  /** Of the objects looked at (a collection's members, else the finding's representative object) that carry a tracked stack (trackedCount), how many were allocated at this one. */
  readonly objectCount: number;
  readonly trackedCount: number;
}

/** Numbers behind a finding, one entry per snapshot (oldest first). JSON-safe. */
export interface Evidence {
  /** What `counts` counts: listeners, closures, entries (Map/Set), elements (Array), properties (Object), objects. */
  readonly unit: 'listeners' | 'closures' | 'entries' | 'elements' | 'properties' | 'objects';
  /** Per snapshot: how many of `unit`. */
  readonly counts: readonly number[];
  /** Per snapshot: bytes held (retained size of the subject, or of the cluster). */
  readonly bytes: readonly number[];
  /**
   * Objects allocated between base and target and still alive in final (two snapshots: new in
   * target); null in the cross-process method, which cannot tell one object from another.
   */
  readonly survivingCount: number | null;
  /** Retained closures: context variables of the cluster's closures, largest first. */
  readonly captured?: readonly CapturedVariable[];
  /** Listeners or timers grouped by function, most common first: how many of the current ones share each location. */
  readonly groups?: readonly LocationGroup[];
}

export interface CapturedVariable {
  readonly name: string;
  /** Sum over the cluster of the retained size of what the variable holds. */
  readonly retainedSize: number;
}

export interface LocationGroup {
  readonly location: SourceLocation | null;
  readonly count: number;
  /** How the group's functions were wrapped before being registered (wrappers.ts), when they were; `location` is the user's function. */
  readonly wrapper?: WrapperKind;
}

/**
 * What made the function that was registered out of the user's: `fn.bind`, `emitter.once`,
 * `AsyncResource.bind` / `AsyncLocalStorage.bind`, `util.promisify`, or another function of Node's.
 */
export type WrapperKind = 'bind' | 'once' | 'async-context' | 'promisify' | 'node';

/**
 * What holds an object, as the user wrote it: a scope variable or an object, then the property
 * names and element indices from there to the object.
 */
export interface HolderPath {
  /**
   * Where the chain starts: a scope variable, an object's class, or a property of an unnamed plain
   * object; null when the chain was cut before reaching a named owner.
   */
  readonly root: { readonly kind: 'variable' | 'object' | 'property'; readonly name: string } | null;
  readonly steps: readonly HolderStep[];
}

/**
 * `index: null` stands for any index (a clustering shape such as "every element of requestLog").
 * `entry` is a Map value reached by its key (`key: null` when the key is not a string).
 */
export type HolderStep =
  | { readonly kind: 'property'; readonly name: string }
  | { readonly kind: 'element'; readonly index: number | null }
  | { readonly kind: 'entry'; readonly key: string | null };

/**
 * One step of a retainer path: the edge from the previous object (the GC root for the first step)
 * and the object it reaches.
 */
export interface PathStep {
  /** The edge's name (property, variable, internal field, Map key) or its element index as text. */
  readonly edge: string;
  /** V8's edge type; 'entry' is ours: a Map entry reached by its key (`edge`), which V8 spreads over a hash table. */
  readonly edgeType: EdgeKind | 'entry';
  readonly nodeId: number;
  /** The object as a user would name it (display name; embedder and synthetic nodes by their own names). */
  readonly className: string;
  readonly nodeType: NodeKind;
  /** Holds only its owner's data (plain object, array, scope, backing store): renderers fold it into the step before. */
  readonly passThrough: boolean;
}

export interface RetainerPathData {
  /** From the GC root (exclusive) to the finding's representative object (inclusive). */
  readonly steps: readonly PathStep[];
  /** Steps left out of the middle of a very long path (0 when complete). */
  readonly omittedSteps: number;
}

/** The kind of resource a live-handles finding counts. */
export type HandleKind = 'timers' | 'promises' | 'sockets' | 'http-exchanges' | 'file-handles' | 'streams';

/** Objects of a user-defined class holding handles by one property: `PeerClient.socket` for `count` of them. */
export interface HandleOwner {
  readonly className: string;
  readonly property: string;
  readonly count: number;
}

/** What a finding is about, per detector (the words are src/report's). */
export interface FindingSubjects {
  /** Listeners on one event of one emitter: its class and id, and the event name. */
  'duplicate-listeners': { readonly emitter: string; readonly emitterId: number; readonly event: string };
  /** Live objects of one handle class (Timeout, Promise, Socket, …). */
  'live-handles': {
    readonly className: string;
    readonly handleKind: HandleKind;
    /** The user's objects that hold the surviving handles (allocated in the first interval, alive in the last) one property away (a client's `socket`), most common first. */
    readonly owners?: readonly HandleOwner[];
  };
  /** Closures of one function (the location says where it is defined). */
  'retained-closures': { readonly functionName: string; readonly wrapper?: WrapperKind };
  /** One collection, by V8 id, and what holds it (null when nothing named does). */
  'growing-collections': { readonly collection: CollectionKind; readonly nodeId: number; readonly holder: HolderPath | null };
  /** Surviving objects of one class; `holder` is the shape of what holds them when they were clustered by it. */
  'class-growth': { readonly className: string; readonly holder: HolderPath | null };
}

interface FindingOf<K extends DetectorId> {
  readonly kind: K;
  readonly severity: Severity;
  readonly subject: FindingSubjects[K];
  /** Bytes the finding's objects retain in the last snapshot. */
  readonly retainedSize: number;
  /** Growth from the first to the last snapshot, in `evidence.unit` and in bytes. */
  readonly growth: { readonly count: number; readonly bytes: number };
  readonly location: SourceLocation | null;
  /** Shortest path from the GC roots to a representative object; null when none reaches it. */
  readonly retainerPath: RetainerPathData | null;
  readonly evidence: Evidence;
  /** Growing allocation sites of the run's sampling heap profiler that match this finding (allocation-sites.ts), largest growth first. */
  readonly allocationSites?: readonly AllocationSite[];
  /** Where its objects were allocated, exactly: present when the last snapshot was taken under the allocation tracker. */
  readonly allocationStack?: AllocationStack;
}

/** A finding as data: its kind decides the shape of its subject. */
export type Finding = { [K in DetectorId]: FindingOf<K> }[DetectorId];

export interface Detector {
  readonly id: DetectorId;
  /** One line for `--help` and the docs. */
  readonly title: string;
  detect(context: DetectorContext): Finding[];
}

/** Minimum growth, between the first and the last snapshot, that makes a finding fail the gate. */
export interface Thresholds {
  /** Retained bytes added. */
  readonly minGrowthBytes: number;
  /** Listeners, closures, entries or objects added. */
  readonly minGrowthCount: number;
}

