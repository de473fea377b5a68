import type { ComparedSnapshot } from '../diff/index.js';
import type { DetectorContext } from './context.js';
import type { CapturedVariable, Detector, Finding } from './detector.js';
import type { SourceLocator } from './source-location.js';
import { unwrapFunction, type Unwrapped } from './wrappers.js';
import { judgeGrowth } from './suppressions.js';
import { severityOf } from './thresholds.js';

/**
 * Live closures grouped by where they were defined, whose count grew: callbacks stored per request,
 * or the shared-context leak (a closure keeps alive variables that only a sibling closure used).
 * The finding names the captured variables that hold the most.
 */
export const retainedClosures: Detector = {
  id: 'retained-closures',
  title: 'closures from one source location that keep accumulating, with what their scope holds',
  detect(context) {
    const { diff } = context;
    const last = context.last;
    const graph = last.graph;
    const locator = context.locator();
    const explained = context.explained();
    // Clusters are seeded by surviving candidates only, so one pass over the last snapshot's closures.
    const clusters = new Map<string, number[]>();
    const userFunctionByKey = new Map<string, Unwrapped>();
    for (let ordinal = 0; ordinal < graph.nodeCount; ordinal++) {
      if (graph.nodeTypes[ordinal] !== graph.nodeType.closure || diff.candidates[ordinal] === 0 || explained[ordinal] === 1) continue;
      const unwrapped = unwrapFunction(last, locator, ordinal);
      const key = clusterKey(locator, unwrapped);
      if (key === undefined) continue;
      if (!userFunctionByKey.has(key)) userFunctionByKey.set(key, unwrapped);
      let members = clusters.get(key);
      if (!members) clusters.set(key, (members = []));
      members.push(ordinal);
    }
    if (clusters.size === 0) return [];
    const countsByKey = diff.snapshots.map((snapshot, k) => countClosuresByLocation(context, snapshot, k, clusters));
    const findings: Finding[] = [];
    for (const [key, survivors] of clusters) {
      const counts = countsByKey.map((perSnapshot) => perSnapshot.get(key)?.length ?? 0);
      const decision = judgeGrowth({ counts, survivingCount: survivors.length });
      const lastMembers = countsByKey[countsByKey.length - 1]!.get(key) ?? survivors;
      const bytes = countsByKey.map((_, k) => context.retainedAsOf(lastMembers, k));
      const growth = { count: counts[counts.length - 1]! - counts[0]!, bytes: bytes[bytes.length - 1]! - bytes[0]! };
      const severity = severityOf(decision, growth, context.thresholdsFor('retained-closures'));
      if (severity === undefined) continue;
      const members = countsByKey[countsByKey.length - 1]!.get(key) ?? survivors;
      for (const member of survivors) context.claim(member);
      const userFunction = userFunctionByKey.get(key)!;
      const location = locator.locate(userFunction.ordinal);
      findings.push({
        kind: 'retained-closures',
        severity,
        subject: {
          functionName: location?.functionName || last.nodeName(userFunction.ordinal),
          ...(userFunction.wrapper ? { wrapper: userFunction.wrapper } : {}),
        },
        retainedSize: bytes[bytes.length - 1]!,
        growth,
        location,
        retainerPath: context.retainerPath(last.largestByRetainedSize(survivors)),
        evidence: { unit: 'closures', counts, bytes, survivingCount: survivors.length, captured: capturedVariables(context, members) },
      });
    }
    return findings;
  },
};

/**
 * Closures cluster by the user's function behind any wrapper (wrappers.ts) and by the wrapper's
 * kind, so 300 `AsyncLocalStorage.bind(onJob)` wrappers are onJob's, apart from plain onJob closures.
 */
function clusterKey(locator: SourceLocator, unwrapped: Unwrapped): string | undefined {
  const key = locator.locationKey(unwrapped.ordinal);
  return key === undefined ? undefined : `${key}:${unwrapped.wrapper ?? ''}`;
}

/** Every closure of snapshot k whose cluster key is one of the clusters'. */
function countClosuresByLocation(
  context: DetectorContext, snapshot: ComparedSnapshot, k: number, clusters: ReadonlyMap<string, number[]>,
): Map<string, number[]> {
  const graph = snapshot.graph;
  const locator = context.locator(k);
  const members = new Map<string, number[]>();
  // Every closure, not only the located ones: bound functions have no location of their own.
  for (let ordinal = 0; ordinal < graph.nodeCount; ordinal++) {
    if (graph.nodeTypes[ordinal] !== graph.nodeType.closure) continue;
    const key = clusterKey(locator, unwrapFunction(snapshot, locator, ordinal));
    if (key === undefined || !clusters.has(key)) continue;
    let list = members.get(key);
    if (!list) members.set(key, (list = []));
    list.push(ordinal);
  }
  return members;
}

/** Context variables of the closures' scopes (and the scope around them), by what they retain together. */
function capturedVariables(context: DetectorContext, closures: readonly number[]): CapturedVariable[] {
  const snapshot = context.last;
  const graph = snapshot.graph;
  const targetsByName = new Map<string, number[]>();
  const seenContexts = new Set<number>();
  for (const closure of closures) {
    let scope = snapshot.internal(closure, 'context');
    // The closure's own scope and the one around it; a scope shared by many closures counts once.
    for (let depth = 0; scope >= 0 && depth < 2 && !seenContexts.has(scope); depth++) {
      seenContexts.add(scope);
      const end = graph.firstEdge[scope + 1]!;
      for (let edge = graph.firstEdge[scope]!; edge < end; edge++) {
        if (graph.edgeTypes[edge] !== graph.edgeType.context) continue;
        const name = snapshot.edgeName(edge);
        let targets = targetsByName.get(name);
        if (!targets) targetsByName.set(name, (targets = []));
        targets.push(graph.edgeTargets[edge]!);
      }
      scope = snapshot.internal(scope, 'previous');
      if (scope >= 0 && snapshot.nodeName(scope) === 'system / NativeContext') break;
    }
  }
  // Chained scopes (each closure's variable holding the previous closure) nest inside each other:
  // the cluster size counts each byte once.
  return [...targetsByName]
    .map(([name, targets]) => ({ name, retainedSize: context.clusterRetainedSize(targets) }))
    .sort((a, b) => b.retainedSize - a.retainedSize)
    .slice(0, 5);
}
