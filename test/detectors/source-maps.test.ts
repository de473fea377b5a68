import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { analyzeSnapshots, findingTitle, type AnalysisResult } from '../../src/index.js';
import { fixturesDir } from '../helpers/paths.js';
import { REQUESTS_PER_PHASE, runFixture } from './fixture-snapshots.js';

const sourceDir = join(fixturesDir, 'apps', 'source-mapped');

function sourceLine(file: string, text: string): number {
  return readFileSync(join(sourceDir, file), 'utf8').split('\n').findIndex((line) => line.includes(text)) + 1;
}

// Issue 11, item 2: locations in compiled code are given in the user's TypeScript.
for (const { name, listener, how } of [
  { name: 'mapped-listeners', listener: 'onJobProgress', how: 'a sourceMappingURL file next to the script' },
  { name: 'inline-listeners', listener: 'onInlineProgress', how: 'an inline data: URL source map' },
]) {
  describe(`locations are mapped to the TypeScript source through ${how}`, () => {
    let result: AnalysisResult;
    before(async () => {
      result = await analyzeSnapshots((await runFixture(`source-mapped/${name}`)).all);
    });

    test(`the listener finding names ${listener} at its line in ${name}.mts, and keeps the compiled location`, () => {
      const finding = result.findings.find((f) => f.kind === 'duplicate-listeners');
      assert.ok(finding, JSON.stringify(result.findings.map((f) => findingTitle(f))));
      assert.equal(finding.growth.count, 2 * REQUESTS_PER_PHASE);
      const location = finding.location!;
      assert.equal(location.functionName, listener);
      assert.equal(location.script, join(sourceDir, `${name}.mts`));
      assert.equal(location.line, sourceLine(`${name}.mts`, `function ${listener}(`));
      assert.equal(location.generated?.script, join(sourceDir, `${name}.mjs`));
      assert.equal(location.generated?.line, sourceLine(`${name}.mjs`, `function ${listener}(`));
      assert.notEqual(location.line, location.generated?.line);
      assert.match(findingTitle(finding), new RegExp(`all ${listener} at ${name}\\.mts:${location.line}:\\d+`));
      assert.deepEqual(finding.evidence.groups?.[0]?.location, location);
    });
  });
}
