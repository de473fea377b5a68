export { runTarget, newRunId, defaultMinGrowthBytes, defaultMaxErrorRate, RunNotMeasured } from './run.js';
export { isWrapperProcess, chooseTarget } from './readiness.js';
export type { RunOptions, RunProgressEvent, SnapshotAnalyzer } from './run.js';
export {
  buildLoadPlan, readPhasesFile, parsePhases, checkUrl, defaultConcurrency, defaultRequests, defaultWarmupRequests,
} from './load-plan.js';
export type { LoadPhase, LoadPlanOptions } from './load-plan.js';
export { computeTrends, decideVerdict, judgeTrend } from './verdict.js';
export { computeConnectionCost } from './connection-cost.js';
export { parseKernelMemory, readKernelMemory } from './kernel-memory.js';
export { analyzeRunSnapshots } from './analysis.js';
export type { TrendSettings, VerdictInput } from './verdict.js';
export { runHttpLoad, waitForUrl, LoadRecorder } from './http-load.js';
export { withAgentInNodeOptions } from './spawn-target.js';
