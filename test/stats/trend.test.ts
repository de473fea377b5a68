import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mannKendall, median, normalCdf, theilSenSlope, trendTest, type TrendPoint } from '../../src/stats/index.js';

/** Deterministic pseudo-random noise in [-1, 1) (a small LCG), so series are reproducible. */
function noise(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  };
}

const MiB = 1024 * 1024;

function series(n: number, f: (i: number) => number): TrendPoint[] {
  return Array.from({ length: n }, (_, i) => ({ x: i * 100, y: f(i) }));
}

test('Mann–Kendall S, z and p on small series, checked by hand', () => {
  // 1..5: all 10 pairs concordant; Var(S) = n(n-1)(2n+5)/18 = 50/3; z = (S-1)/sqrt(Var); p = 1 - Φ(2.2045) ≈ 0.01374.
  const rising = mannKendall([1, 2, 3, 4, 5]);
  assert.equal(rising.s, 10);
  assert.equal(rising.z, 9 / Math.sqrt(50 / 3));
  assert.ok(Math.abs(rising.pValue - 0.013743) < 2e-5, `p=${rising.pValue}`);
  // One tied pair: S = 5; Var = (4·3·13 − 2·1·9)/18 = 23/3.
  const tied = mannKendall([1, 2, 2, 3]);
  assert.equal(tied.s, 5);
  assert.equal(tied.z, 4 / Math.sqrt(23 / 3));
  // Two discordant pairs, one concordant: S = −1, the continuity correction makes z = 0, p = 1/2.
  const mixed = mannKendall([3, 1, 2]);
  assert.deepEqual([mixed.s, mixed.z], [-1, 0]);
  assert.ok(Math.abs(mixed.pValue - 0.5) < 1e-7, 'Φ(0) within the erf approximation');
  const falling = mannKendall([5, 4, 3, 2, 1]);
  assert.equal(falling.s, -10);
  assert.ok(Math.abs(falling.pValue - (1 - 0.013743)) < 2e-5);
});

test('Theil–Sen is the median of the pairwise slopes, skipping pairs with the same x', () => {
  assert.equal(theilSenSlope([{ x: 0, y: 0 }, { x: 1, y: 1 }, { x: 2, y: 4 }]), 2, 'slopes 1, 2, 3');
  assert.equal(theilSenSlope([{ x: 0, y: 0 }, { x: 0, y: 2 }, { x: 1, y: 3 }]), 2, 'slopes 3 and 1 (the vertical pair is skipped)');
  assert.equal(theilSenSlope([{ x: 5, y: 1 }]), 0);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([]), 0);
});

test('an exact line: slope and growth are exact, no noise, significant', () => {
  const result = trendTest(series(6, (i) => 1000 + 10 * i * 100), { minGrowth: 100 });
  assert.deepEqual(
    { slope: result.slope, growth: result.growth, first: result.first, last: result.last, s: result.mannKendallS, noise: result.noise, increasing: result.increasing },
    { slope: 10, growth: 5000, first: 1000, last: 6000, s: 15, noise: 0, increasing: true },
  );
  assert.equal(trendTest(series(6, (i) => 1000 + 10 * i * 100), { minGrowth: 5000 }).increasing, false, 'growth must exceed minGrowth');
});

test('Theil–Sen ignores a single wild outlier that would drag a least-squares line', () => {
  const points = series(20, (i) => 1000 + 10 * i);
  points[7] = { x: points[7]!.x, y: 1e9 };
  assert.equal(theilSenSlope(points), 10 / 100);
});

test('Mann–Kendall gives a tiny p-value for a steady rise and about one half for a flat series', () => {
  const rising = mannKendall(Array.from({ length: 12 }, (_, i) => i));
  assert.equal(rising.s, 66);
  assert.ok(rising.pValue < 0.001, `p=${rising.pValue}`);
  const flat = mannKendall(Array.from({ length: 12 }, () => 5));
  assert.equal(flat.s, 0);
  assert.equal(flat.pValue, 1);
});

test('the normal CDF matches known quantiles', () => {
  assert.ok(Math.abs(normalCdf(0) - 0.5) < 1e-7);
  assert.ok(Math.abs(normalCdf(1.959964) - 0.975) < 1e-6);
  assert.ok(Math.abs(normalCdf(-2.326348) - 0.01) < 1e-6);
});

test('a noisy linear leak is called increasing, with the growth estimated within 10 %', () => {
  const r = noise(7);
  const points = series(40, (i) => 50 * MiB + i * 100 * 1024 + r() * 300 * 1024);
  const result = trendTest(points, { minGrowth: MiB });
  assert.equal(result.increasing, true);
  const trueGrowth = 39 * 100 * 1024;
  assert.ok(Math.abs(result.growth - trueGrowth) / trueGrowth < 0.1, `growth ${result.growth} vs ${trueGrowth}`);
});

test('noise without a trend is not a leak, even with occasional GC spikes', () => {
  const r = noise(42);
  const points = series(40, (i) => 50 * MiB + r() * 400 * 1024 + (i % 13 === 0 ? 5 * MiB : 0));
  const result = trendTest(points, { minGrowth: MiB });
  assert.equal(result.increasing, false);
});

test('a significant but small rise stays below the growth threshold', () => {
  const points = series(20, (i) => 50 * MiB + i * 1024);
  const result = trendTest(points, { minGrowth: MiB });
  assert.ok(result.pValue < 0.001);
  assert.equal(result.increasing, false);
});

test('three points cannot make a trend significant: the rule needs more evidence', () => {
  const result = trendTest(series(3, (i) => i * 10 * MiB), { minGrowth: MiB });
  assert.equal(result.increasing, false);
  assert.ok(result.pValue > 0.05);
});
