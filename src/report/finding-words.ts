import type {
  AllocationSite, AllocationSitesResult, AllocationStack, AnalysisResult, Finding, HandleKind, HolderPath, HolderStep, LocationGroup, SourceLocation, WrapperKind,
} from '../detectors/index.js';
import { propertyAccessor, retainerPathTokens } from './path-words.js';
import type { StoredWords } from './schema-v1.js';
import { formatByteDelta, formatBytes, formatCount, formatCountDelta } from './units.js';

/**
 * The words for a finding, written once for every output (text, HTML, CI formats): its title,
 * where its function is, and what holds it. Findings themselves are facts (detectors/detector.ts).
 */

export interface WordsOptions {
  /** Scripts under this directory are shown relative to it; others by their file name. */
  cwd?: string;
}

/** "app.js:10:5": relative to cwd when under it, else the file name of an absolute path. */
export function locationText(location: SourceLocation, options: WordsOptions = {}): string {
  return `${scriptText(location.script, options.cwd)}:${location.line}:${location.column}`;
}

/** "onData app.js:10:5" (the function first when it has a name). */
export function functionLocationText(location: SourceLocation, options: WordsOptions = {}): string {
  return `${location.functionName ? `${location.functionName} ` : ''}${locationText(location, options)}`;
}

function scriptText(script: string, cwd: string | undefined): string {
  if (cwd !== undefined) {
    const base = cwd.replace(/\/$/, '');
    if (script.startsWith(`${base}/`)) return script.slice(base.length + 1);
  }
  return script.startsWith('/') ? script.slice(script.lastIndexOf('/') + 1) : script;
}

/** Frames of a site shown in one line: enough to see the user's code and who called it. */
const SITE_FRAMES_SHOWN = 4;

/**
 * "rememberRequest app.js:9:25 ← (anonymous) app.js:22:33 ← emit node:events:519:28": the
 * user's frames first (innermost first), then the dependency and Node frames of the stack.
 */
export function allocationStackText(stack: Pick<AllocationSite, 'frames'>, options: WordsOptions = {}): string {
  const user = stack.frames.filter((f) => f.origin === 'user');
  const others = stack.frames.filter((f) => f.origin !== 'user' && f.origin !== 'engine');
  const shown = [...user, ...others].slice(0, SITE_FRAMES_SHOWN);
  const left = user.length + others.length - shown.length;
  const text = shown.map((f) => `${f.functionName || '(anonymous)'} ${locationText(f, options)}`).join(' ← ');
  return `${text || '(V8 internals)'}${left > 0 ? ` ← … ${left} more` : ''}`;
}

/** "allocated at rememberRequest app.js:9:25 ← …: live 129 KiB → 645 KiB → 838 KiB (+709 KiB, sampled)". */
export function allocationSiteText(site: AllocationSite, options: WordsOptions = {}): string {
  return `allocated at ${allocationStackText(site, options)}: live ${site.liveBytes.map((b) => formatBytes(b)).join(' → ')} (${formatByteDelta(site.growthBytes)}, sampled)`;
}

/** "allocated at rememberRequest app.js:9:25 ← … (tracked: 369 of 380 objects with a recorded stack)". */
export function allocationStackLine(stack: AllocationStack, options: WordsOptions = {}): string {
  return `allocated at ${allocationStackText(stack, options)} (tracked: ${formatCount(stack.objectCount)} of ${formatCount(stack.trackedCount)} objects with a recorded stack)`;
}

/**
 * Where the finding's objects were allocated, in a few words ("rememberRequest app.mjs:9:25"):
 * the tracked stack's user frame, else the first matched sampled site's; null when neither names user code.
 */
export function allocationPlace(finding: Finding, options: WordsOptions = {}): string | null {
  const stacks = [...(finding.allocationStack ? [finding.allocationStack] : []), ...(finding.allocationSites ?? [])];
  for (const stack of stacks) {
    const frame = stack.userFrame === null ? undefined : stack.frames[stack.userFrame];
    if (frame) return `${frame.functionName || '(anonymous)'} ${locationText(frame, options)}`;
  }
  return null;
}

/** The heading of the growing sites no finding explains, or null when there are none. */
export function unattributedSitesHeading(sites: AllocationSitesResult): string | null {
  if (sites.unattributed.length === 0) return null;
  const where = sites.checkpoints.map((c) => c.phase).join(', ');
  return `Allocation sites that grew at every measured checkpoint (${where}) and match no finding, sampled every ${formatBytes(sites.samplingIntervalBytes)}`;
}

/** `sessionCache`, `registry.pendingById`, `requestLog[]`, `…[].next`. */
export function holderText(holder: HolderPath): string {
  const steps = holder.steps.map(holderStepText).join('');
  return `${holder.root === null ? '…' : holder.root.name}${steps}`;
}

function holderStepText(step: HolderStep): string {
  switch (step.kind) {
    case 'property':
      return propertyAccessor(step.name);
    case 'element':
      return `[${step.index ?? ''}]`;
    case 'entry':
      return `.get(${step.key === null ? '…' : JSON.stringify(step.key)})`;
  }
}

const HANDLE_WORDS: Readonly<Record<HandleKind, string>> = {
  timers: 'timers',
  promises: 'promises',
  sockets: 'sockets',
  'http-exchanges': 'HTTP exchanges',
  'file-handles': 'file handles',
  streams: 'streams',
};

/** One line naming what leaks, with its size now and its growth; scripts by file name (the full location has its own line). */
export function findingTitle(finding: Finding): string {
  const { evidence } = finding;
  const now = evidence.counts[evidence.counts.length - 1] ?? 0;
  switch (finding.kind) {
    case 'duplicate-listeners': {
      const { emitter, event } = finding.subject;
      const top = evidence.groups?.[0];
      const who = top?.location ? `${shareOf(top, now)} ${functionAt(top.location)}${viaWrapper(top.wrapper)}` : 'listeners of unknown origin';
      return `${emitter} '${event}': ${formatCount(now)} listeners (${formatCountDelta(finding.growth.count)}), ${who}`;
    }
    case 'live-handles': {
      const { className, handleKind } = finding.subject;
      const top = evidence.groups?.[0];
      const doing = handleKind === 'promises' ? 'never settled, each the call of async' : 'running';
      const callbacks = top?.location ? `, ${shareOf(top, now)} ${doing} ${functionAt(top.location)}${viaWrapper(top.wrapper)}` : '';
      const owner = finding.subject.owners?.[0];
      const held = owner ? `, ${formatCount(owner.count)} held by ${owner.className}${propertyAccessor(owner.property)}` : '';
      return `${className}: ${formatCount(now)} live (${formatCountDelta(finding.growth.count)}) ${HANDLE_WORDS[handleKind]}${callbacks}${held}`;
    }
    case 'retained-closures': {
      const name = finding.subject.functionName || '(anonymous)';
      const from = finding.location ? ` from ${locationText(finding.location)}` : '';
      const captured = evidence.captured ?? [];
      const holds = captured.length > 0 ? `; its scope holds ${captured.slice(0, 3).map((c) => c.name).join(', ')}` : '';
      const wrapped = finding.subject.wrapper ? `, each${viaWrapper(finding.subject.wrapper)}` : '';
      return `${formatCount(now)} closures ${name}() (${formatCountDelta(finding.growth.count)})${from}${wrapped}${holds}`;
    }
    case 'growing-collections': {
      const { collection, nodeId, holder } = finding.subject;
      const name = holder ? holderText(holder) : `${collection} @${nodeId}`;
      return `${name}: ${collection} of ${formatCount(now)} ${evidence.unit} (${formatCountDelta(finding.growth.count)}) keeps growing`;
    }
    case 'class-growth': {
      const { className, holder } = finding.subject;
      const where = holder ? ` held by ${holderText(holder)}` : '';
      const grew = evidence.survivingCount === null ? `${formatCountDelta(finding.growth.count)} objects` : `${formatCount(evidence.survivingCount)} new objects survived`;
      return `${className}: ${grew}${where} (class live: ${evidence.counts.map((c) => formatCount(c)).join(' → ')})`;
    }
  }
}

/**
 * What a finding is about without its figures: a name that stays the same from run to run while
 * the leak does, for CI systems that track a check by its name (JUnit testcase names, annotation
 * titles). Ids V8 assigns per process are left out for the same reason.
 */
export function findingName(finding: Finding): string {
  const fn = (location: SourceLocation | null | undefined) => (location ? ` from ${location.functionName || '(anonymous)'}` : '');
  switch (finding.kind) {
    case 'duplicate-listeners':
      return `${finding.subject.emitter} '${finding.subject.event}' listeners${fn(finding.evidence.groups?.[0]?.location)}`;
    case 'live-handles':
      return `${finding.subject.className} ${HANDLE_WORDS[finding.subject.handleKind]}${fn(finding.evidence.groups?.[0]?.location)}`;
    case 'retained-closures':
      return `closures ${finding.subject.functionName || '(anonymous)'}()${finding.location ? ` of ${scriptText(finding.location.script, undefined)}` : ''}`;
    case 'growing-collections': {
      const { collection, holder } = finding.subject;
      return holder ? `${holderText(holder)} (${collection})` : `${collection} held by nothing named`;
    }
    case 'class-growth': {
      const { className, holder } = finding.subject;
      return `${className} objects${holder ? ` held by ${holderText(holder)}` : ''}`;
    }
  }
}

/** "listeners 20 → 170 → 320 (+300); retains 1.16 MiB (+1.08 MiB); 150 survived a full round". */
export function evidenceText(finding: Finding, threeSnapshots: boolean): string {
  const { evidence } = finding;
  const series = evidence.counts.map((count) => formatCount(count)).join(' → ');
  return `${evidence.unit} ${series} (${formatCountDelta(finding.growth.count)}); retains ${formatBytes(finding.retainedSize)} (${formatByteDelta(finding.growth.bytes)}); ${survivorsText(evidence.survivingCount, threeSnapshots)}`;
}

/** "150 survived a full round", "150 new since base", or, across processes, that nothing was matched by object. */
export function survivorsText(survivingCount: number | null, threeSnapshots: boolean): string {
  if (survivingCount === null) return 'survivors not measured (different processes: matched by group, not by object)';
  return threeSnapshots ? `${formatCount(survivingCount)} survived a full round` : `${formatCount(survivingCount)} new since base`;
}

/** The method in the heading: "baseline/target/final", "two snapshots", "cross-process". */
export function methodText(method: AnalysisResult['method']): string {
  return method === 'three-snapshot' ? 'baseline/target/final' : method === 'two-snapshot' ? 'two snapshots' : 'cross-process';
}

/** The line under the inputs: survivors (three snapshots), new and freed objects (two), or what was matched (cross-process). */
export function inputsSummaryText(result: Pick<AnalysisResult, 'method' | 'survivingCount' | 'newInTarget'>): string {
  if (result.survivingCount !== null && result.method === 'three-snapshot') {
    return `${formatCount(result.survivingCount)} objects allocated between base and target are still alive in final (leak candidates)`;
  }
  if (result.newInTarget !== null) return `${formatCount(result.newInTarget.count)} objects new in target, ${formatCount(result.newInTarget.freedSinceBase)} freed since base`;
  return 'different processes: collections matched by holder path, listeners by emitter and function, closures by location, classes by name';
}

const WRAPPER_WORDS: Readonly<Record<WrapperKind, string>> = {
  bind: 'fn.bind()',
  once: 'once()',
  'async-context': 'AsyncResource.bind() / AsyncLocalStorage.bind()',
  promisify: 'util.promisify()',
  node: "a wrapper of Node's",
};

/** " (wrapped by once())" after the user's function, or nothing when it was registered as written. */
function viaWrapper(wrapper: WrapperKind | undefined): string {
  return wrapper ? ` (wrapped by ${WRAPPER_WORDS[wrapper]})` : '';
}

/** "all" when one function accounts for every one of them, else "12 of them". */
function shareOf(group: LocationGroup, total: number): string {
  return group.count === total ? 'all' : `${formatCount(group.count)} of them`;
}

function functionAt(location: SourceLocation): string {
  return `${location.functionName || '(anonymous)'} at ${locationText(location)}`;
}

/** What holds the finding's objects, when the subject names it (a line of its own in the outputs). */
export function findingHolder(finding: Finding): HolderPath | null {
  if (finding.kind === 'growing-collections' || finding.kind === 'class-growth') return finding.subject.holder;
  return null;
}

/** Everything a renderer writes about one finding, in words. */
export interface FindingWords {
  readonly title: string;
  /** What holds its objects, when the subject names it. */
  readonly holder: string | null;
  /** The retainer path, one token per step (path-words.ts). */
  readonly path: readonly string[];
  /** Where the finding's objects were allocated (the tracked stack, then sampled sites attached to it), one line each. */
  readonly allocatedAt: readonly string[];
}

export interface FindingWordsOptions extends WordsOptions {
  /** Words a schema-1 report stored (schema-v1.ts): shown as stored, for the finding at the same index. */
  stored?: StoredWords;
}

/** The words for `analysis.findings[index]`. */
export function findingWords(finding: Finding, index: number, options: FindingWordsOptions = {}): FindingWords {
  const { stored } = options;
  if (stored !== undefined && index < stored.findingTitles.length) {
    return { title: stored.findingTitles[index]!, holder: stored.findingHolders[index] ?? null, path: stored.findingPaths[index] ?? [], allocatedAt: [] };
  }
  const holder = findingHolder(finding);
  // survivingCount is null only in the cross-process method, whose findings are groups: no one object to give a path to.
  const path = finding.retainerPath === null && finding.evidence.survivingCount === null
    ? ['(no retainer path: a cross-process finding is a group, not an object; inspect --node on the last snapshot)']
    : retainerPathTokens(finding.retainerPath);
  return {
    title: findingTitle(finding), holder: holder ? holderText(holder) : null, path,
    allocatedAt: [
      ...(finding.allocationStack ? [allocationStackLine(finding.allocationStack, options)] : []),
      ...(finding.allocationSites ?? []).map((site) => allocationSiteText(site, options)),
    ],
  };
}
