/**
 * Long phases (parsing, dominators, diffs) report progress through an injected callback so the
 * library never touches a terminal; the CLI turns it into a progress bar, tests pass nothing.
 */
export interface ProgressEvent {
  /** Short label of the phase, e.g. "nodes", "edges", "dominators". */
  phase: string;
  /** Units done so far (bytes for parsing, nodes for graph phases). */
  done: number;
  /** Units in the phase; 0 when unknown. */
  total: number;
}

export type Progress = (event: ProgressEvent) => void;

export const noProgress: Progress = () => {};
