// The load generator's public surface (used by `leakcheck load` and bench/). Re-exports only.
export { makePlan, loadOptions, PlanError, MAX_CONNECTIONS_PER_PROCESS, type LoadPlan, type LoadArgs, type LoadOption } from './plan.js';
export { runLoad, formatProgress, formatSummary, type LoadProgress, type LoadSummary } from './run.js';
export { LatencyHistogram } from './latency.js';
export type { WorkerCounters } from './counters.js';
