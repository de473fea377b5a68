import { close, constants, createReadStream, open, read } from 'node:fs';
import { open as openHandle, stat, type FileHandle } from 'node:fs/promises';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { isatty } from 'node:tty';
import { promisify } from 'node:util';
import { ErrorCode, LeakcheckError } from '../errors.js';

/**
 * Opens an input file named on the command line, whatever kind of file it is, without ever
 * blocking forever: a regular file comes back as a FileHandle with its size (seekable, read in
 * place), anything else (a pipe or FIFO, /dev/stdin, a character device) as a stream read once.
 *
 * A FIFO is opened non-blocking, because a blocking open() waits for a writer without limit and
 * holds a thread-pool thread while it does. On a non-blocking FIFO, Linux's read() tells "no
 * writer" (0 bytes) from "a writer with nothing written yet" (EAGAIN), so we poll for a writer
 * for at most `writerWaitMs` and then hand the descriptor to a net.Socket, which reads a pipe
 * through epoll like any other. Only the wait for a writer to open the FIFO is bounded: a writer
 * that is slow to produce its first byte (a big heap takes seconds to snapshot) is waited for.
 */
export type InputSource =
  | { readonly kind: 'file'; readonly file: FileHandle; readonly size: number }
  | { readonly kind: 'stream'; readonly stream: Readable };

export interface OpenInputOptions {
  /** What the file is, for messages: "the snapshot", "the config", "the report". */
  readonly what: string;
  /** How long a FIFO may go without a writer (default: LEAKCHECK_WRITER_WAIT_MS, else 10 s). */
  readonly writerWaitMs?: number;
}

export const DEFAULT_WRITER_WAIT_MS = 10_000;
/** How often a FIFO without a writer is looked at again. */
const WRITER_POLL_MS = 20;
const FIRST_READ_BYTES = 64 * 1024;

const openFd = promisify(open);
const readFd = promisify(read);

/** The writer wait the environment asks for (LEAKCHECK_WRITER_WAIT_MS, whole milliseconds), else the default. */
export function writerWaitFromEnv(): number {
  const text = process.env['LEAKCHECK_WRITER_WAIT_MS'];
  const ms = text === undefined || text === '' ? NaN : Number(text);
  return Number.isSafeInteger(ms) && ms >= 0 ? ms : DEFAULT_WRITER_WAIT_MS;
}

export async function openInput(path: string, options: OpenInputOptions): Promise<InputSource> {
  const kind = await inputKind(path, options.what);
  if (kind === 'file') {
    let file: FileHandle;
    try {
      file = await openHandle(path, 'r');
    } catch (error) {
      throw unreadable(path, options.what, error);
    }
    try {
      const info = await file.stat();
      // Replaced between stat and open: read what was opened, as a stream if it is no longer a file.
      if (info.isFile()) return { kind: 'file', file, size: info.size };
    } catch (error) {
      await file.close();
      throw unreadable(path, options.what, error);
    }
    await file.close();
  }
  if (kind === 'stdin socket') return { kind: 'stream', stream: new Socket({ fd: 0, readable: true, writable: false }) };
  return { kind: 'stream', stream: await openStream(path, options) };
}

/**
 * Fails as openInput would for a missing, unreadable or wrong kind of file, without opening
 * anything that could be read only once: a regular file is opened and closed, a FIFO or device
 * is only looked at (opening a FIFO's read end and closing it would break its writer's pipe).
 */
export async function checkInputReadable(path: string, what: string): Promise<void> {
  if ((await inputKind(path, what)) !== 'file') return;
  let file: FileHandle;
  try {
    file = await openHandle(path, 'r');
  } catch (error) {
    throw unreadable(path, what, error);
  }
  await file.close();
}

/** The file's identity (device and inode), to tell one file named twice, or undefined when it cannot be looked at. */
export async function fileIdentity(path: string): Promise<string | undefined> {
  const info = await stat(path, { bigint: true }).catch(() => undefined);
  return info === undefined ? undefined : `${info.dev}:${info.ino}`;
}

async function inputKind(path: string, what: string): Promise<'file' | 'stdin socket' | 'other'> {
  if (path === '') throw new LeakcheckError(ErrorCode.FILE_UNREADABLE, `the path of ${what} is empty`);
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw unreadable(path, what, error);
  }
  if (info.isDirectory()) throw unreadable(path, what, Object.assign(new Error('is a directory'), { code: 'EISDIR' }));
  if (info.isSocket()) {
    // A socket cannot be opened by path, but standard input may be one (a parent that spawned us
    // with a 'pipe' from node:child_process hands over a socketpair): read descriptor 0 itself.
    if (STDIN_ALIASES.includes(path)) return 'stdin socket';
    throw new LeakcheckError(ErrorCode.FILE_UNREADABLE, `cannot read ${what}: it is a socket`, { file: path });
  }
  return info.isFile() ? 'file' : 'other';
}

const STDIN_ALIASES = ['/dev/stdin', '/dev/fd/0', '/proc/self/fd/0'];

async function openStream(path: string, options: OpenInputOptions): Promise<Readable> {
  let fd: number;
  try {
    fd = await openFd(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw unreadable(path, options.what, error);
  }
  const info = await stat(path).catch(() => undefined);
  if (info?.isFIFO()) return fifoStream(fd, path, options);
  if (isatty(fd)) {
    close(fd, () => {});
    throw new LeakcheckError(ErrorCode.FILE_UNREADABLE, `cannot read ${options.what} from a terminal: pipe it in or name a file`, { file: path });
  }
  // A character device such as /dev/zero: plain reads on the thread pool, bounded by the reader.
  return createReadStream('', { fd, autoClose: true });
}

async function fifoStream(fd: number, path: string, options: OpenInputOptions): Promise<Readable> {
  const waitMs = options.writerWaitMs ?? writerWaitFromEnv();
  const deadline = Date.now() + waitMs;
  const first = Buffer.allocUnsafe(FIRST_READ_BYTES);
  let prefix: Buffer | undefined;
  // Invariant: no byte has been taken from the FIFO except those in `prefix`.
  for (;;) {
    let bytesRead: number;
    try {
      ({ bytesRead } = await readFd(fd, first, 0, first.length, null));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') break;
      close(fd, () => {});
      throw unreadable(path, options.what, error);
    }
    if (bytesRead > 0) {
      prefix = first.subarray(0, bytesRead);
      break;
    }
    if (Date.now() >= deadline) {
      close(fd, () => {});
      throw new LeakcheckError(ErrorCode.FILE_UNREADABLE, `cannot read ${options.what}: no process opened this FIFO for writing within ${waitMs} ms`, { file: path });
    }
    await new Promise((resolve) => setTimeout(resolve, WRITER_POLL_MS));
  }
  const socket = new Socket({ fd, readable: true, writable: false });
  // Before any read, unshift puts the bytes taken while looking for a writer back in front.
  if (prefix !== undefined) socket.unshift(prefix);
  return socket;
}

export function unreadable(path: string, what: string, error: unknown): LeakcheckError {
  const code = (error as { code?: string } | undefined)?.code;
  const reason = code === 'ENOENT' ? 'no such file'
    : code === 'EISDIR' ? 'is a directory'
      : code === 'EACCES' ? 'permission denied'
        : String((error as Error)?.message ?? error);
  return new LeakcheckError(ErrorCode.FILE_UNREADABLE, `cannot read ${what}: ${reason}`, { file: path, cause: error });
}
