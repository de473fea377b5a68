import type { DetectorContext } from './context.js';
import type { LocationGroup, WrapperKind } from './detector.js';
import { unwrapFunction } from './wrappers.js';

/**
 * Functions of the last snapshot (listeners, timer callbacks) grouped by where the user's function
 * is defined, wrappers unwrapped first (wrappers.ts), most common first. Functions without a
 * location group by name.
 */
export function groupFunctionsByLocation(context: DetectorContext, functions: readonly number[]): LocationGroup[] {
  const last = context.last;
  const locator = context.locator();
  const byKey = new Map<string, { ordinal: number; count: number; wrapper: WrapperKind | null }>();
  for (const fn of functions) {
    const { ordinal, wrapper } = unwrapFunction(last, locator, fn);
    const key = `${locator.locationKey(ordinal) ?? `?${last.nodeName(ordinal)}`}:${wrapper ?? ''}`;
    const group = byKey.get(key);
    if (group) group.count++;
    else byKey.set(key, { ordinal, count: 1, wrapper });
  }
  return [...byKey.values()]
    .sort((a, b) => b.count - a.count)
    .map(({ ordinal, count, wrapper }) => ({ location: locator.locate(ordinal), count, ...(wrapper ? { wrapper } : {}) }));
}
