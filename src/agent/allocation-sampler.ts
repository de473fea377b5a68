import { Session } from 'node:inspector';
import type { AllocationProfile, AllocationFunction } from './protocol.js';

/**
 * V8's sampling heap profiler, driven through an inspector session inside the target (no port is
 * opened: node:inspector's Session talks to this isolate directly). One allocation in about every
 * `samplingIntervalBytes` is recorded with its JS stack; samples whose objects die are dropped
 * (includeObjectsCollectedBy*GC: false), so a profile taken right after a forced GC holds only
 * live objects: an estimate of the live bytes each stack allocated.
 *
 * A profile is a call tree that can hold thousands of nodes, so it is folded here before it goes
 * on the wire: a site is the innermost MAX_FRAMES frames (deeper callers merged), only the
 * MAX_SITES largest sites are sent, and frames are shared through a function table.
 */
const MAX_FRAMES = 8;
const MAX_SITES = 300;

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { callFrame: CallFrame; selfSize: number; children: ProfileNode[] }

export class AllocationSampler {
  readonly #session = new Session();
  readonly #samplingIntervalBytes: number;

  private constructor(samplingIntervalBytes: number) {
    this.#samplingIntervalBytes = samplingIntervalBytes;
  }

  /**
   * Starts sampling (and, with `trackObjects`, V8's allocation tracker, so that heap snapshots carry
   * every object's allocation stack). Throws when the inspector is unavailable (a Node built without it).
   *
   * Synchronous on purpose: the agent must say in its hello what runs, and must not delay the
   * program's first line. A session connected to its own thread dispatches each command at once
   * and calls back before post() returns; if a Node ever stops doing so, this throws instead of
   * reporting sampling that may not run.
   */
  static start(samplingIntervalBytes: number, trackObjects: boolean): AllocationSampler {
    const sampler = new AllocationSampler(samplingIntervalBytes);
    sampler.#session.connect();
    sampler.#postNow('HeapProfiler.enable');
    sampler.#postNow('HeapProfiler.startSampling', {
      samplingInterval: samplingIntervalBytes, includeObjectsCollectedByMajorGC: false, includeObjectsCollectedByMinorGC: false,
    });
    if (trackObjects) sampler.#postNow('HeapProfiler.startTrackingHeapObjects', { trackAllocations: true });
    return sampler;
  }

  #postNow(method: string, params?: object): void {
    let answer: { error: Error | null } | undefined;
    this.#session.post(method, params, (error) => { answer = { error }; });
    if (answer === undefined) throw new Error(`the inspector did not answer ${method} synchronously`);
    if (answer.error) throw answer.error;
  }

  /** The live samples, folded by site. Call right after a full GC. */
  async profile(): Promise<AllocationProfile> {
    const { profile } = await this.#post('HeapProfiler.getSamplingProfile') as { profile: { head: ProfileNode } };
    return foldProfile(profile.head, this.#samplingIntervalBytes);
  }

  stop(): void {
    this.#session.disconnect();
  }

  #post(method: string, params?: object): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#session.post(method, params, (error, result) => (error ? reject(error) : resolve(result)));
    });
  }
}

/** Call tree → sites (innermost frame first), the largest MAX_SITES of them. Iterative: a deep tree must not overflow the stack. */
export function foldProfile(head: ProfileNode, samplingIntervalBytes: number): AllocationProfile {
  const functions: AllocationFunction[] = [];
  const functionIds = new Map<string, number>();
  const functionId = (frame: CallFrame): number => {
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
