import type { IdOrderedSnapshot } from '../snapshot/index.js';
import type { WrapperKind } from './detector.js';
import type { SourceLocator } from './source-location.js';

/**
 * The user's function behind a wrapper. Listeners and callbacks are often not the function the
 * user wrote but one Node (or the engine) made around it, and grouping by the wrapper lumps every
 * wrapped function of the process together ("all bound at node:async_hooks:236:23"). Read from
 * a Node 20 snapshot:
 * - `fn.bind(x)`: a bound function (V8 names it "native_bind") whose internal `bound_function`
 *   edge is the target; bound arguments are `bound_argument_<i>` shortcuts.
 * - `emitter.once(fn)`: `onceWrapper.bind(state)`, with `listener` on the bound function and on
 *   the state (`bound_this`).
 * - `AsyncResource.bind(fn)` / `AsyncLocalStorage.bind(fn)`: a closure `bound` in node:async_hooks
 *   whose enclosing scope holds `fn`; with a `thisArg`, `runInAsyncScope.bind(resource, fn, thisArg)`.
 * - `util.promisify(fn)`: a closure `fn` in node:internal/util whose scope holds `original`.
 * The rule is general rather than one case per API: a bound function is unwrapped to its target,
 * and a function Node defined is unwrapped to the first user function its scopes hold (or its
 * bound arguments, or its `listener`), a few levels deep.
 */

export interface Unwrapped {
  /** The user's function (the input itself when it wraps nothing). */
  readonly ordinal: number;
  /** The outermost wrapper, when there was one. */
  readonly wrapper: WrapperKind | null;
}

/** Wrappers around wrappers (once around bind) are followed this far. */
const MAX_UNWRAP_DEPTH = 4;
/** Scopes climbed from a Node function looking for the function it wraps. */
const MAX_SCOPE_DEPTH = 3;

export function unwrapFunction(snapshot: IdOrderedSnapshot, locator: SourceLocator, closure: number): Unwrapped {
  const graph = snapshot.graph;
  let wrapper: WrapperKind | null = null;
  let current = closure;
  for (let depth = 0; depth < MAX_UNWRAP_DEPTH; depth++) {
    const bound = snapshot.internal(current, 'bound_function');
    let next = -1;
    let kind: WrapperKind | null = null;
    if (bound >= 0) {
      if (!isNodeFunction(locator, bound)) {
        next = bound;
        kind = 'bind';
      } else {
        next = firstUserFunction(snapshot, locator, wrappedCandidates(snapshot, current));
        kind = wrapperOf(snapshot, locator, bound);
      }
    } else if (graph.nodeTypes[current] === graph.nodeType.closure && isNodeFunction(locator, current)) {
      next = firstUserFunction(snapshot, locator, [...scopeFunctions(snapshot, current), ...wrappedCandidates(snapshot, current)]);
      kind = wrapperOf(snapshot, locator, current);
    }
    if (next < 0 || next === current) break;
    wrapper ??= kind;
    current = next;
  }
  return { ordinal: current, wrapper };
}

/** A function Node itself defined (node:…, internal/…), as opposed to the user's or a package's. */
function isNodeFunction(locator: SourceLocator, closure: number): boolean {
  const location = locator.locate(closure);
  // No location: an engine builtin, never the user's function.
  if (location === null) return true;
  return location.script.startsWith('node:') || location.script.startsWith('internal/');
}

function wrapperOf(snapshot: IdOrderedSnapshot, locator: SourceLocator, nodeFunction: number): WrapperKind {
  const name = snapshot.nodeName(nodeFunction);
  if (name === 'onceWrapper') return 'once';
  const script = locator.locate(nodeFunction)?.script ?? '';
  if (script === 'node:async_hooks' || name === 'runInAsyncScope') return 'async-context';
  if (script === 'node:internal/util' && hasContextVariable(snapshot, nodeFunction, 'original')) return 'promisify';
  return 'node';
}

/** What a wrapper carries besides its scope: `listener` (once), bound arguments, `bound_this.listener`. */
function wrappedCandidates(snapshot: IdOrderedSnapshot, wrapper: number): number[] {
  const graph = snapshot.graph;
  const out: number[] = [];
  const listener = snapshot.property(wrapper, 'listener');
  if (listener >= 0) out.push(listener);
  const end = graph.firstEdge[wrapper + 1]!;
  for (let edge = graph.firstEdge[wrapper]!; edge < end; edge++) {
    if (graph.edgeTypes[edge] === graph.edgeType.shortcut && snapshot.edgeName(edge).startsWith('bound_argument_')) out.push(graph.edgeTargets[edge]!);
  }
  const boundThis = snapshot.internal(wrapper, 'bound_this');
  if (boundThis >= 0) {
    const stateListener = snapshot.property(boundThis, 'listener');
    if (stateListener >= 0) out.push(stateListener);
  }
  return out;
}

/** Functions held by the closure's scope and the scopes around it, innermost first, up to the module scope. */
function scopeFunctions(snapshot: IdOrderedSnapshot, closure: number): number[] {
  const graph = snapshot.graph;
  const out: number[] = [];
  let scope = snapshot.internal(closure, 'context');
  for (let depth = 0; scope >= 0 && depth < MAX_SCOPE_DEPTH; depth++) {
    if (snapshot.nodeName(scope) === 'system / NativeContext') break;
    const end = graph.firstEdge[scope + 1]!;
    for (let edge = graph.firstEdge[scope]!; edge < end; edge++) {
      if (graph.edgeTypes[edge] === graph.edgeType.context && graph.nodeTypes[graph.edgeTargets[edge]!] === graph.nodeType.closure) {
        out.push(graph.edgeTargets[edge]!);
      }
    }
    scope = snapshot.internal(scope, 'previous');
  }
  return out;
}

function hasContextVariable(snapshot: IdOrderedSnapshot, closure: number, name: string): boolean {
  let scope = snapshot.internal(closure, 'context');
  for (let depth = 0; scope >= 0 && depth < MAX_SCOPE_DEPTH; depth++) {
    if (snapshot.edgeNamed(scope, snapshot.graph.edgeType.context, name) >= 0) return true;
    scope = snapshot.internal(scope, 'previous');
  }
  return false;
}

/** The first candidate that is a function and not Node's own (a bound function counts: it is unwrapped next). */
function firstUserFunction(snapshot: IdOrderedSnapshot, locator: SourceLocator, candidates: readonly number[]): number {
  const graph = snapshot.graph;
  for (const candidate of candidates) {
    if (graph.nodeTypes[candidate] !== graph.nodeType.closure) continue;
    if (snapshot.internal(candidate, 'bound_function') >= 0 || !isNodeFunction(locator, candidate)) return candidate;
  }
  return -1;
}
