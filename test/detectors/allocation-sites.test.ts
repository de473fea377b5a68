import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { attachAllocationSites, growingAllocationSites, SourceMaps, type Finding, type SampledProfile } from '../../src/detectors/index.js';
import { fixturesDir } from '../helpers/paths.js';

const interval = 64 * 1024;
const fn = (functionName: string, url: string, line: number) => ({ functionName, url, line, column: 1 });
const functions = [
  fn('rememberRequest', 'file:///srv/app.mjs', 9),
  fn('', 'file:///srv/app.mjs', 21),
  fn('emit', 'node:events', 471),
  fn('Session', 'file:///srv/app.mjs', 3),
  fn('parse', '/srv/node_modules/qs/lib/parse.js', 40),
];

/** A profile with one live-bytes figure per site: [rememberRequest ← handler ← emit], [Session ← handler], [parse ← emit]. */
function profile(pushed: number, sessions: number, parsed: number): SampledProfile {
  return {
    samplingIntervalBytes: interval, totalLiveBytes: pushed + sessions + parsed, droppedSites: 0, functions,
    sites: [{ frames: [0, 1, 2], liveBytes: pushed }, { frames: [3, 1, 2], liveBytes: sessions }, { frames: [4, 2], liveBytes: parsed }],
  };
}

test('a site is growing only when its live bytes rose at every checkpoint by more than the sampling grain', () => {
  const sites = growingAllocationSites([profile(1e5, 2e5, 3e5), profile(9e5, 2e5 + interval, 2e6), profile(2e6, 2e5 + 2 * interval, 1.9e6)]);
  // Session rose by two samples only (noise); parse fell in the last interval.
  assert.deepEqual(sites.map((s) => s.frames[0]!.functionName), ['rememberRequest']);
  const [site] = sites;
  assert.deepEqual(site!.liveBytes, [1e5, 9e5, 2e6]);
  assert.equal(site!.growthBytes, 2e6 - 1e5);
  assert.equal(site!.frames[0]!.script, '/srv/app.mjs', 'file URLs become paths, as finding locations are');
  assert.deepEqual(site!.frames.map((f) => f.origin), ['user', 'user', 'node']);
  assert.equal(site!.userFrame, 0);
});

test('the user frame skips dependency and Node frames; a stack without one has none', () => {
  const [site] = growingAllocationSites([profile(0, 0, 1e5), profile(0, 0, 1e6), profile(0, 0, 2e6)]);
  assert.deepEqual(site!.frames.map((f) => f.origin), ['dependency', 'node']);
  assert.equal(site!.userFrame, null);
});

const baseFinding = {
  severity: 'leak', retainedSize: 1, growth: { count: 1, bytes: 1 }, retainerPath: null,
  evidence: { unit: 'objects', counts: [1, 2, 3], bytes: [1, 2, 3], survivingCount: 1 },
} as const;

test('sites go to the finding they match, a constructor named like its class first; the rest stay unattributed', () => {
  const sites = growingAllocationSites([profile(1e5, 1e5, 1e5), profile(1e6, 1e6, 1e6), profile(2e6, 2e6, 2e6)]);
  const collection: Finding = {
    ...baseFinding, kind: 'growing-collections', subject: { collection: 'Array', nodeId: 7, holder: null },
    location: { script: '/srv/app.mjs', line: 30, column: 1, functionName: 'lastUrl' },
  };
  const sessions: Finding = { ...baseFinding, kind: 'class-growth', subject: { className: 'Session', holder: null }, location: null };
  const { findings, result } = attachAllocationSites([collection, sessions], sites);
  assert.deepEqual(findings[0]!.allocationSites?.map((s) => [s.frames[0]!.functionName, s.match]), [['rememberRequest', 'script']]);
  // The Session site is in the same script as the collection's function too, but the constructor is the stronger match.
  assert.deepEqual(findings[1]!.allocationSites?.map((s) => [s.frames[0]!.functionName, s.match]), [['Session', 'constructor']]);
  assert.deepEqual(result.unattributed.map((s) => s.frames[0]!.functionName), ['parse']);
  assert.equal(result.attributedCount, 2);
});

test('a site in compiled TypeScript is given in the original source through its source map, with the compiled position kept', () => {
  const compiled = join(fixturesDir, 'apps', 'source-mapped', 'mapped-listeners.mjs');
  // startJob is on line 11 of tsc's output and line 23 of the .mts (its `function` keyword, column 1 in both).
  const mapped: SampledProfile['functions'] = [{ functionName: 'startJob', url: pathToFileURL(compiled).href, line: 11, column: 1 }];
  const at = (liveBytes: number): SampledProfile => ({ samplingIntervalBytes: interval, totalLiveBytes: liveBytes, droppedSites: 0, functions: mapped, sites: [{ frames: [0], liveBytes }] });
  const [site] = growingAllocationSites([at(1e5), at(1e6), at(2e6)], new SourceMaps());
  const frame = site!.frames[0]!;
  assert.equal(frame.script, join(fixturesDir, 'apps', 'source-mapped', 'mapped-listeners.mts'));
  assert.equal(frame.line, 23);
  assert.deepEqual(frame.generated, { script: compiled, line: 11, column: 1 });
});
