import { writeFile } from 'node:fs/promises';
import { ErrorCode, LeakcheckError } from '../src/errors.js';

/**
 * Standard output that fails as one line and exit 2, never as an unhandled 'error' event with a
 * stack (a full disk, `> /dev/full`, a reader that closed the pipe). Commands await writeStdout,
 * so the failure is thrown like any input error; watchStdout catches what nobody awaited.
 */
const reported = new WeakSet<object>();

export function writeStdout(text: string, stream: NodeJS.WritableStream = process.stdout): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (error) => {
      if (!error) return resolve();
      reported.add(error);
      reject(outputFailed(error));
    });
  });
}

/**
 * Installs the one 'error' listener: the first write error nobody awaited prints its line and
 * makes the exit 2; later ones (every write after a closed pipe fails too) add nothing.
 */
export function watchStdout(onError: (error: LeakcheckError) => void, stream: NodeJS.WritableStream = process.stdout): void {
  let failed = false;
  stream.on('error', (error: Error) => {
    if (reported.has(error) || failed) return;
    failed = true;
    onError(outputFailed(error));
  });
}

export function outputFailed(error: unknown, file?: string): LeakcheckError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === 'EPIPE' ? 'the reader closed the pipe (EPIPE)'
    : code === 'ENOSPC' ? 'no space left on the device (ENOSPC)'
      : (error as Error).message ?? String(error);
  return new LeakcheckError(ErrorCode.OUTPUT_FAILED, `cannot write ${file === undefined ? 'to standard output' : 'the output'}: ${reason}`, {
    ...(file === undefined ? {} : { file }), cause: error,
  });
}

/** A rendered page written to the file the user named (mode 0600: reports hold what the heap held); failures name the file. */
export async function writeHtmlFile(file: string, html: string): Promise<void> {
  try {
    await writeFile(file, html, { mode: 0o600 });
  } catch (error) {
    throw outputFailed(error, file);
  }
}
