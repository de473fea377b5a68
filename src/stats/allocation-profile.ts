/**
 * Folds a V8 sampling heap profile (HeapProfiler.getSamplingProfile: a call tree whose nodes carry
 * the live bytes sampled at that stack) into a bounded list of allocation sites, for the wire and
 * for report.json. Pure: the agent folds its own profile before sending it, and `watch` folds the
 * one it reads over the inspector, with this one implementation.
 *
 * A profile can hold thousands of nodes, so a site is the innermost MAX_FRAMES frames (deeper
 * callers merged), only the MAX_SITES largest sites are kept, and frames are shared through a
 * function table.
 */
const MAX_FRAMES = 8;
const MAX_SITES = 300;

/** As the inspector protocol gives it (0-based positions). */
export interface ProfileCallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
export interface ProfileNode { callFrame: ProfileCallFrame; selfSize: number; children: ProfileNode[] }

/** One function of an allocation stack, as V8's sampling heap profiler names it; line and column 1-based (0 when V8 has none). */
export interface AllocationFunction {
  functionName: string;
  /** The script's URL or path as V8 knows it ('' for V8's own frames such as (program) or (V8 API)). */
  url: string;
  line: number;
  column: number;
}

/** Live samples right after a full GC, folded by allocation site: estimated live bytes per stack. */
export interface AllocationProfile {
  samplingIntervalBytes: number;
  /** Live bytes of every sample, the dropped sites' included. */
  totalLiveBytes: number;
  /** Sites left out (the smallest) to bound the message. */
  droppedSites: number;
  functions: AllocationFunction[];
  /** Largest first; `frames` index `functions`, innermost first (the function that allocated, then its callers). */
  sites: Array<{ frames: number[]; liveBytes: number }>;
}

/** Call tree → sites (innermost frame first), the largest MAX_SITES of them. Iterative: a deep tree must not overflow the stack. */
export function foldProfile(head: ProfileNode, samplingIntervalBytes: number): AllocationProfile {
  const functions: AllocationFunction[] = [];
  const functionIds = new Map<string, number>();
  const functionId = (frame: ProfileCallFrame): number => {
    // V8 gives 0-based positions; the wire carries 1-based ones, as every SourceLocation does.
    const key = `${frame.functionName}\0${frame.url}\0${frame.lineNumber}\0${frame.columnNumber}`;
    let id = functionIds.get(key);
    if (id === undefined) {
      id = functions.length;
      functions.push({ functionName: frame.functionName, url: frame.url, line: frame.lineNumber + 1, column: frame.columnNumber + 1 });
      functionIds.set(key, id);
    }
    return id;
  };
  const bytesBySite = new Map<string, { frames: number[]; liveBytes: number }>();
  let totalLiveBytes = 0;
  // The (root) node is V8's, not a frame: its children start the stacks.
  const pending: Array<{ node: ProfileNode; stack: number[] }> = head.children.map((node) => ({ node, stack: [] }));
  while (pending.length > 0) {
    const { node, stack } = pending.pop()!;
    const here = [...stack, functionId(node.callFrame)];
    if (node.selfSize > 0) {
      totalLiveBytes += node.selfSize;
      const frames = here.slice(-MAX_FRAMES).reverse();
      const key = frames.join(',');
      const site = bytesBySite.get(key);
      if (site) site.liveBytes += node.selfSize;
      else bytesBySite.set(key, { frames, liveBytes: node.selfSize });
    }
    for (const child of node.children) pending.push({ node: child, stack: here });
  }
  const ranked = [...bytesBySite.values()].sort((a, b) => b.liveBytes - a.liveBytes);
  const kept = ranked.slice(0, MAX_SITES);
  // Renumber so the table holds only functions the kept sites use.
  const used = new Map<number, number>();
  const table: AllocationFunction[] = [];
  const sites = kept.map((site) => ({
    liveBytes: site.liveBytes,
    frames: site.frames.map((id) => {
      let renumbered = used.get(id);
      if (renumbered === undefined) {
        renumbered = table.length;
        table.push(functions[id]!);
        used.set(id, renumbered);
      }
      return renumbered;
    }),
  }));
  return { samplingIntervalBytes, totalLiveBytes, droppedSites: ranked.length - kept.length, functions: table, sites };
}
