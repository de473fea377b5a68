import {
  displayName, edgeName, mapEntries, nodeName, ordinalInSnapshot, propertyTarget, internalTarget, stringIndex, type ComparedSnapshot,
} from '../diff/index.js';
import type { HeapGraph } from '../snapshot/index.js';
import type { DetectorContext } from './context.js';
import type { Detector, Finding, LocationGroup } from './detector.js';
import { formatLocation } from './source-location.js';
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
    const last = context.last;
    const graph = last.graph;
    const findings: Finding[] = [];
    const eventsName = stringIndex(graph, '_events');
    const kEventsName = stringIndex(graph, '<symbol kEvents>');
    if (eventsName < 0 && kEventsName < 0) return findings;
    for (let emitter = 0; emitter < graph.nodeCount; emitter++) {
      if (graph.nodeTypes[emitter] !== graph.nodeType.object || !hasEdgeNamed(graph, emitter, eventsName, kEventsName)) continue;
      const lists = listenerLists(last, emitter);
      for (const list of lists) {
        const finding = judge(context, emitter, list);
        if (finding) findings.push(finding);
      }
    }
    return findings;
  },
};

/** One pass over the node's edges: does it have a property named either string index? */
function hasEdgeNamed(graph: HeapGraph, ordinal: number, first: number, second: number): boolean {
  const end = graph.firstEdge[ordinal + 1]!;
  for (let edge = graph.firstEdge[ordinal]!; edge < end; edge++) {
    const name = graph.edgeNames[edge];
    if ((name === first || name === second) && graph.edgeTypes[edge] === graph.edgeType.property) return true;
  }
  return false;
}

interface ListenerList {
  readonly event: string;
  /** The node holding the listeners (array, single function, or the EventTarget's list head). */
  readonly holder: number;
  /** Listener functions, in order. */
  readonly listeners: number[];
  /** Rendered accessor from the emitter to the list, e.g. `._events.error`. */
  readonly accessor: string;
}

/** The listener lists an object carries, as EventEmitter or as EventTarget; [] for anything else. */
function listenerLists(snapshot: ComparedSnapshot, emitter: number): ListenerList[] {
  const graph = snapshot.graph;
  const lists: ListenerList[] = [];
  const events = propertyTarget(graph, emitter, '_events');
  if (events >= 0 && graph.nodeTypes[events] === graph.nodeType.object) {
    const end = graph.firstEdge[events + 1]!;
    for (let edge = graph.firstEdge[events]!; edge < end; edge++) {
      if (graph.edgeTypes[edge] !== graph.edgeType.property) continue;
      const event = edgeName(graph, edge);
      if (event === '__proto__') continue;
      const target = graph.edgeTargets[edge]!;
      const listeners = emitterListeners(graph, target);
      if (listeners.length > 0) lists.push({ event, holder: target, listeners, accessor: `._events${propertyAccessor(event)}` });
    }
  }
  const kEvents = propertyTarget(graph, emitter, '<symbol kEvents>');
  if (kEvents >= 0 && nodeName(graph, kEvents) === 'Map') {
    for (const { key, value } of mapEntries(graph, kEvents)) {
      if (key < 0 || value < 0 || graph.nodeTypes[key] !== graph.nodeType.string) continue;
      const event = nodeName(graph, key);
      const listeners = eventTargetListeners(graph, value);
      if (listeners.length > 0) lists.push({ event, holder: value, listeners, accessor: `[kEvents].${event}` });
    }
  }
  return lists;
}

function propertyAccessor(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

/** `_events.x` is a function when one listener is registered and an array from the second on. */
function emitterListeners(graph: HeapGraph, target: number): number[] {
  if (graph.nodeTypes[target] === graph.nodeType.closure) return [unwrapListener(graph, target)];
  if (graph.nodeTypes[target] !== graph.nodeType.object || nodeName(graph, target) !== 'Array') return [];
  const listeners: number[] = [];
  const end = graph.firstEdge[target + 1]!;
  for (let edge = graph.firstEdge[target]!; edge < end; edge++) {
    if (graph.edgeTypes[edge] !== graph.edgeType.element) continue;
    const listener = graph.edgeTargets[edge]!;
    if (graph.nodeTypes[listener] === graph.nodeType.closure) listeners.push(unwrapListener(graph, listener));
  }
  return listeners;
}

/**
 * `emitter.once()` registers `onceWrapper.bind(state)`; the user's function is state.listener.
 * Grouping by the wrapper would lump every once-listener of the process together.
 */
function unwrapListener(graph: HeapGraph, closure: number): number {
  const boundThis = internalTarget(graph, closure, 'bound_this');
  if (boundThis < 0) return closure;
  const listener = propertyTarget(graph, boundThis, 'listener');
  return listener >= 0 && graph.nodeTypes[listener] === graph.nodeType.closure ? listener : closure;
}

/** Node's EventTarget keeps a doubly linked list per type: head → next → … each with a `listener`. */
function eventTargetListeners(graph: HeapGraph, head: number): number[] {
  const listeners: number[] = [];
  const seen = new Set<number>([head]);
  let current = propertyTarget(graph, head, 'next');
  while (current >= 0 && !seen.has(current)) {
    seen.add(current);
    let listener = propertyTarget(graph, current, 'callback');
    if (listener < 0) listener = propertyTarget(graph, current, 'listener');
    if (listener >= 0 && graph.nodeTypes[listener] === graph.nodeType.closure) listeners.push(listener);
    current = propertyTarget(graph, current, 'next');
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
    const same = there < 0 ? undefined : listenerLists(snapshot, there).find((l) => l.event === list.event && l.accessor === list.accessor);
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
  const groups = groupByLocation(context, list.listeners);
  const top = groups[0]!;
  const emitterName = displayName(context.last, emitter);
  const who = top.location
    ? `${top.count === list.listeners.length ? 'all' : `${top.count.toLocaleString('en-US')} of them`} ${top.location.functionName || '(anonymous)'} at ${formatLocation(top.location)}`
    : 'listeners of unknown origin';
  const path = context.retainerPath(emitter);
  path[path.length - 1] = `${path[path.length - 1]}${list.accessor}[${list.listeners.length - 1}]`;
  return {
    kind: 'duplicate-listeners',
    title: `${emitterName} '${list.event}': ${list.listeners.length.toLocaleString('en-US')} listeners (${signed(growth.count)}), ${who}`,
    severity,
    retainedSize: bytes[bytes.length - 1]!,
    growth,
    location: top.location,
    retainerPath: path,
    evidence: { unit: 'listeners', counts, bytes, survivingCount, subject: list.event, groups },
  };
}

function groupByLocation(context: DetectorContext, listeners: readonly number[]): LocationGroup[] {
  const locator = context.locator();
  const byKey = new Map<string, { ordinal: number; count: number }>();
  for (const listener of listeners) {
    const key = locator.locationKey(listener) ?? `?${nodeName(context.last.graph, listener)}`;
    const group = byKey.get(key);
    if (group) group.count++;
    else byKey.set(key, { ordinal: listener, count: 1 });
  }
  return [...byKey.values()]
    .sort((a, b) => b.count - a.count)
    .map(({ ordinal, count }) => ({ location: locator.locate(ordinal), count }));
}

function signed(value: number): string {
  return value > 0 ? `+${value.toLocaleString('en-US')}` : value.toLocaleString('en-US');
}
