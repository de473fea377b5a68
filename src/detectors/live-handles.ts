import { displayName, propertyTarget, stringIndex } from '../diff/index.js';
import type { HeapGraph } from '../snapshot/index.js';
import type { DetectorContext } from './context.js';
import type { Detector, Finding, LocationGroup } from './detector.js';
import { formatLocation } from './source-location.js';
import { judgeGrowth } from './suppressions.js';
import { severityOf } from './thresholds.js';

/**
 * Classes whose instances stand for work or resources that should end: timers, pending promises,
 * sockets and HTTP exchanges. Their live count growing means intervals never cleared, promises
 * never settled, connections never closed.
 */
const HANDLE_CLASSES: ReadonlyMap<string, string> = new Map([
  ['Timeout', 'timers'],
  ['Immediate', 'timers'],
  ['Promise', 'promises'],
  ['Socket', 'sockets'],
  ['TLSSocket', 'sockets'],
  ['Server', 'sockets'],
  ['ServerResponse', 'HTTP exchanges'],
  ['IncomingMessage', 'HTTP exchanges'],
  ['ClientRequest', 'HTTP exchanges'],
  ['FileHandle', 'file handles'],
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
      const isHandleName = handleNameFlags(g);
      for (let ordinal = 0; ordinal < g.nodeCount; ordinal++) {
        if (g.nodeTypes[ordinal] !== g.nodeType.object || isHandleName[g.nodeNames[ordinal]!] === 0) continue;
        countsByClass.get(g.strings[g.nodeNames[ordinal]!]!)![k]!++;
      }
    });
    const isHandleName = handleNameFlags(graph);
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
      const groups = className === 'Timeout' ? groupTimersByCallback(context, liveTimers) : [];
      const top = groups[0];
      const callbacks = top?.location
        ? `, ${top.count === liveTimers.length ? 'all' : `${top.count.toLocaleString('en-US')} of them`} running ${top.location.functionName || '(anonymous)'} at ${formatLocation(top.location)}`
        : '';
      const representative = members.reduce((best, o) => (last.retainedSizes[o]! > last.retainedSizes[best]! ? o : best), members[0]!);
      findings.push({
        kind: 'live-handles',
        title: `${displayName(last, members[0]!)}: ${counts[counts.length - 1]!.toLocaleString('en-US')} live (+${growth.count.toLocaleString('en-US')}) ${HANDLE_CLASSES.get(className)}${callbacks}`,
        severity,
        retainedSize,
        growth,
        location: top?.location ?? null,
        retainerPath: context.retainerPath(representative),
        evidence: {
          unit: 'objects', counts, bytes: counts.map((_, k) => (k === counts.length - 1 ? retainedSize : 0)), survivingCount: members.length,
          subject: className, ...(groups.length > 0 ? { groups } : {}),
        },
      });
    }
    return findings;
  },
};

/** By string index: 1 for the names of handle classes, so the per-node test is one array read. */
function handleNameFlags(graph: HeapGraph): Uint8Array {
  const flags = new Uint8Array(graph.strings.length);
  for (const name of HANDLE_CLASSES.keys()) {
    const index = stringIndex(graph, name);
    if (index >= 0) flags[index] = 1;
  }
  return flags;
}

/** Timers by the function they run (`_onTimeout`), most common first. */
function groupTimersByCallback(context: DetectorContext, timers: readonly number[]): LocationGroup[] {
  const graph = context.last.graph;
  const locator = context.locator();
  const byKey = new Map<string, { ordinal: number; count: number }>();
  for (const timer of timers) {
    const callback = propertyTarget(graph, timer, '_onTimeout');
    if (callback < 0) continue;
    const key = locator.locationKey(callback) ?? '?';
    const group = byKey.get(key);
    if (group) group.count++;
    else byKey.set(key, { ordinal: callback, count: 1 });
  }
  return [...byKey.values()].sort((a, b) => b.count - a.count).map(({ ordinal, count }) => ({ location: locator.locate(ordinal), count }));
}
