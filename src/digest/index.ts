// Digests: what the detectors need of a snapshot, in kilobytes, and the cross-process diff over
// them (snapshots of different processes, matched by what objects are, not by V8 id). Re-exports only.
export {
  DIGEST_FORMAT, DIGEST_SCHEMA_VERSION, validateDigest,
  type HeapDigest, type DigestSource, type DigestMinCounts, type DigestClass, type DigestCollection, type DigestListenerGroup,
  type DigestClosureGroup, type DigestDominator, type GroupRef,
} from './schema.js';
export { digestSnapshot, DEFAULT_MIN_COUNTS, type DigestOptions } from './build.js';
export { writeDigest, readDigest, isDigestFile, digestSnapshotFile, type DigestWritten } from './file.js';
export { inspectDigest } from './inspect.js';
export { compareDigests, CROSS_PROCESS_DETECTORS, type CrossProcessComparison } from './compare.js';
