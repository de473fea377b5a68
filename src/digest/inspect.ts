import { ErrorCode, LeakcheckError } from '../errors.js';
import { DEFAULT_TOP, type InspectOptions, type InspectReport } from '../snapshot/index.js';
import { readDigest } from './file.js';

/**
 * `leakcheck inspect` of a digest: the same report as for the snapshot it was made from, limited
 * to what a digest keeps (the classes above its floor, the top dominators). One object's
 * retainer path (`nodeId`) needs the objects, which a digest does not have: a usage error that
 * names the snapshot to use instead.
 */
export async function inspectDigest(path: string, options: Omit<InspectOptions, 'onProgress'> = {}): Promise<InspectReport> {
  const digest = await readDigest(path);
  const { source } = digest;
  if (options.nodeId !== undefined) {
    throw new LeakcheckError(
      ErrorCode.USAGE,
      `is a digest: it keeps groups, not objects, so it cannot show the retainer path of @${options.nodeId}; run inspect --node on the snapshot it was made from (${source.path})`,
      { file: path },
    );
  }
  const top = Math.max(0, Math.floor(options.top ?? DEFAULT_TOP));
  return {
    file: path,
    fileBytes: source.fileBytes,
    readFrom: 'file',
    nodeCount: source.nodeCount,
    edgeCount: source.edgeCount,
    stringCount: source.stringCount,
    totalSize: source.totalBytes,
    unreachableCount: source.unreachableCount,
    classCount: source.classCount,
    classes: digest.classes.slice(0, top).map((row) => ({ name: row.name, count: row.count, shallowSize: row.shallowBytes, retainedSize: row.retainedBytes })),
    topDominators: digest.dominators.slice(0, top).map((row) => ({
      id: row.id, className: row.className, shallowSize: row.shallowBytes, retainedSize: row.retainedBytes, distance: row.distance,
    })),
    largestObjects: digest.largestObjects.slice(0, top),
    digest: { snapshot: source.path, classesKept: digest.classes.length, minClassCount: digest.minCounts.classes, dominatorsKept: digest.dominators.length },
  };
}
