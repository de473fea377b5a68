/**
 * Rules that tell growth that is a leak from growth that is not, in the style of memlab's leak
 * filters: each rule answers leak / maybe / not-leak or abstains, the first decisive answer wins,
 * and the list is explicit and ordered.
 */
export type LeakDecision = 'leak' | 'maybe' | 'not-leak';

export interface GrowthSeries {
  /** One count per snapshot, oldest first (listeners, entries, live objects, …). */
  readonly counts: readonly number[];
  /** Members allocated between base and target that are still alive in final; null when not measured (cross-process). */
  readonly survivingCount: number | null;
  /** Bytes per snapshot, oldest first, where the detector weighs them (class growth: the class's shallow bytes). */
  readonly bytes?: readonly number[];
}

interface SuppressionRule {
  readonly id: string;
  /** Why the rule exists, shown in docs. */
  readonly reason: string;
  decide(series: GrowthSeries): LeakDecision | undefined;
}

/**
 * A leak driven by equal phases of work grows about as much in each interval; the fixture leaks
 * grow within a few percent of it. A last interval under a quarter of the first is a growth that
 * stopped, which a gate should not fail on (three of four runs of a clean service did at +3..+10).
 */
const LEVELLED_OFF_RATIO = 4;

const rules: readonly SuppressionRule[] = [
  {
    id: 'did-not-grow',
    reason: 'the last snapshot holds no more than the first',
    decide: ({ counts }) => (counts[counts.length - 1]! <= counts[0]! ? 'not-leak' : undefined),
  },
  {
    id: 'bounded',
    reason: 'a collection that grew up to the target and then stopped is a cache that reached its bound',
    decide: ({ counts }) => (counts.length === 3 && counts[2]! <= counts[1]! ? 'not-leak' : undefined),
  },
  {
    id: 'churn',
    reason: 'nothing allocated between base and target survived to the final snapshot: that was churn',
    decide: ({ counts, survivingCount }) => (counts.length === 3 && survivingCount === 0 ? 'not-leak' : undefined),
  },
  {
    id: 'levelled-off',
    reason: 'grew in the last interval, in count or in bytes, by under a quarter of the growth before it: a cache topping off at its bound (issue 11 item 7), watched as a suspect',
    decide: ({ counts, bytes }) => (counts.length === 3 && (levelledOff(counts) || (bytes !== undefined && levelledOff(bytes))) ? 'maybe' : undefined),
  },
  {
    id: 'grew-every-interval',
    reason: 'grew from base to target and again from target to final, with survivors from the first interval',
    decide: ({ counts }) => (counts.length === 3 && counts[1]! > counts[0]! && counts[2]! > counts[1]! ? 'leak' : undefined),
  },
  {
    id: 'two-snapshots',
    reason: 'with two snapshots any growth counts (work in flight included); the thresholds alone decide',
    decide: ({ counts }) => (counts.length === 2 ? 'leak' : undefined),
  },
];

/** Three values whose last interval grew, but by under a quarter of the interval before it. */
function levelledOff(values: readonly number[]): boolean {
  const earlier = values[1]! - values[0]!;
  const last = values[2]! - values[1]!;
  return earlier > 0 && last > 0 && last * LEVELLED_OFF_RATIO < earlier;
}

export function judgeGrowth(series: GrowthSeries): LeakDecision {
  for (const rule of rules) {
    const decision = rule.decide(series);
    if (decision !== undefined) return decision;
  }
  // Three snapshots with no growth from base to target but growth after: started late, watch it.
  return 'maybe';
}

/** For docs and `--help`: the rules in the order they are applied. */
export function describeSuppressions(): { id: string; reason: string }[] {
  return rules.map(({ id, reason }) => ({ id, reason }));
}
