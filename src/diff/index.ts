// The diff layer: pairs objects across snapshots of one process by V8 id. Re-exports only.
export { matchIds, newestHeapId, type IdMatch } from './id-diff.js';
export { loadSnapshotsForDiff, SnapshotIdLoader, type PreloadedSnapshots, type SnapshotIdLoaderOptions } from './load-for-diff.js';
export { diffSnapshots, ordinalInSnapshot, type ComparedSnapshot, type CrossProcessGap, type DiffWarning, type SnapshotDiff } from './growth.js';
export { checkDistinctFiles } from './identical-inputs.js';
export { compareClasses, type ClassGrowthRow } from './class-table.js';
