export {
  snapshotLiveProcess, defaultSnapshotName, type LiveSnapshotOptions, type LiveSnapshotResult, type TakenSnapshot, type LiveEvent,
} from './snapshot-process.js';
export { watchLiveProcess, pickForDiff, type WatchOptions, type WatchResult, type WatchEvent } from './watch-process.js';
export { checkMemoryFit, SNAPSHOT_MEMORY_FACTOR, type MemoryFit, type MemorySource } from './memory-fit.js';
export { parseInspectorAddress, type InspectorAddress } from './inspector-endpoint.js';
export { inspectorAddressFromFlags, DEFAULT_INSPECTOR_PORT } from './target-process.js';
export type { InspectorState } from './open-inspector.js';
export type { TargetMemory } from './target-eval.js';
export type { SnapshotProgress, StreamedSnapshot } from './stream-snapshot.js';
export { SNAPSHOT_GZIP_LEVEL } from './stream-snapshot.js';
