import { allocationFrame, firstUserFrame } from './allocation-sites.js';
import type { DetectorContext } from './context.js';
import type { TraceFrame } from '../snapshot/index.js';
import type { AllocationStack, Finding } from './detector.js';

/** Frames kept per stack, innermost first (as the agent folds sampled sites). */
const STACK_FRAMES = 8;

/** Members of a collection looked at for their allocation stacks: enough for a majority, bounded for huge collections. */
const MAX_MEMBERS_EXAMINED = 10_000;

/**
 * With V8's allocation tracker on, every object the last snapshot holds carries the id of its
 * allocation stack (trace_node_id). A finding's stack is the most common one among its objects:
 * the members of a growing collection (the entries that pile up, not the collection, which was
 * made once at startup), else the representative object its retainer path ends at (a closure is
 * allocated where its enclosing function ran, a listener where it was registered).
 *
 * Objects without an id are left out: allocated before tracking began, or whose id the tracker
 * did not keep (measured on Node 20: 720 of the 1,100 entries of http-allocation-site's array had
 * none, mostly the older ones, which we take to be objects the GC moved). So every member is
 * looked at, not only the leak candidates, which are among the older.
 */
export function attachAllocationStacks(context: DetectorContext, findings: readonly Finding[]): Finding[] {
  const last = context.last;
  const traces = last.graph.allocationTraces;
  if (traces === null) return [...findings];
  return findings.map((finding) => {
    const objects = examinedObjects(context, finding);
    const traceIds = last.graph.traceNodeIds;
    // The tracker's tree runs to the bottom of the stack, so the same code reached through other
    // callers deep down (another socket, a parser path, another tick) is another trace node: group
    // by the innermost frames down to the first user frame and its caller (the line that allocated
    // and who called it); the frames shown are those of the first object of the group.
    const byStack = new Map<string, { frames: TraceFrame[]; count: number }>();
    const keyByTrace = new Map<number, string>();
    let tracked = 0;
    for (const ordinal of objects) {
      const id = traceIds[ordinal]!;
      if (id === 0) continue;
      tracked++;
      let key = keyByTrace.get(id);
      if (key === undefined) {
        const frames = traces.stack(id).slice(0, STACK_FRAMES);
        key = frames.slice(0, groupingDepth(frames)).map((f) => `${f.scriptId}:${f.line}:${f.column}:${f.functionName}`).join('\n');
        keyByTrace.set(id, key);
        if (!byStack.has(key)) byStack.set(key, { frames, count: 0 });
      }
      byStack.get(key)!.count++;
    }
    let best: { frames: TraceFrame[]; count: number } | undefined;
    for (const entry of byStack.values()) if (best === undefined || entry.count > best.count) best = entry;
    if (best === undefined) return finding;
    const frames = best.frames.map((f) => allocationFrame(f.functionName, f.scriptName, f.line, f.column, context.sourceMaps));
    const allocationStack: AllocationStack = { frames, userFrame: firstUserFrame(frames), objectCount: best.count, trackedCount: tracked };
    return { ...finding, allocationStack };
  });
}

/** Frames that decide a group: through the caller of the innermost user frame (a script that is not node: and has a line), else the first three. */
function groupingDepth(frames: readonly TraceFrame[]): number {
  const user = frames.findIndex((f) => f.line > 0 && f.scriptName !== '' && !f.scriptName.startsWith('node:'));
  return user < 0 ? 3 : user + 2;
}

function examinedObjects(context: DetectorContext, finding: Finding): number[] {
  const last = context.last;
  const graph = last.graph;
  if (finding.kind === 'growing-collections') {
    const collection = last.ordinalById(finding.subject.nodeId);
    if (collection < 0) return [];
    const owner = finding.subject.collection === 'Map' || finding.subject.collection === 'Set' ? last.internal(collection, 'table') : collection;
    const members: number[] = [];
    if (owner < 0) return members;
    for (let edge = graph.firstEdge[owner]!; edge < graph.firstEdge[owner + 1]! && members.length < MAX_MEMBERS_EXAMINED; edge++) {
      const type = graph.edgeTypes[edge];
      if (type === graph.edgeType.weak || type === graph.edgeType.shortcut) continue;
      members.push(graph.edgeTargets[edge]!);
    }
    return members;
  }
  const end = finding.retainerPath?.steps.at(-1);
  const ordinal = end === undefined ? -1 : last.ordinalById(end.nodeId);
  return ordinal < 0 ? [] : [ordinal];
}
