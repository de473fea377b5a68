// The snapshot engine's public surface (other layers import only this file).
export type { HeapGraph, NodeTypeIds, EdgeTypeIds, LocationTable } from './heap-graph.js';
export type { AllocationTraceTable, TraceFrame } from './allocation-traces.js';
export { IdOrderedSnapshot, type EdgeKind, type NodeKind } from './id-ordered-snapshot.js';
export {
  Snapshot, UNREACHABLE, type DominatedNodes, type Referrer, type Retainers, type RetainerPath, type RetainerPathOptions,
  type RetainerStep, type SnapshotIndexes,
} from './snapshot.js';
export { loadSnapshot, loadSnapshotIds, type LoadOptions } from './load.js';
export { parseSnapshot, checkSnapshotReadable, SnapshotParser, DEFAULT_CHUNK_BYTES, type ParseOptions } from './parse.js';
export { computeEssentialEdges } from './edge-policy.js';
export { buildRetainers } from './retainers.js';
export { computeDistances, type Distances } from './distances.js';
export { computeDominators, type DominatorTree } from './dominators.js';
export { computeRetainedSizes } from './retained-size.js';
export { findRetainerPath, DEFAULT_MAX_STEPS } from './retainer-path.js';
export { className, computeClassIds, type ClassIds } from './class-key.js';
export { classRetainedSizes } from './class-retained.js';
export { COLLECTION_NODE_NAMES, type CollectionKind, type CollectionSize, type MapEntry } from './collections.js';
export { summarizeClasses, topDominators, type ClassSummary, type Dominator } from './class-summary.js';
export { sortOrdinalsById, ordinalOfId } from './id-order.js';
export {
  inspectSnapshot, summarizeSnapshot, DEFAULT_TOP, type InspectReport, type InspectNodeDetail,
  type InspectPathStep, type InspectOptions,
} from './inspect.js';
export {
  DEFAULT_PAGE, largestObjects, type InspectNode, type InspectEdge, type InspectObject, type InspectPage, type InspectTreeNode, type InspectEdgeRow, type PageOptions,
} from './drill-down.js';
