import type { AnalysisResult, Cause, Finding } from '../detectors/index.js';
import { formatBytes, formatCount } from './units.js';

/**
 * The causes of an analysis, in order. A result saved before causes existed has none: each of
 * its findings is then a cause of its own, which is what its reports used to show.
 */
export function causesOf(result: Pick<AnalysisResult, 'findings' | 'causes'>): readonly Cause[] {
  if (result.causes !== undefined) return result.causes;
  return result.findings.map((finding, index) => ({
    findingIndex: index, related: [], severity: finding.severity, holder: null, growthBytes: Math.max(0, finding.growth.bytes),
  }));
}

/**
 * "one cause: 3 findings under ConsoleTransport @73603, which keeps 449 KiB of objects allocated
 * since the base"; for a lone finding only when its holder keeps more than the finding's own
 * growth (a Map whose entries hold more than the entries count); undefined when there is nothing to add.
 */
export function causeText(cause: Cause, findings: readonly Finding[]): string | undefined {
  if (cause.holder === null) return cause.related.length === 0 ? undefined : `one cause: ${formatCount(cause.related.length + 1)} findings`;
  const holder = `${cause.holder.className} @${cause.holder.nodeId}`;
  const keeps = `${formatBytes(cause.growthBytes)} of objects allocated since the base`;
  if (cause.related.length > 0) return `one cause: ${formatCount(cause.related.length + 1)} findings under ${holder}, which keeps ${keeps}`;
  return cause.growthBytes > (findings[cause.findingIndex]?.growth.bytes ?? 0) ? `${holder} keeps ${keeps}` : undefined;
}

/** Below this share of the heap's growth, the output says the findings do not explain it. */
export const EXPLAINED_SHARE_WARNING = 0.5;

/**
 * "the causes account for 449 KiB of the heap's 459 KiB growth (98 %)"; undefined when the heap
 * did not grow or the result predates the account.
 */
export function heapGrowthText(result: Pick<AnalysisResult, 'heapGrowth'>): string | undefined {
  const account = result.heapGrowth;
  if (account === undefined || account.bytes <= 0) return undefined;
  const share = Math.min(1, account.explainedBytes / account.bytes);
  const words = `the findings account for ${formatBytes(account.explainedBytes)} of the heap's ${formatBytes(account.bytes)} growth (${Math.round(share * 100)} %)`;
  return share < EXPLAINED_SHARE_WARNING ? `${words}: the rest is in objects no finding names (see the class growth)` : words;
}

/** True when the findings explain less than EXPLAINED_SHARE_WARNING of a growing heap: renderers show it as a warning. */
export function heapGrowthUnexplained(result: Pick<AnalysisResult, 'heapGrowth'>): boolean {
  const account = result.heapGrowth;
  return account !== undefined && account.bytes > 0 && account.explainedBytes / account.bytes < EXPLAINED_SHARE_WARNING;
}

/** "1 cause (3 findings)" or "3 findings" when every finding is its own cause or causes are unknown. */
export function leakCountText(result: Pick<AnalysisResult, 'verdict'>): string {
  const n = result.verdict.leakCount;
  const findings = `${formatCount(n)} finding${n === 1 ? '' : 's'}`;
  const causes = result.verdict.leakCauseCount;
  if (causes === undefined || causes === n) return findings;
  return `${formatCount(causes)} cause${causes === 1 ? '' : 's'} (${findings})`;
}
