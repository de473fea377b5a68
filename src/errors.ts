/**
 * Every failure leakcheck reports on purpose is a LeakcheckError with a stable code. The CLI maps
 * codes to exit status (cli/exit-codes.ts); library code never exits and never prints.
 */
export const ErrorCode = {
  /** The file ended before the snapshot did. */
  SNAPSHOT_TRUNCATED: 'ERR_SNAPSHOT_TRUNCATED',
  /** The file is not a V8 heap snapshot (not JSON, or JSON of another shape, or empty). */
  NOT_A_SNAPSHOT: 'ERR_NOT_A_SNAPSHOT',
  /** The snapshot is JSON of the right shape but its parts disagree (counts, meta, references). */
  SNAPSHOT_INCONSISTENT: 'ERR_SNAPSHOT_INCONSISTENT',
  /** A file named on the command line could not be read. */
  FILE_UNREADABLE: 'ERR_FILE_UNREADABLE',
  /** Output could not be written (a full disk, a closed pipe, an unwritable --html file). */
  OUTPUT_FAILED: 'ERR_OUTPUT_FAILED',
  /** Flags or arguments that do not make sense together. */
  USAGE: 'ERR_USAGE',
  /** A config file (leakcheck.config.json, phases.json) that is not valid. */
  CONFIG_INVALID: 'ERR_CONFIG_INVALID',
  /** A file that claims to be a digest but is truncated, damaged, of another schema version or of another shape. */
  DIGEST_INVALID: 'ERR_DIGEST_INVALID',
  /** Snapshots that cannot be compared (different processes, wrong order). */
  SNAPSHOTS_INCOMPARABLE: 'ERR_SNAPSHOTS_INCOMPARABLE',
  /** The target command could not be started, or exited before it was ready. */
  TARGET_FAILED_TO_START: 'ERR_TARGET_FAILED_TO_START',
  /** The target never accepted connections on the load URL in time. */
  TARGET_NOT_LISTENING: 'ERR_TARGET_NOT_LISTENING',
  /** The target crashed while load was running. */
  TARGET_CRASHED: 'ERR_TARGET_CRASHED',
  /** The agent inside the target did not answer. */
  AGENT_UNAVAILABLE: 'ERR_AGENT_UNAVAILABLE',
  /** No process has the pid given, or it exited before leakcheck reached it. */
  PROCESS_NOT_FOUND: 'ERR_PROCESS_NOT_FOUND',
  /** The pid is not a Node process that opens its inspector on SIGUSR1 (a signal would kill it). */
  PROCESS_NOT_NODE: 'ERR_PROCESS_NOT_NODE',
  /** The process belongs to another user: it cannot be signalled or inspected from here. */
  PERMISSION_DENIED: 'ERR_PERMISSION_DENIED',
  /** The inspector port is held by something other than the target's own inspector. */
  INSPECTOR_PORT_BUSY: 'ERR_INSPECTOR_PORT_BUSY',
  /** The inspector did not answer, refused a command, or the connection dropped. */
  INSPECTOR_UNAVAILABLE: 'ERR_INSPECTOR_UNAVAILABLE',
  /** The target exited while a snapshot was being taken (the partial file is removed). */
  TARGET_EXITED: 'ERR_TARGET_EXITED',
  /** The snapshot would need more memory than the target may still take (use --force to override). */
  MEMORY_INSUFFICIENT: 'ERR_MEMORY_INSUFFICIENT',
  /** No worker thread with the requested threadId runs in the target. */
  WORKER_NOT_FOUND: 'ERR_WORKER_NOT_FOUND',
  /** Ctrl-C (SIGINT/SIGTERM) stopped a snapshot (the partial file is removed), or a run before its target was ready. */
  INTERRUPTED: 'ERR_INTERRUPTED',
  /** A watch was interrupted before it had two snapshots to compare. */
  WATCH_INCOMPLETE: 'ERR_WATCH_INCOMPLETE',
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface LeakcheckErrorDetails {
  /** The file the problem is in, as the user named it. */
  file?: string;
  /** Byte offset in `file` where the problem was found. */
  offset?: number;
  /** What `offset` counts: bytes of the file (default), or of its decompressed content (a .gz snapshot). */
  offsetIn?: OffsetBase;
  cause?: unknown;
}

export type OffsetBase = 'file' | 'decompressed';

export class LeakcheckError extends Error {
  override readonly name = 'LeakcheckError';
  readonly code: ErrorCodeValue;
  readonly file: string | undefined;
  readonly offset: number | undefined;
  readonly offsetIn: OffsetBase;

  constructor(code: ErrorCodeValue, message: string, details: LeakcheckErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.file = details.file;
    this.offset = details.offset;
    this.offsetIn = details.offsetIn ?? 'file';
  }

  /** One line for a terminal: `file: message (at byte N)`, or `(at decompressed byte N)` for a .gz snapshot. */
  oneLine(): string {
    const where = this.file === undefined ? '' : `${this.file}: `;
    const at = this.offset === undefined ? '' : ` (at ${this.offsetIn === 'decompressed' ? 'decompressed ' : ''}byte ${this.offset})`;
    return `${where}${this.message}${at}`;
  }
}

export function isLeakcheckError(value: unknown): value is LeakcheckError {
  return value instanceof LeakcheckError;
}
