import { getPriority } from 'node:os';
import { SnapshotIdLoader, type ComparedSnapshot, type PreloadedSnapshots } from '../analyze.js';
import type { PhaseSchedule } from './checkpoint-policy.js';

/**
 * CFS weight of nice 10 is about a tenth of nice 0: while the load runs the parse gets what the
 * target and the load driver leave, and while V8 writes a snapshot (one core busy, the target
 * stopped) it gets the other core whole.
 */
const parseNiceness = 10;

/**
 * The run's snapshot diff loads its baseline and target snapshots by id only; a run knows from
 * its schedule which snapshots those will be, so each is parsed in a background thread as soon as
 * it is written, while the later phases run, and after the last phase only the final snapshot is
 * left to load. A run that ends otherwise than planned diffs other files: those are loaded then,
 * as in `leakcheck diff`, and the parses nobody asks for are dropped at close().
 */
export class EarlyParses {
  readonly #early: ReadonlySet<string>;
  readonly #preloaded = new Map<string, Promise<ComparedSnapshot>>();
  #loader: SnapshotIdLoader | undefined;

  /** `enabled` false (no snapshot analysis): nothing is parsed. */
  constructor(schedules: readonly PhaseSchedule[], enabled: boolean) {
    const planned = schedules.flatMap((s) => [s.baseline?.snapshotFile, s.end.snapshotFile]).filter((file) => file !== undefined);
    this.#early = new Set(enabled && planned.length >= 3 ? [planned[0]!, planned[planned.length - 2]!] : []);
  }

  /** A snapshot of the target was written as `file` (the schedule's name) at `path`. */
  written(file: string, path: string): void {
    if (!this.#early.has(file)) return;
    this.#loader ??= new SnapshotIdLoader({ niceness: parseNiceness });
    this.#preloaded.set(path, this.#loader.load(path));
  }

  /**
   * The phases are over: nothing is measured any more, and what is left of the parses is on the
   * way to the verdict, so they get this process's own priority back where the OS allows it
   * (root or CAP_SYS_NICE; otherwise they finish at nice 10, which costs time only on a busy machine).
   */
  phasesDone(): void {
    this.#loader?.setNiceness(getPriority());
  }

  get preloaded(): PreloadedSnapshots {
    return this.#preloaded;
  }

  async close(): Promise<void> {
    await this.#loader?.close();
  }
}
