import type { HolderPath, RetainerPathData, SourceLocation, WrapperKind } from '../detectors/index.js';
import { ErrorCode, LeakcheckError } from '../errors.js';
import type { CollectionKind, InspectObject } from '../snapshot/index.js';

/** The first key of every digest: what `diff` and `inspect` look for to tell a digest from a snapshot. */
export const DIGEST_FORMAT = 'leakcheck-digest';

/** Bumped on any change a reader could notice; a reader accepts only its own version. */
export const DIGEST_SCHEMA_VERSION = 1;

/**
 * What the detectors' cross-process mode and `inspect` need of one snapshot, without its objects:
 * a few kilobytes instead of the snapshot's megabytes or gigabytes. Everything is grouped by what
 * stays the same across processes (a holder path, a source location, a class name); V8 ids appear
 * only as examples from this snapshot. JSON-safe, numbers in bytes and counts.
 */
export interface HeapDigest {
  readonly format: typeof DIGEST_FORMAT;
  readonly schemaVersion: typeof DIGEST_SCHEMA_VERSION;
  /** leakcheck version that wrote it. */
  readonly toolVersion: string;
  readonly source: DigestSource;
  /** Groups smaller than these are left out (their members are then counted as 0 by a diff). */
  readonly minCounts: DigestMinCounts;
  /** Every class with at least `minCounts.classes` objects, largest retained size first. */
  readonly classes: readonly DigestClass[];
  /** Collections grouped by holder path and kind, largest size first. */
  readonly collections: readonly DigestCollection[];
  /** Listeners grouped by emitter (holder path, class), event and the user's function. */
  readonly listeners: readonly DigestListenerGroup[];
  /** Live closures grouped by the source location of the user's function (wrappers unwrapped). */
  readonly closures: readonly DigestClosureGroup[];
  /** The largest top-level retainers, with their retainer paths. */
  readonly dominators: readonly DigestDominator[];
  /** The largest objects below the roots by property path, as `inspect` lists them. */
  readonly largestObjects: readonly InspectObject[];
}

export interface DigestSource {
  /** The snapshot as the user named it when the digest was written. */
  readonly path: string;
  readonly fileBytes: number;
  readonly nodeCount: number;
  readonly edgeCount: number;
  readonly stringCount: number;
  /** Sum of all self sizes. */
  readonly totalBytes: number;
  readonly unreachableCount: number;
  /** Distinct classes in the snapshot (the digest keeps those with at least minCounts.classes objects). */
  readonly classCount: number;
}

export interface DigestMinCounts {
  readonly classes: number;
  /** Sum of the sizes of the group's collections. */
  readonly collections: number;
  /** Listeners of one emitter event. */
  readonly listeners: number;
  readonly closures: number;
}

export interface DigestClass {
  readonly name: string;
  readonly count: number;
  readonly shallowBytes: number;
  readonly retainedBytes: number;
  /** Objects a user can create (not V8's code, maps and "system /" objects): what class growth reports. */
  readonly userVisible: boolean;
  /**
   * The groups (at most MAX_CLASS_GROUPS, most members first) that hold members of this class:
   * the member is in the group or dominated by one of its members. What a cross-process diff
   * subtracts from a class's growth once it has reported the group (the digest's "claims").
   */
  readonly inGroups: readonly { readonly group: GroupRef; readonly count: number; readonly shallowBytes: number }[];
}

/** A group of this digest by the key a diff matches it by (keys.ts). */
export interface GroupRef {
  readonly kind: 'collections' | 'listeners' | 'closures';
  readonly key: string;
}

export interface DigestCollection {
  readonly holder: HolderPath;
  readonly kind: CollectionKind;
  /** How many collections share this holder path (one per instance of a holding class). */
  readonly collectionCount: number;
  /** Sum of their sizes: entries, elements or properties. */
  readonly size: number;
  /** What they retain together. */
  readonly retainedBytes: number;
  /** The largest one's V8 id, in this snapshot only. */
  readonly exampleId: number;
  /** A function that captures the scope holding it (scope-held collections only). */
  readonly location: SourceLocation | null;
  /**
   * Held by Node's own code: a scope of a `node:` script, or an object whose constructor is
   * defined in one (a BuiltinModule's `exports`). Such collections fill lazily as code paths run.
   */
  readonly nodeHeld: boolean;
  /** The group that holds most of this one's members (they are its members, or it dominates them), if one does. */
  readonly insideOf: GroupRef | null;
}

export interface DigestListenerGroup {
  /** The emitter's class (as definingClassName names it) and what holds it (null: nothing named). */
  readonly emitterClass: string;
  readonly emitterHolder: HolderPath | null;
  readonly event: string;
  /** `_events` lists (EventEmitter) or `[kEvents]` lists (EventTarget). */
  readonly style: 'emitter' | 'target';
  /** The user's function behind any wrapper; null when V8 recorded no location. */
  readonly location: SourceLocation | null;
  readonly wrapper: WrapperKind | null;
  /** The user's function's name ('' when anonymous): what groups listeners that have no location. */
  readonly functionName: string;
  /** Listeners of this function on the matching emitters' event. */
  readonly count: number;
  readonly retainedBytes: number;
  /** One such emitter's V8 id, in this snapshot only. */
  readonly exampleEmitterId: number;
  /** The group that holds most of this one's members (they are its members, or it dominates them), if one does. */
  readonly insideOf: GroupRef | null;
}

export interface DigestClosureGroup {
  readonly location: SourceLocation;
  readonly wrapper: WrapperKind | null;
  readonly functionName: string;
  readonly count: number;
  readonly retainedBytes: number;
  /** The group that holds most of this one's members (they are its members, or it dominates them), if one does. */
  readonly insideOf: GroupRef | null;
}

export interface DigestDominator {
  readonly id: number;
  readonly className: string;
  readonly shallowBytes: number;
  readonly retainedBytes: number;
  /** Edges from the GC roots; null when unreachable. */
  readonly distance: number | null;
  readonly retainerPath: RetainerPathData | null;
}

/**
 * Checks that `value` (parsed JSON) is a digest of this schema version, field by field, and
 * returns it typed. Throws ERR_DIGEST_INVALID naming `file` and the first field that is wrong.
 */
export function validateDigest(value: unknown, file: string): HeapDigest {
  const fail = (problem: string): never => {
    throw new LeakcheckError(ErrorCode.DIGEST_INVALID, `is not a valid leakcheck digest: ${problem}`, { file });
  };
  const root = record(value, 'the top level', fail);
  if (root['format'] !== DIGEST_FORMAT) fail(`format is ${JSON.stringify(root['format'])}, not "${DIGEST_FORMAT}"`);
  if (root['schemaVersion'] !== DIGEST_SCHEMA_VERSION) {
    fail(`schemaVersion ${JSON.stringify(root['schemaVersion'])}; this leakcheck reads version ${DIGEST_SCHEMA_VERSION} (write the digest again with this version)`);
  }
  text(root['toolVersion'], 'toolVersion', fail);
  const source = record(root['source'], 'source', fail);
  text(source['path'], 'source.path', fail);
  for (const field of ['fileBytes', 'nodeCount', 'edgeCount', 'stringCount', 'totalBytes', 'unreachableCount', 'classCount']) count(source[field], `source.${field}`, fail);
  const minCounts = record(root['minCounts'], 'minCounts', fail);
  for (const field of ['classes', 'collections', 'listeners', 'closures']) count(minCounts[field], `minCounts.${field}`, fail);
  list(root['classes'], 'classes', fail, (row, at) => {
    text(row['name'], `${at}.name`, fail);
    for (const field of ['count', 'shallowBytes', 'retainedBytes']) count(row[field], `${at}.${field}`, fail);
    if (typeof row['userVisible'] !== 'boolean') fail(`${at}.userVisible is not true or false`);
    list(row['inGroups'], `${at}.inGroups`, fail, (entry, entryAt) => {
      groupRef(entry['group'], `${entryAt}.group`, fail);
      count(entry['count'], `${entryAt}.count`, fail);
      count(entry['shallowBytes'], `${entryAt}.shallowBytes`, fail);
    });
  });
  list(root['collections'], 'collections', fail, (row, at) => {
    holder(row['holder'], `${at}.holder`, fail);
    if (!['Map', 'Set', 'Array', 'Object'].includes(row['kind'] as string)) fail(`${at}.kind is not Map, Set, Array or Object`);
    for (const field of ['collectionCount', 'size', 'retainedBytes', 'exampleId']) count(row[field], `${at}.${field}`, fail);
    if (typeof row['nodeHeld'] !== 'boolean') fail(`${at}.nodeHeld is not true or false`);
    location(row['location'], `${at}.location`, fail, true);
    if (row['insideOf'] !== null) groupRef(row['insideOf'], `${at}.insideOf`, fail);
  });
  list(root['listeners'], 'listeners', fail, (row, at) => {
    text(row['emitterClass'], `${at}.emitterClass`, fail);
    if (row['emitterHolder'] !== null) holder(row['emitterHolder'], `${at}.emitterHolder`, fail);
    text(row['event'], `${at}.event`, fail);
    if (row['style'] !== 'emitter' && row['style'] !== 'target') fail(`${at}.style is not "emitter" or "target"`);
    location(row['location'], `${at}.location`, fail, true);
    wrapper(row['wrapper'], `${at}.wrapper`, fail);
    text(row['functionName'], `${at}.functionName`, fail);
    for (const field of ['count', 'retainedBytes', 'exampleEmitterId']) count(row[field], `${at}.${field}`, fail);
    if (row['insideOf'] !== null) groupRef(row['insideOf'], `${at}.insideOf`, fail);
  });
  list(root['closures'], 'closures', fail, (row, at) => {
    location(row['location'], `${at}.location`, fail, false);
    wrapper(row['wrapper'], `${at}.wrapper`, fail);
    text(row['functionName'], `${at}.functionName`, fail);
    for (const field of ['count', 'retainedBytes']) count(row[field], `${at}.${field}`, fail);
    if (row['insideOf'] !== null) groupRef(row['insideOf'], `${at}.insideOf`, fail);
  });
  list(root['dominators'], 'dominators', fail, (row, at) => {
    text(row['className'], `${at}.className`, fail);
    for (const field of ['id', 'shallowBytes', 'retainedBytes']) count(row[field], `${at}.${field}`, fail);
    if (row['distance'] !== null) count(row['distance'], `${at}.distance`, fail);
    if (row['retainerPath'] !== null) {
      const path = record(row['retainerPath'], `${at}.retainerPath`, fail);
      count(path['omittedSteps'], `${at}.retainerPath.omittedSteps`, fail);
      list(path['steps'], `${at}.retainerPath.steps`, fail, (step, stepAt) => {
        for (const field of ['edge', 'edgeType', 'className', 'nodeType']) text(step[field], `${stepAt}.${field}`, fail);
        count(step['nodeId'], `${stepAt}.nodeId`, fail);
        if (typeof step['passThrough'] !== 'boolean') fail(`${stepAt}.passThrough is not true or false`);
      });
    }
  });
  list(root['largestObjects'], 'largestObjects', fail, (row, at) => {
    text(row['className'], `${at}.className`, fail);
    for (const field of ['id', 'shallowSize', 'retainedSize']) count(row[field], `${at}.${field}`, fail);
    list(row['path'], `${at}.path`, fail, (step, stepAt) => {
      for (const field of ['edge', 'edgeType']) text(step[field], `${stepAt}.${field}`, fail);
    });
  });
  return value as HeapDigest;
}

type Fail = (problem: string) => never;

function record(value: unknown, at: string, fail: Fail): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`${at} is not an object`);
  return value as Record<string, unknown>;
}

function text(value: unknown, at: string, fail: Fail): void {
  if (typeof value !== 'string') fail(`${at} is not a string`);
}

function count(value: unknown, at: string, fail: Fail): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(`${at} is not a number >= 0`);
}

function list(value: unknown, at: string, fail: Fail, each: (row: Record<string, unknown>, at: string) => void): void {
  if (!Array.isArray(value)) fail(`${at} is not an array`);
  (value as unknown[]).forEach((row, k) => each(record(row, `${at}[${k}]`, fail), `${at}[${k}]`));
}

function wrapper(value: unknown, at: string, fail: Fail): void {
  if (value !== null && !['bind', 'once', 'async-context', 'promisify', 'node'].includes(value as string)) fail(`${at} is not a known wrapper kind`);
}

function location(value: unknown, at: string, fail: Fail, nullable: boolean): void {
  if (value === null && nullable) return;
  const row = record(value, at, fail);
  text(row['script'], `${at}.script`, fail);
  text(row['functionName'], `${at}.functionName`, fail);
  count(row['line'], `${at}.line`, fail);
  count(row['column'], `${at}.column`, fail);
}

function groupRef(value: unknown, at: string, fail: Fail): void {
  const row = record(value, at, fail);
  if (!['collections', 'listeners', 'closures'].includes(row['kind'] as string)) fail(`${at}.kind is not collections, listeners or closures`);
  text(row['key'], `${at}.key`, fail);
}

function holder(value: unknown, at: string, fail: Fail): void {
  const row = record(value, at, fail);
  if (row['root'] !== null) {
    const root = record(row['root'], `${at}.root`, fail);
    if (!['variable', 'object', 'property'].includes(root['kind'] as string)) fail(`${at}.root.kind is not variable, object or property`);
    text(root['name'], `${at}.root.name`, fail);
  }
  list(row['steps'], `${at}.steps`, fail, (step, stepAt) => {
    if (!['property', 'element', 'entry'].includes(step['kind'] as string)) fail(`${stepAt}.kind is not property, element or entry`);
  });
}
