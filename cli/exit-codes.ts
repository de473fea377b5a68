import { isLeakcheckError } from '../src/errors.js';

/** The CI contract: 0 clean, 1 a leak was found, 2 usage or input error (or leakcheck failed). */
export const EXIT_CLEAN = 0;
export const EXIT_LEAK = 1;
export const EXIT_ERROR = 2;

/** Every error ends in 2: a usage or input problem, or a failure of leakcheck itself. */
export function exitCodeForError(_error: unknown): number {
  return EXIT_ERROR;
}

/** Errors the user can fix get one line; anything else is a bug and keeps its stack for --verbose. */
export function describeError(error: unknown, verbose: boolean): string {
  if (isLeakcheckError(error)) return verbose && error.stack ? `${error.oneLine()}\n${error.stack}` : error.oneLine();
  if (error instanceof Error) return verbose && error.stack ? error.stack : `${error.message} (run with --verbose for the stack)`;
  return String(error);
}

/** Whether the command line asks for --json (the last of --json / --no-json wins; nothing after `--` counts). */
export function wantsJson(args: readonly string[]): boolean {
  let json = false;
  for (const arg of args) {
    if (arg === '--') break;
    if (arg === '--json' || arg === '--json=true') json = true;
    else if (arg === '--no-json' || arg === '--json=false') json = false;
  }
  return json;
}
