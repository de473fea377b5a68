import { ErrorCode, LeakcheckError } from '../src/errors.js';

/**
 * Coercions that give every option one type however often it is given. yargs turns a repeated
 * flag into an array and `--flag` with no value into '', which reached the commands as values
 * they were not written for (`--fail-on` twice: "spec.split is not a function"). The rule,
 * documented in docs/inspect.md and docs/diff.md: options that name a list accumulate
 * (--fail-on, --detector); every other option takes its last value. Booleans already do.
 */
const usage = (message: string): never => {
  throw new LeakcheckError(ErrorCode.USAGE, message);
};

/** The values given for one option, in order, as text. */
function given(value: unknown): string[] {
  return (Array.isArray(value) ? value : [value]).map((item) => (typeof item === 'string' ? item : String(item)));
}

/** A string option: the last value given; an empty value is a usage error. */
export function lastText(flag: string): (value: unknown) => string {
  return (value) => {
    const last = given(value).at(-1)!;
    if (last.trim() === '') usage(`--${flag} needs a value`);
    return last;
  };
}

/** A whole-number option: the last value given, digits only ('' or '5x' or '1e3' are usage errors). */
export function lastWholeNumber(flag: string, max = Number.MAX_SAFE_INTEGER): (value: unknown) => number {
  return (value) => {
    const last = given(value).at(-1)!.trim();
    const number = /^\d+$/.test(last) ? Number(last) : NaN;
    if (!Number.isSafeInteger(number) || number > max) usage(`--${flag} wants a whole number from 0 to ${max}, not ${JSON.stringify(last)}`);
    return number;
  };
}

/** A list option: every value given, each also split at commas, each one of `known`. */
export function listOf(flag: string, known: readonly string[]): (value: unknown) => string[] {
  return (value) => {
    const items = given(value).flatMap((text) => text.split(',')).map((item) => item.trim()).filter((item) => item !== '');
    if (items.length === 0) usage(`--${flag} needs a value (one of: ${known.join(', ')})`);
    for (const item of items) if (!known.includes(item)) usage(`--${flag}: unknown value '${item}' (known: ${known.join(', ')})`);
    return [...new Set(items)];
  };
}

/** Every value given, in order, each non-empty: for options whose values accumulate. */
export function allTexts(flag: string): (value: unknown) => string[] {
  return (value) => {
    const items = given(value);
    if (items.some((item) => item.trim() === '')) usage(`--${flag} needs a value`);
    return items;
  };
}
