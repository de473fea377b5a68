import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { buildLoadPlan, type RunOptions } from '../../src/runner/index.js';
import { tmpDir } from './tmp-dir.js';

/** Small, fast runTarget options: 300 warm-up requests (fills a bounded cache), 400 per load phase, a report dir removed after the test. */
export function runOptions(t: Pick<TestContext, 'after'>, command: string[], extra: Partial<RunOptions> = {}): RunOptions {
  return {
    command,
    phases: buildLoadPlan({ requests: 400, warmupRequests: 300, concurrency: 4 }),
    outDir: join(tmpDir(t), 'report'),
    startTimeoutMs: 15_000,
    ...extra,
  };
}
