import { Session } from 'node:inspector';
import { foldProfile, type AllocationProfile, type ProfileNode } from '../stats/index.js';

/**
 * V8's sampling heap profiler, driven through an inspector session inside the target (no port is
 * opened: node:inspector's Session talks to this isolate directly). One allocation in about every
 * `samplingIntervalBytes` is recorded with its JS stack; samples whose objects die are dropped
 * (includeObjectsCollectedBy*GC: false), so a profile taken right after a forced GC holds only
 * live objects: an estimate of the live bytes each stack allocated. The profile is folded
 * (stats/allocation-profile.ts) before it goes on the wire.
 */
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
