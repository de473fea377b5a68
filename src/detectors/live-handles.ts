import type { ComparedSnapshot } from '../diff/index.js';
import type { DetectorContext } from './context.js';
import type { Detector, Finding, HandleKind, HandleOwner, LocationGroup } from './detector.js';
import { groupFunctionsByLocation } from './function-groups.js';
import { judgeGrowth } from './suppressions.js';
import { severityOf } from './thresholds.js';

/**
 * Classes whose instances stand for work or resources that should end: timers, pending promises,
 * sockets and HTTP exchanges. Their live count growing means intervals never cleared, promises
 * never settled, connections never closed.
 */
const HANDLE_CLASSES: ReadonlyMap<string, HandleKind> = new Map([
  ['Timeout', 'timers'],
  ['Immediate', 'timers'],
  ['Promise', 'promises'],
  ['Socket', 'sockets'],
  ['TLSSocket', 'sockets'],
  ['Server', 'sockets'],
  ['ServerResponse', 'http-exchanges'],
  ['IncomingMessage', 'http-exchanges'],
  ['ClientRequest', 'http-exchanges'],
  ['FileHandle', 'file-handles'],
  ['WriteStream', 'streams'],
  ['ReadStream', 'streams'],
]);

export const liveHandles: Detector = {
  id: 'live-handles',
  title: 'timers, promises, sockets and HTTP exchanges whose live count grows',
  detect(context) {
    const { diff } = context;
    const explained = context.explained();
    const last = context.last;
    const graph = last.graph;
    const survivors = new Map<string, number[]>();
    const countsByClass = new Map<string, number[]>();
    for (const name of HANDLE_CLASSES.keys()) countsByClass.set(name, new Array<number>(diff.snapshots.length).fill(0));
    diff.snapshots.forEach((snapshot, k) => {
      const g = snapshot.graph;
      const isHandleName = handleNameFlags(snapshot);
      for (let ordinal = 0; ordinal < g.nodeCount; ordinal++) {
        if (g.nodeTypes[ordinal] !== g.nodeType.object || isHandleName[g.nodeNames[ordinal]!] === 0) continue;
        countsByClass.get(g.strings[g.nodeNames[ordinal]!]!)![k]!++;
      }
    });
    const isHandleName = handleNameFlags(last);
    const liveTimers: number[] = [];
    for (let ordinal = 0; ordinal < graph.nodeCount; ordinal++) {
      if (graph.nodeTypes[ordinal] !== graph.nodeType.object || isHandleName[graph.nodeNames[ordinal]!] === 0) continue;
      const name = graph.strings[graph.nodeNames[ordinal]!]!;
      if (name === 'Timeout') liveTimers.push(ordinal);
      if (diff.candidates[ordinal] === 0 || explained[ordinal] === 1) continue;
      let list = survivors.get(name);
      if (!list) survivors.set(name, (list = []));
      list.push(ordinal);
    }
    const findings: Finding[] = [];
    for (const [className, members] of survivors) {
      const counts = countsByClass.get(className)!;
      const decision = judgeGrowth({ counts, survivingCount: members.length });
      const retainedSize = context.clusterRetainedSize(members);
      // Bytes growth is what the surviving handles hold; per-snapshot totals of a class that is
      // mostly short-lived would measure traffic, not the leak.
      const growth = { count: counts[counts.length - 1]! - counts[0]!, bytes: retainedSize };
      const severity = severityOf(decision, growth, context.thresholdsFor('live-handles'));
      if (severity === undefined) continue;
      for (const member of members) context.claim(member);
      const groups = className === 'Timeout' ? groupTimersByCallback(context, liveTimers) : className === 'Promise' ? groupPromisesByAsyncFunction(context, members) : [];
      const owners = userOwners(context, members);
      findings.push({
        kind: 'live-handles',
        severity,
        subject: { className: last.displayName(members[0]!), handleKind: HANDLE_CLASSES.get(className)!, ...(owners.length > 0 ? { owners } : {}) },
        retainedSize,
        growth,
        location: groups[0]?.location ?? null,
        retainerPath: context.retainerPath(last.largestByRetainedSize(members)),
        evidence: {
          unit: 'objects', counts, bytes: counts.map((_, k) => (k === counts.length - 1 ? retainedSize : 0)), survivingCount: members.length,
          ...(groups.length > 0 ? { groups } : {}),
        },
      });
    }
    return findings;
  },
};

/**
 * Pending promises by the async function whose suspended call holds them: V8 keeps each call of an
 * async function as a "Generator" object (internal `function` → the function) that refers to the
 * call's own result promise, which stays pending for as long as the call waits. A chain of calls
 * each awaiting the one before it is then one group at the function's line.
 */
function groupPromisesByAsyncFunction(context: DetectorContext, promises: readonly number[]): LocationGroup[] {
  const last = context.last;
  const creators: number[] = [];
  for (const promise of promises) {
    for (const { owner } of last.referrers(promise)) {
      if (last.nodeName(owner) !== 'Generator') continue;
      const fn = last.internal(owner, 'function');
      if (fn >= 0) {
        creators.push(fn);
        break;
      }
    }
  }
  return groupFunctionsByLocation(context, creators);
}

/** Owner groups kept in a finding. */
const MAX_OWNER_GROUPS = 3;

/**
 * What the user's code keeps each handle in: a socket's path runs through Node's own objects
 * (TCPSocketWrap → TCP → Socket), but the client object that owns it is one property away. An
 * owner counts when its class's constructor is defined outside Node (wrappers.ts's test, by script).
 */
function userOwners(context: DetectorContext, members: readonly number[]): HandleOwner[] {
  const last = context.last;
  const graph = last.graph;
  const locator = context.locator();
  const isUserClass = new Map<string, boolean>();
  const byKey = new Map<string, HandleOwner & { count: number }>();
  for (const member of members) {
    for (const { owner, edge } of last.referrers(member)) {
      if (graph.edgeTypes[edge] !== graph.edgeType.property || graph.nodeTypes[owner] !== graph.nodeType.object || last.isPassThrough(owner)) continue;
      const className = last.definingClassName(owner);
      let user = isUserClass.get(className);
      if (user === undefined) {
        const constructor = last.property(last.property(owner, '__proto__'), 'constructor');
        const script = constructor < 0 ? undefined : locator.locate(constructor)?.script;
        user = script !== undefined && !script.startsWith('node:');
        isUserClass.set(className, user);
      }
      if (!user) continue;
      const property = last.edgeName(edge);
      const key = `${className}.${property}`;
      const group = byKey.get(key);
      if (group) group.count++;
      else byKey.set(key, { className, property, count: 1 });
    }
  }
  return [...byKey.values()].sort((a, b) => b.count - a.count).slice(0, MAX_OWNER_GROUPS);
}

/** By string index: 1 for the names of handle classes, so the per-node test is one array read. */
function handleNameFlags(snapshot: ComparedSnapshot): Uint8Array {
  const flags = new Uint8Array(snapshot.graph.strings.length);
  for (const name of HANDLE_CLASSES.keys()) {
    const index = snapshot.stringIndex(name);
    if (index >= 0) flags[index] = 1;
  }
  return flags;
}

/** Timers by the function they run (`_onTimeout`), the user's function behind any wrapper. */
function groupTimersByCallback(context: DetectorContext, timers: readonly number[]): LocationGroup[] {
  const callbacks: number[] = [];
  for (const timer of timers) {
    const callback = context.last.property(timer, '_onTimeout');
    if (callback >= 0) callbacks.push(callback);
  }
  return groupFunctionsByLocation(context, callbacks);
}
