export { MemwatchRule, memwatchRuleEvents } from './memwatch-rule.js';
export type { MemwatchRuleEvent, MemwatchRuleInput, MemwatchRuleOptions } from './memwatch-rule.js';
export { mannKendall, median, normalCdf, theilSenSlope, trendTest } from './trend.js';
export type { TrendOptions, TrendPoint, TrendResult } from './trend.js';
export { TrendRule } from './trend-rule.js';
export type { TrendRuleEvent, TrendRuleOptions, TrendRuleState } from './trend-rule.js';
export { foldProfile } from './allocation-profile.js';
export type { AllocationFunction, AllocationProfile, ProfileCallFrame, ProfileNode } from './allocation-profile.js';
