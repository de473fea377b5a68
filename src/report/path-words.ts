import type { PathStep, RetainerPathData } from '../detectors/index.js';

/**
 * A retainer path as a person reads it: one token per meaningful object,
 * `(GC roots) → … → Server._events.request → JobQueue._events.error[4999] → onQueueError()`.
 * Pass-through holders (plain objects, arrays, scopes, backing stores) fold into the accessor of
 * the step before them, Node's embedder prefix becomes one "(node)" step, repeats collapse
 * (`Timeout._idlePrev ×600`), and a long path keeps its head and tail around an ellipsis.
 */
export function retainerPathTokens(path: RetainerPathData | null): string[] {
  if (path === null || path.steps.length === 0) return ['(unreachable)'];
  const { steps } = path;
  const tokens: string[] = [];
  let current = '';
  steps.forEach((step, at) => {
    // The first edge leaves V8's root, which is never shown: its token is dropped below.
    if (current === '') current = at === 0 ? ROOT : nodeLabel(steps[at - 1]!);
    current += edgeAccessor(step);
    const isLast = at === steps.length - 1;
    if (!isLast && step.passThrough && at !== 0) return;
    tokens.push(current);
    current = '';
  });
  tokens.push(nodeLabel(steps[steps.length - 1]!));
  const cleaned = collapseRepeats(collapseEmbedderPrefix(tokens.filter((token) => !token.startsWith(ROOT))));
  if (cleaned.length <= MAX_PATH_TOKENS) return cleaned;
  return [...cleaned.slice(0, 2), '…', ...cleaned.slice(cleaned.length - (MAX_PATH_TOKENS - 3))];
}

const identifier = /^[A-Za-z_$][\w$]*$/;

/** `.name` for identifiers, `["a b"]` otherwise, `[symbol x]` for V8's symbol names. */
export function propertyAccessor(name: string): string {
  if (identifier.test(name)) return `.${name}`;
  if (/^\d+$/.test(name)) return `[${name}]`;
  return `[${name.startsWith('<symbol') ? name.slice(1, -1) : JSON.stringify(name)}]`;
}

/** The path as one line. */
export function retainerPathText(path: RetainerPathData | null): string {
  return retainerPathTokens(path).join(' → ');
}

const ROOT = '(root)';
/** Longest rendered path; longer ones keep their head and tail around an ellipsis. */
const MAX_PATH_TOKENS = 8;

/** V8's internal edges that lead to an object's own storage: the accessor says nothing more. */
const SILENT_INTERNAL_EDGES = new Set(['context', 'previous', 'elements', 'properties', 'table']);

/**
 * How an edge reads in a path: `.name`, `[3]`, `::variable` (a closure's scope), `.get("key")` (a
 * Map entry), or nothing for a closure's scope link and V8's storage edges (`handler.context`
 * reads worse than the variable that follows it; `previous` links a scope to the enclosing one).
 */
export function edgeAccessor(step: Pick<PathStep, 'edge' | 'edgeType'>): string {
  switch (step.edgeType) {
    case 'element':
    case 'hidden':
      return `[${step.edge}]`;
    case 'context':
      return `::${step.edge}`;
    case 'entry':
      return `.get(${JSON.stringify(step.edge)})`;
    case 'internal':
      if (SILENT_INTERNAL_EDGES.has(step.edge)) return '';
      return propertyAccessor(step.edge);
    default:
      return propertyAccessor(step.edge);
  }
}

/**
 * An edge as DevTools' Retainers view prints it (`inspect`): every edge shown, its kind marked:
 * property names as they are, `[i]` for elements, `<context x>`, `<hidden i>`, `<internal>`.
 */
export function edgeLabel(step: Pick<PathStep, 'edge' | 'edgeType'>): string {
  switch (step.edgeType) {
    case 'element':
      return `[${step.edge}]`;
    case 'hidden':
      return `<hidden ${step.edge}>`;
    case 'context':
      return `<context ${step.edge}>`;
    case 'internal':
      return `<${step.edge}>`;
    case 'entry':
      return `.get(${JSON.stringify(step.edge)})`;
    default:
      return step.edge;
  }
}

function nodeLabel(step: PathStep): string {
  // A scope seen at the start of a token (after a pass-through run was cut) reads better as what it is.
  if (step.className === 'system / Context') return '(scope)';
  return step.nodeType === 'closure' ? `${step.className}()` : step.className;
}

/**
 * Node's embedder graph (Environment → Realm → CleanupQueue → ModuleWrap …) precedes every
 * module-level path; it is one fact ("held by Node itself"), so it is shown as one step.
 */
function collapseEmbedderPrefix(tokens: string[]): string[] {
  let run = 0;
  while (run < tokens.length - 1 && tokens[run]!.startsWith('Node / ')) run++;
  return run <= 1 ? tokens : ['(node)', ...tokens.slice(run)];
}

/** Longest repeating run of tokens folded into one: a promise chain repeats every 3 steps. */
const MAX_REPEAT_PERIOD = 4;

/**
 * A linked chain (`Timeout._idlePrev` ×600) reads better as one step with a count, and so does a
 * chain whose links take several tokens each: a promise waiting on a promise repeats
 * `Generator[3] → Promise.reactions_or_result[0] → (anonymous)().extension`, shown once with ×45
 * (as its first link reads). Shorter periods are tried first, so a run of one token is never read
 * as a run of pairs.
 */
function collapseRepeats(tokens: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tokens.length; ) {
    let folded = false;
    for (let period = 1; period <= MAX_REPEAT_PERIOD && i + 2 * period <= tokens.length; period++) {
      let times = 1;
      while (i + (times + 1) * period <= tokens.length && samePeriod(tokens, i, i + times * period, period)) times++;
      if (times < 2) continue;
      const unit = tokens.slice(i, i + period);
      if (period === 1) out.push(`${unit[0]} ×${times}`);
      else out.push(`(${unit.join(' → ')}) ×${times}`);
      i += times * period;
      folded = true;
      break;
    }
    if (!folded) out.push(tokens[i++]!);
  }
  return out;
}

/** Element indices differ from link to link (`reactions_or_result[0]`, then `[1]`): the shape is compared without them. */
function samePeriod(tokens: readonly string[], a: number, b: number, period: number): boolean {
  for (let k = 0; k < period; k++) if (withoutIndices(tokens[a + k]!) !== withoutIndices(tokens[b + k]!)) return false;
  return true;
}

function withoutIndices(token: string): string {
  return token.replace(/\[\d+\]/g, '[]');
}
