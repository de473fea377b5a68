// The diff layer: pairs objects across snapshots of one process by V8 id. Re-exports only.
export { matchIds, newestHeapId, type IdMatch } from './id-diff.js';
export { loadSnapshotsForDiff } from './load-for-diff.js';
export { diffSnapshots, ordinalInSnapshot, type ComparedSnapshot, type SnapshotDiff } from './growth.js';
export { classIdsOf, compareClasses, summarizeClassTotals, type ClassGrowthRow } from './class-table.js';
export { collectionSize, describeCollection, hashTableEntryCount, mapEntries, type CollectionKind, type CollectionSize } from './collection-size.js';
export {
  displayName, edgeName, findEdgeTarget, internalTarget, isIndexEdge, nodeName, propertyTarget, stringIndex,
} from './graph-queries.js';
