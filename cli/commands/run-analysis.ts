import type { SnapshotAnalyzer } from '../../src/runner/index.js';

/**
 * Turns the three phase-boundary snapshots into findings for the run report. Until the snapshot
 * analysis API is available this reports nothing and the verdict rests on the GC trends.
 */
export const snapshotAnalyzer: SnapshotAnalyzer | undefined = undefined;
