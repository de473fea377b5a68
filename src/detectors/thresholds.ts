import type { DetectorId, Finding, Severity, Thresholds } from './detector.js';
import type { LeakDecision } from './suppressions.js';

/**
 * Defaults, chosen so the fixture leaks (a few hundred requests per phase) fail and a clean
 * service's startup noise (lazily compiled code, warmed caches) does not:
 * - 1 MiB of retained growth, or
 * - 200 more objects/entries/closures that survived a full round of work,
 * - and 20 more listeners on one emitter event (Node itself warns at 10).
 */
export const DEFAULT_THRESHOLDS: Thresholds = { minGrowthBytes: 1024 * 1024, minGrowthCount: 200 };
export const DEFAULT_DETECTOR_THRESHOLDS: Readonly<Partial<Record<DetectorId, Partial<Thresholds>>>> = {
  'duplicate-listeners': { minGrowthCount: 20 },
};

/** Growth under 1/SUSPECT_FLOOR of both thresholds is not even reported as a suspect. */
const SUSPECT_FLOOR = 4;

export function crossesThresholds(growth: Finding['growth'], thresholds: Thresholds): boolean {
  return growth.count >= thresholds.minGrowthCount || growth.bytes >= thresholds.minGrowthBytes;
}

/** A judged series plus thresholds → severity, or undefined when the finding should be dropped. */
export function severityOf(decision: LeakDecision, growth: Finding['growth'], thresholds: Thresholds): Severity | undefined {
  if (decision === 'not-leak') return undefined;
  // Below a quarter of both thresholds growth is noise (a lazily built cache, one more socket).
  if (growth.count * SUSPECT_FLOOR < thresholds.minGrowthCount && growth.bytes * SUSPECT_FLOOR < thresholds.minGrowthBytes) return undefined;
  return decision === 'leak' && crossesThresholds(growth, thresholds) ? 'leak' : 'suspect';
}
