import { fileURLToPath } from 'node:url';
import type { AllocationFrame, AllocationSite, Finding, FrameOrigin, SiteMatch } from './detector.js';
import { displayScript } from './source-location.js';
import type { SourceMaps } from './source-maps.js';

/**
 * Allocation sites from V8's sampling heap profiler, measured at the run's measured checkpoints
 * (the ones with snapshots), and the growing ones matched to the findings they explain. A heap
 * snapshot says what is alive and who holds it, but not which code made it; the sampled stacks do.
 *
 * The profiler samples one allocation per `samplingIntervalBytes` and scales it up, so a site's
 * live bytes are an estimate with a grain of about one interval: growth smaller than a few
 * intervals is noise (MIN_GROWTH_INTERVALS).
 */

/** One profile as the agent ships it (agent/protocol.ts AllocationProfile): sites index a function table. */
export interface SampledProfile {
  readonly samplingIntervalBytes: number;
  readonly totalLiveBytes: number;
  readonly droppedSites: number;
  readonly functions: readonly { readonly functionName: string; readonly url: string; readonly line: number; readonly column: number }[];
  readonly sites: readonly { readonly frames: readonly number[]; readonly liveBytes: number }[];
}

export interface AllocationSitesResult {
  readonly samplingIntervalBytes: number;
  /** The checkpoints the live bytes were taken at, oldest first. */
  readonly checkpoints: readonly { readonly phase: string; readonly atMs: number; readonly totalLiveBytes: number }[];
  /** Growing sites no finding explains, largest growth first. */
  readonly unattributed: readonly AllocationSite[];
  /** Growing sites attached to findings (they are also in each finding's allocationSites). */
  readonly attributedCount: number;
}

/** A site's growth must exceed this many sampling intervals: below it, one sample more or less is the whole "growth". */
const MIN_GROWTH_INTERVALS = 4;
/** Sites listed per finding, and in the unattributed section. */
const MAX_SITES_PER_FINDING = 3;
const MAX_UNATTRIBUTED = 10;

/**
 * The sites whose live bytes rose at every measured checkpoint after the first (never fell) by
 * more than the noise grain, largest growth first. A site absent from a profile (it was not among
 * the largest sent) counts as 0 there.
 */
export function growingAllocationSites(profiles: readonly SampledProfile[], sourceMaps?: SourceMaps): AllocationSite[] {
  if (profiles.length < 2) return [];
  const bytesBySite = new Map<string, { functions: SampledProfile['functions'][number][]; liveBytes: number[] }>();
  for (const [k, profile] of profiles.entries()) {
    for (const site of profile.sites) {
      const functions = site.frames.map((f) => profile.functions[f]!);
      const key = functions.map((f) => `${f.functionName}\0${f.url}\0${f.line}\0${f.column}`).join('\n');
      let entry = bytesBySite.get(key);
      if (!entry) bytesBySite.set(key, entry = { functions, liveBytes: new Array<number>(profiles.length).fill(0) });
      entry.liveBytes[k]! += site.liveBytes;
    }
  }
  const minGrowthBytes = MIN_GROWTH_INTERVALS * Math.max(...profiles.map((p) => p.samplingIntervalBytes));
  const growing: AllocationSite[] = [];
  for (const { functions, liveBytes } of bytesBySite.values()) {
    const growthBytes = liveBytes.at(-1)! - liveBytes[0]!;
    if (growthBytes <= minGrowthBytes || !liveBytes.every((bytes, k) => k === 0 || bytes > liveBytes[k - 1]!)) continue;
    const frames = functions.map((f) => allocationFrame(f.functionName, f.url, f.line, f.column, sourceMaps));
    growing.push({ frames, userFrame: firstUserFrame(frames), liveBytes, growthBytes });
  }
  return growing.sort((a, b) => b.growthBytes - a.growthBytes);
}

/**
 * Gives each finding the growing sites that match it and lists the rest. A sampled site has a
 * stack but no object type, and a finding has objects but no stack, so the match goes through
 * what both know, strongest first (each site goes to the first finding, in rank order, at its
 * strongest match):
 *  - 'constructor': a frame of the site is a function named like the finding's class (class-growth
 *    of Session ← `new Session()` runs Session's constructor, where its fields are allocated);
 *  - 'function': the site's user frame is the finding's own function (the closures, listeners or
 *    collection-capturing function the detector located), same script and line;
 *  - 'script': the site's user frame is in the finding's script (a collection pushed to by a
 *    handler of the module that declares it).
 */
export function attachAllocationSites(findings: readonly Finding[], sites: readonly AllocationSite[]): { findings: Finding[]; result: Omit<AllocationSitesResult, 'samplingIntervalBytes' | 'checkpoints'> } {
  const attached = findings.map(() => [] as AllocationSite[]);
  const unattributed: AllocationSite[] = [];
  for (const site of sites) {
    let best: { finding: number; match: SiteMatch } | undefined;
    for (const [index, finding] of findings.entries()) {
      const match = matchFinding(finding, site);
      if (match !== undefined && (best === undefined || MATCH_STRENGTH[match] > MATCH_STRENGTH[best.match])) best = { finding: index, match };
      if (best?.match === 'constructor') break;
    }
    if (best === undefined) unattributed.push(site);
    else attached[best.finding]!.push({ ...site, match: best.match });
  }
  return {
    findings: findings.map((finding, index) => {
      const own = attached[index]!.slice(0, MAX_SITES_PER_FINDING);
      return own.length === 0 ? finding : { ...finding, allocationSites: own };
    }),
    result: { unattributed: unattributed.slice(0, MAX_UNATTRIBUTED), attributedCount: sites.length - unattributed.length },
  };
}

const MATCH_STRENGTH: Record<SiteMatch, number> = { constructor: 3, function: 2, script: 1 };

function matchFinding(finding: Finding, site: AllocationSite): SiteMatch | undefined {
  const className = findingClass(finding);
  if (className !== undefined && site.frames.some((f) => f.functionName === className && f.origin !== 'engine')) return 'constructor';
  const location = finding.location;
  const user = site.userFrame === null ? undefined : site.frames[site.userFrame]!;
  if (!location || !user || user.script !== location.script) return undefined;
  return user.line === location.line && user.functionName === location.functionName ? 'function' : 'script';
}

/** The user-visible class of a finding's objects, when it has one a constructor could be named after. */
function findingClass(finding: Finding): string | undefined {
  if (finding.kind === 'class-growth') return finding.subject.className;
  if (finding.kind === 'live-handles') return finding.subject.owners?.[0]?.className;
  return undefined;
}

/** leakcheck's own compiled code (the agent runs inside the target): a dependency of the target's, not its code. */
const LEAKCHECK_BUILD = fileURLToPath(new URL('../../', import.meta.url));

/** A frame as V8 named it (a URL or a path; 1-based line and column, 0 unknown), classified and mapped to its original source. */
export function allocationFrame(functionName: string, url: string, line: number, column: number, sourceMaps: SourceMaps | undefined): AllocationFrame {
  const script = displayScript(url);
  const origin: FrameOrigin = script === '' ? 'engine'
    : script.startsWith('node:') ? 'node'
    : /[\\/]node_modules[\\/]/.test(script) || script.startsWith(LEAKCHECK_BUILD) ? 'dependency' : 'user';
  const original = origin === 'user' && line > 0 ? sourceMaps?.original(script, line, column) : undefined;
  if (original === undefined) return { script, line, column, functionName, origin };
  return { ...original, functionName, origin, generated: { script, line, column } };
}

/** Index of the innermost user frame, or null. */
export function firstUserFrame(frames: readonly AllocationFrame[]): number | null {
  const at = frames.findIndex((f) => f.origin === 'user');
  return at < 0 ? null : at;
}
