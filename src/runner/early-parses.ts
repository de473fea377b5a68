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
 * A parsed earlier snapshot is held until its process's diff, each about as big as its file: on a
 * cluster of many workers with big heaps, holding them all would cost more memory than the
 * sequential diffs. Beyond this many file bytes the rest are loaded when their diff comes, as in
 * `leakcheck diff`. The target's snapshots are offered first at every checkpoint, so they go first.
 */
const defaultBudgetBytes = 1024 * 1024 * 1024;

/**
 * The run's snapshot diffs (the target's, and each other serving process's) load their baseline
 * and target snapshots by id only; a run knows from its schedule which snapshots those will be, so
 * each is parsed in a background thread as soon as it is written, while the later phases run, and
 * after the last phase only the final snapshots are left to load. A run that ends otherwise than
 * planned diffs other files: those are loaded then, and the parses nobody asks for are dropped at close().
 */
export class EarlyParses {
  readonly #early: ReadonlySet<string>;
  readonly #preloaded = new Map<string, Promise<ComparedSnapshot>>();
  readonly #budgetBytes: number;
  #spentBytes = 0;
  #loader: SnapshotIdLoader | undefined;

  /** `enabled` false (no snapshot analysis): nothing is parsed. */
  constructor(schedules: readonly PhaseSchedule[], enabled: boolean, budgetBytes = defaultBudgetBytes) {
    const planned = schedules.flatMap((s) => [s.baseline?.snapshotFile, s.end.snapshotFile]).filter((file) => file !== undefined);
    this.#early = new Set(enabled && planned.length >= 3 ? [planned[0]!, planned[planned.length - 2]!] : []);
    this.#budgetBytes = budgetBytes;
  }

  /** A measured process's snapshot `file` (the schedule's name) was written at `path`, `sizeBytes` long. */
  written(file: string, path: string, sizeBytes: number): void {
    if (!this.#early.has(file) || this.#spentBytes + sizeBytes > this.#budgetBytes) return;
    this.#spentBytes += sizeBytes;
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

  /** The parses of one process's `snapshots`, handed over once: after its diff this run holds them no more. */
  take(snapshots: readonly string[]): PreloadedSnapshots {
    const taken = new Map<string, Promise<ComparedSnapshot>>();
    for (const path of snapshots) {
      const parse = this.#preloaded.get(path);
      if (parse === undefined) continue;
      taken.set(path, parse);
      this.#preloaded.delete(path);
    }
    return taken;
  }

  async close(): Promise<void> {
    await this.#loader?.close();
  }
}
