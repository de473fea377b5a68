import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeProjection, parseRunReport, plainStyle, projectHeapToLimit, renderRunText, type RunReport } from '../../src/report/index.js';
import { fixturesDir } from '../helpers/paths.js';

const MiB = 1024 * 1024;
const loadReport = (name: string): RunReport => {
  const file = join(fixturesDir, 'reports', `${name}.json`);
  return parseRunReport(readFileSync(file, 'utf8'), file);
};

test('a leaking heap is projected to V8 heap limit: headroom over the per-request slope, time at the measured rate', () => {
  const report = loadReport('leak');
  const projection = projectHeapToLimit(report)!;
  const trend = report.trends.find((t) => t.series === 'heapUsed')!;
  const last = report.checkpoints.at(-1)!;
  assert.equal(projection.limit, 'v8-heap');
  assert.equal(projection.limitBytes, report.target.memoryLimits!.heapSizeLimitBytes);
  assert.equal(projection.headroomBytes, projection.limitBytes - last.heapUsedBytes);
  assert.equal(Math.round(projection.requestsToLimit!), Math.round(projection.headroomBytes / (trend.growthPer1000RequestsBytes / 1000)));
  const loadPhases = report.phases.filter((p) => p.kind === 'load');
  const msPerRequest = loadPhases.reduce((s, p) => s + p.http!.durationMs, 0) / loadPhases.reduce((s, p) => s + p.http!.requests, 0);
  assert.ok(Math.abs(projection.msToLimit! - projection.requestsToLimit! * msPerRequest) < 1);
  const words = describeProjection(projection);
  assert.match(words, /^at this rate \(\+2\.70 MiB per 1,000 requests\) the heap reaches its 4\.05 GiB V8 heap limit after ~1\.5 million more requests \(~61 min of this load\)$/);
  assert.ok(renderRunText(report, plainStyle).includes(`✗ ${words}`), 'the text verdict says the same sentence');
});

test('a cgroup limit with less headroom than the heap limit is the one projected, against RSS', () => {
  const report = loadReport('leak');
  const last = report.checkpoints.at(-1)!;
  report.target.memoryLimits = { heapSizeLimitBytes: 4096 * MiB, cgroup: { path: '/docker/abc', maxBytes: last.rssBytes + 64 * MiB } };
  const projection = projectHeapToLimit(report)!;
  assert.equal(projection.limit, 'cgroup');
  assert.equal(projection.headroomBytes, 64 * MiB);
  assert.match(describeProjection(projection), /the process reaches its [\d.]+ MiB cgroup memory limit \(\/docker\/abc\) after ~24,000 more requests \(~57 s of this load\)$/);
});

test('no projection for a heap that does not grow, nor for a report without limits', () => {
  assert.equal(projectHeapToLimit(loadReport('clean')), null);
  const old = loadReport('leak');
  delete old.target.memoryLimits;
  assert.equal(projectHeapToLimit(old), null);
});
