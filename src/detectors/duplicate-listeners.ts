import { ordinalInSnapshot, type ComparedSnapshot } from '../diff/index.js';
import type { DetectorContext } from './context.js';
import type { Detector, Finding, PathStep } from './detector.js';
import { groupFunctionsByLocation } from './function-groups.js';
import { judgeGrowth } from './suppressions.js';
import { severityOf } from './thresholds.js';

/**
 * EventEmitter `_events.<name>` (one function, or an array of them) and Node EventTarget /
 * AbortSignal listener lists (`[kEvents]` Map → linked list of Listener records) whose listener
 * count grew between snapshots: the listener-per-request leak.
 */
export const duplicateListeners: Detector = {
  id: 'duplicate-listeners',
  title: 'EventEmitter / EventTarget listeners that keep piling up on one event',
  detect(context) {
    const findings: Finding[] = [];
    for (const { emitter, list } of everyListenerList(context.last)) {
      const finding = judge(context, emitter, list);
      if (finding) findings.push(finding);
    }
    return findings;
  },
};

/** Every listener list of every emitter (EventEmitter or EventTarget) in the snapshot. */
export function* everyListenerList(snapshot: ComparedSnapshot): Generator<{ readonly emitter: number; readonly list: ListenerList }> {
  const graph = snapshot.graph;
  const eventsName = snapshot.stringIndex('_events');
  const kEventsName = snapshot.stringIndex(K_EVENTS);
  if (eventsName < 0 && kEventsName < 0) return;
  for (let emitter = 0; emitter < graph.nodeCount; emitter++) {
    if (graph.nodeTypes[emitter] !== graph.nodeType.object || !hasPropertyNamed(snapshot, emitter, eventsName, kEventsName)) continue;
    for (const list of listenerLists(snapshot, emitter)) yield { emitter, list };
  }
}

const K_EVENTS = '<symbol kEvents>';

/** One pass over the node's edges: does it have a property named by either string index? */
function hasPropertyNamed(snapshot: ComparedSnapshot, ordinal: number, first: number, second: number): boolean {
  const graph = snapshot.graph;
  const end = graph.firstEdge[ordinal + 1]!;
  for (let edge = graph.firstEdge[ordinal]!; edge < end; edge++) {
    const name = graph.edgeNames[edge];
    if ((name === first || name === second) && graph.edgeTypes[edge] === graph.edgeType.property) return true;
  }
  return false;
}

/** How an emitter reaches its listener list: real edges, then (EventTarget) the Map entry's key. */
interface ListAccess {
  /** Edges from the emitter down to the list holder, in order. */
  readonly edges: readonly number[];
  /** EventTarget lists sit in a Map under the event name: the last hop is that entry. */
  readonly entryKey?: string;
}

export interface ListenerList {
  readonly event: string;
  /** The node holding the listeners (array, single function, or the EventTarget's list head). */
  readonly holder: number;
  /** Listener functions, in order. */
  readonly listeners: number[];
  readonly access: ListAccess;
  /** 'emitter' lists (`_events`) and 'target' lists (`[kEvents]`) never match each other across snapshots. */
  readonly style: 'emitter' | 'target';
}

/** The listener lists an object carries, as EventEmitter or as EventTarget; [] for anything else. */
function listenerLists(snapshot: ComparedSnapshot, emitter: number): ListenerList[] {
  const graph = snapshot.graph;
  const lists: ListenerList[] = [];
  const eventsEdge = snapshot.edgeNamed(emitter, graph.edgeType.property, '_events');
  const events = eventsEdge < 0 ? -1 : graph.edgeTargets[eventsEdge]!;
  if (events >= 0 && graph.nodeTypes[events] === graph.nodeType.object) {
    const end = graph.firstEdge[events + 1]!;
    for (let edge = graph.firstEdge[events]!; edge < end; edge++) {
      if (graph.edgeTypes[edge] !== graph.edgeType.property) continue;
      const event = snapshot.edgeName(edge);
      if (event === '__proto__') continue;
      const target = graph.edgeTargets[edge]!;
      const listeners = emitterListeners(snapshot, target);
      if (listeners.length > 0) lists.push({ event, holder: target, listeners, access: { edges: [eventsEdge, edge] }, style: 'emitter' });
    }
  }
  const kEventsEdge = snapshot.edgeNamed(emitter, graph.edgeType.property, K_EVENTS);
  const kEvents = kEventsEdge < 0 ? -1 : graph.edgeTargets[kEventsEdge]!;
  if (kEvents >= 0 && snapshot.nodeName(kEvents) === 'Map') {
    for (const { key, value } of snapshot.mapEntries(kEvents)) {
      if (key < 0 || value < 0 || graph.nodeTypes[key] !== graph.nodeType.string) continue;
      const event = snapshot.nodeName(key);
      const listeners = eventTargetListeners(snapshot, value);
      if (listeners.length > 0) lists.push({ event, holder: value, listeners, access: { edges: [kEventsEdge], entryKey: event }, style: 'target' });
    }
  }
  return lists;
}

/** `_events.x` is a function when one listener is registered and an array from the second on. */
function emitterListeners(snapshot: ComparedSnapshot, target: number): number[] {
  const graph = snapshot.graph;
  if (graph.nodeTypes[target] === graph.nodeType.closure) return [target];
  if (graph.nodeTypes[target] !== graph.nodeType.object || snapshot.nodeName(target) !== 'Array') return [];
  const listeners: number[] = [];
  const end = graph.firstEdge[target + 1]!;
  for (let edge = graph.firstEdge[target]!; edge < end; edge++) {
    if (graph.edgeTypes[edge] !== graph.edgeType.element) continue;
    const listener = graph.edgeTargets[edge]!;
    if (graph.nodeTypes[listener] === graph.nodeType.closure) listeners.push(listener);
  }
  return listeners;
}

/** Node's EventTarget keeps a doubly linked list per type: head → next → … each with a `listener`. */
function eventTargetListeners(snapshot: ComparedSnapshot, head: number): number[] {
  const graph = snapshot.graph;
  const listeners: number[] = [];
  const seen = new Set<number>([head]);
  let current = snapshot.property(head, 'next');
  while (current >= 0 && !seen.has(current)) {
    seen.add(current);
    let listener = snapshot.property(current, 'callback');
    if (listener < 0) listener = snapshot.property(current, 'listener');
    if (listener >= 0 && graph.nodeTypes[listener] === graph.nodeType.closure) listeners.push(listener);
    current = snapshot.property(current, 'next');
  }
  return listeners;
}

function judge(context: DetectorContext, emitter: number, list: ListenerList): Finding | undefined {
  const { diff } = context;
  const counts: number[] = [];
  const bytes: number[] = [];
  for (let k = 0; k < diff.snapshots.length; k++) {
    const snapshot = diff.snapshots[k]!;
    const there = ordinalInSnapshot(diff, k, emitter);
    const same = there < 0 ? undefined : listenerLists(snapshot, there).find((l) => l.event === list.event && l.style === list.style);
    counts.push(same?.listeners.length ?? 0);
    bytes.push(context.retainedAsOf(list.listeners, k));
  }
  let survivingCount = 0;
  for (const listener of list.listeners) if (diff.candidates[listener] === 1) survivingCount++;
  const decision = judgeGrowth({ counts, survivingCount });
  const growth = { count: counts[counts.length - 1]! - counts[0]!, bytes: bytes[bytes.length - 1]! - bytes[0]! };
  const severity = severityOf(decision, growth, context.thresholdsFor('duplicate-listeners'));
  if (severity === undefined) return undefined;

  context.claim(list.holder);
  for (const listener of list.listeners) context.claim(listener);
  const groups = groupFunctionsByLocation(context, list.listeners);
  const last = context.last;
  return {
    kind: 'duplicate-listeners',
    severity,
    subject: { emitter: last.definingClassName(emitter), emitterId: last.graph.nodeIds[emitter]!, event: list.event },
    retainedSize: bytes[bytes.length - 1]!,
    growth,
    location: groups[0]!.location,
    retainerPath: pathToList(context, emitter, list),
    evidence: { unit: 'listeners', counts, bytes, survivingCount, groups },
  };
}

/** The emitter's own path, continued down to the newest listener: `JobQueue._events.error[4999] → onQueueError()`. */
function pathToList(context: DetectorContext, emitter: number, list: ListenerList): Finding['retainerPath'] {
  const path = context.retainerPath(emitter);
  if (path === null) return null;
  const last = context.last;
  const graph = last.graph;
  const steps: PathStep[] = [...path.steps];
  for (const edge of list.access.edges) steps.push(context.pathStep(edge, graph.edgeTargets[edge]!));
  if (list.access.entryKey !== undefined) {
    const { nodeId, className, nodeType, passThrough } = context.pathStep(list.access.edges[0]!, list.holder);
    steps.push({ edge: list.access.entryKey, edgeType: 'entry', nodeId, className, nodeType, passThrough });
  } else if (graph.nodeTypes[list.holder] !== graph.nodeType.closure) {
    const elementEdge = lastElementEdge(context, list.holder);
    if (elementEdge >= 0) steps.push(context.pathStep(elementEdge, graph.edgeTargets[elementEdge]!));
  }
  return { steps, omittedSteps: path.omittedSteps };
}

function lastElementEdge(context: DetectorContext, holder: number): number {
  const graph = context.last.graph;
  for (let edge = graph.firstEdge[holder + 1]! - 1; edge >= graph.firstEdge[holder]!; edge--) {
    if (graph.edgeTypes[edge] === graph.edgeType.element) return edge;
  }
  return -1;
}
