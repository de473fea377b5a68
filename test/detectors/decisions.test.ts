import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { judgeGrowth, severityOf } from '../../src/detectors/index.js';

describe('judgeGrowth: the ordered leak / maybe / not-leak rules', () => {
  const cases: [string, number[], number, string][] = [
    ['no growth from first to last', [5, 9, 5], 3, 'not-leak'],
    ['shrank overall', [5, 3, 4], 3, 'not-leak'],
    ['grew to the target, then stopped (a bound)', [1, 5, 5], 3, 'not-leak'],
    ['grew to the target, then shrank a little', [1, 6, 5], 3, 'not-leak'],
    ['grew every interval, but nothing of the first interval survived (churn)', [1, 5, 9], 0, 'not-leak'],
    ['grew every interval with survivors', [1, 5, 9], 3, 'leak'],
    ['two snapshots: any growth', [1, 2], 0, 'leak'],
    ['flat, then grew in the last interval only', [1, 1, 5], 2, 'maybe'],
  ];
  for (const [name, counts, survivingCount, expected] of cases) {
    test(`${name}: ${counts.join(' → ')}, ${survivingCount} survivors → ${expected}`, () => {
      assert.equal(judgeGrowth({ counts, survivingCount }), expected);
    });
  }
  // Issue 11 item 7: growth in the last interval must be material in count and in bytes to fail the gate.
  test('counts that top off in the last interval (+3 after +100) are a maybe, not a leak', () => {
    assert.equal(judgeGrowth({ counts: [0, 100, 103], survivingCount: 50 }), 'maybe');
  });
  test('counts that keep growing while the bytes top off (+2 KiB after +100 KiB) are a maybe', () => {
    assert.equal(judgeGrowth({ counts: [0, 100, 190], bytes: [0, 102_400, 104_448], survivingCount: 50 }), 'maybe');
  });
  test('counts and bytes growing alike in both intervals are a leak', () => {
    assert.equal(judgeGrowth({ counts: [0, 100, 190], bytes: [0, 102_400, 190_000], survivingCount: 50 }), 'leak');
  });
});

describe('severityOf: thresholds turn a decision into leak, suspect or nothing', () => {
  const thresholds = { minGrowthBytes: 1000, minGrowthCount: 100 };
  const cases: [string, 'leak' | 'maybe' | 'not-leak', number, number, string | undefined][] = [
    ['not-leak is never reported', 'not-leak', 10_000, 10_000_000, undefined],
    ['leak at the count threshold', 'leak', 100, 0, 'leak'],
    ['leak at the byte threshold', 'leak', 0, 1000, 'leak'],
    ['leak just under both thresholds is a suspect', 'leak', 99, 999, 'suspect'],
    ['a quarter of the count threshold is still a suspect', 'leak', 25, 0, 'suspect'],
    ['under a quarter of both thresholds is noise', 'leak', 24, 249, undefined],
    ['maybe over the thresholds is only a suspect', 'maybe', 500, 5000, 'suspect'],
  ];
  for (const [name, decision, count, bytes, expected] of cases) {
    test(name, () => assert.equal(severityOf(decision, { count, bytes }, thresholds), expected));
  }
});
