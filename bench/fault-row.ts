/** One line of the bench:faults table: a suite of cases and how they were classified. */
export interface SuiteRow {
  readonly suite: string;
  readonly cases: number;
  readonly clean: number;
  readonly loaded: number;
  readonly wrong: number;
  readonly crashes: number;
  readonly hangs: number;
  /** Processes a case started that outlived it (run endings only). */
  readonly left?: number;
  /** Acknowledged messages lost / duplicated (server faults only). */
  readonly lost?: number;
  readonly duplicated?: number;
  readonly wallMs: number;
  /** CPU of this process (in-process suites only; child processes are not counted). */
  readonly cpuMs: number | undefined;
  readonly problems: readonly string[];
}
