import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { openInput } from '../input/index.js';
import { ErrorCode, LeakcheckError } from '../errors.js';
import type { Progress } from '../progress.js';
import { summarizeClasses, topDominators, type ClassSummary } from './class-summary.js';
import { loadSnapshot } from './load.js';
import type { Snapshot } from './snapshot.js';
import type { CollectionSize } from './collections.js';
import {
  DEFAULT_PAGE, describeNode, dominatedChildren, largestObjects, outgoingEdges,
  type InspectEdgeRow, type InspectNode, type InspectObject, type InspectPage, type InspectTreeNode, type PageOptions,
} from './drill-down.js';
import type { EdgeKind } from './id-ordered-snapshot.js';

export const DEFAULT_TOP = 20;

/** What `leakcheck inspect --json` prints: numbers in bytes and counts, JSON-safe. */
export interface InspectReport {
  readonly file: string;
  /** A regular file (read in place) or a stream read once (a pipe, a FIFO, standard input). */
  readonly readFrom: 'file' | 'stream';
  /** The file's size on disk, or for a stream the bytes read from it (compressed, if it was gzip). */
  readonly fileBytes: number;
  readonly nodeCount: number;
  readonly edgeCount: number;
  readonly stringCount: number;
  /** Sum of all self sizes, in bytes. */
  readonly totalSize: number;
  /** Nodes no essential edge from the GC roots reaches (attached to the root for dominators). */
  readonly unreachableCount: number;
  /** Distinct classes in the whole snapshot (classes below lists the top ones). */
  readonly classCount: number;
  /** The top classes by retained size. */
  readonly classes: readonly ClassSummary[];
  /** The largest top-level retainers (see topDominators). */
  readonly topDominators: readonly InspectNode[];
  /** The largest objects below the roots, by property path (drill-down.ts largestObjects). */
  readonly largestObjects: readonly InspectObject[];
  /** With `node`: that node, its retainer path and what it retains. */
  readonly node?: InspectNodeDetail;
  /**
   * Set when the file was a digest (src/digest): `fileBytes` and the counts are then the digested
   * snapshot's, and `classes` and `topDominators` only what the digest kept.
   */
  readonly digest?: {
    readonly snapshot: string;
    /** Classes the digest holds (those with at least minClassCount objects). */
    readonly classesKept: number;
    readonly minClassCount: number;
    readonly dominatorsKept: number;
  };
}

export interface InspectNodeDetail extends InspectNode {
  readonly type: string;
  readonly name: string;
  readonly dominatorId: number;
  /** Root first; null when no essential path reaches the node. */
  readonly retainerPath: readonly InspectPathStep[] | null;
  /** Steps cut from the middle of a long path, and the index in retainerPath where they were. */
  readonly omittedSteps: number;
  readonly omittedAt: number;
  /** Entries, elements or dictionary properties when the node is a collection. */
  readonly size: CollectionSize | null;
  /** Its children in the dominator tree (what is freed with it), largest first, paged; `depth` levels. */
  readonly dominated: InspectPage<InspectTreeNode>;
  /** Its outgoing edges by the retained size of what they reach, largest first, paged. */
  readonly edges: InspectPage<InspectEdgeRow>;
}

export interface InspectPathStep {
  readonly from: InspectNode;
  /** The edge's name (property, variable, internal field) or element index as text. */
  readonly edge: string;
  readonly edgeType: EdgeKind;
}

export interface InspectOptions {
  top?: number;
  /** V8 object id of a node to explain (retainer path, sizes, dominated children, edges). */
  nodeId?: number;
  /** Paging of the node's lists (default 20 items from 0, one level deep). */
  page?: Partial<PageOptions>;
  onProgress?: Progress;
}

/** Loads a snapshot and summarises it: the data behind `leakcheck inspect`. */
export async function inspectSnapshot(path: string, options: InspectOptions = {}): Promise<InspectReport> {
  // Opened here, once: a stream can be read only once, and only the reader can count its bytes.
  const input = await openInput(path, { what: 'the snapshot' });
  if (input.kind === 'file') {
    await input.file.close();
    const snapshot = await loadSnapshot(path, { onProgress: options.onProgress });
    return summarizeSnapshot(snapshot, { readFrom: 'file', fileBytes: input.size }, options);
  }
  let bytesRead = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytesRead += chunk.length;
      done(null, chunk);
    },
  });
  // A read error reaches the parser through `counter` and is worded there, like any stream's;
  // a parse error destroys `counter`, and pipeline then closes the input.
  void pipeline(input.stream, counter).catch(() => {});
  const snapshot = await loadSnapshot(counter, { name: path, onProgress: options.onProgress });
  return summarizeSnapshot(snapshot, { readFrom: 'stream', fileBytes: bytesRead }, options);
}

/** The inspect report of an already loaded snapshot; `input` says how it was read. */
export function summarizeSnapshot(
  snapshot: Snapshot, input: Pick<InspectReport, 'readFrom' | 'fileBytes'>, options: InspectOptions = {},
): InspectReport {
  const top = Math.max(0, Math.floor(options.top ?? DEFAULT_TOP));
  const { graph } = snapshot;
  const classes = summarizeClasses(snapshot);
  const report: InspectReport = {
    file: graph.source,
    readFrom: input.readFrom,
    fileBytes: input.fileBytes,
    nodeCount: graph.nodeCount,
    edgeCount: graph.edgeCount,
    stringCount: graph.strings.length,
    totalSize: snapshot.totalSize,
    unreachableCount: snapshot.unreachableCount,
    classCount: classes.length,
    classes: classes.slice(0, top),
    topDominators: topDominators(snapshot, top).map((d) => describeNode(snapshot, d.ordinal)),
    largestObjects: largestObjects(snapshot, top),
  };
  if (options.nodeId === undefined) return report;
  const ordinal = snapshot.ordinalById(options.nodeId);
  if (ordinal < 0) {
    throw new LeakcheckError(ErrorCode.USAGE, `there is no node @${options.nodeId} in this snapshot`, { file: graph.source });
  }
  const path = snapshot.retainerPath(ordinal);
  const page = { ...DEFAULT_PAGE, ...options.page };
  return {
    ...report,
    node: {
      ...describeNode(snapshot, ordinal),
      type: graph.nodeTypeNames[graph.nodeTypes[ordinal]!] ?? 'unknown',
      name: graph.strings[graph.nodeNames[ordinal]!] ?? '',
      dominatorId: graph.nodeIds[snapshot.dominators[ordinal]!]!,
      retainerPath: path === undefined ? null : path.steps.map((step) => ({
        from: describeNode(snapshot, step.from),
        edge: snapshot.edgeName(step.edge),
        edgeType: snapshot.edgeKind(step.edge),
      })),
      omittedSteps: path?.omittedSteps ?? 0,
      omittedAt: path && path.omittedSteps > 0 ? Math.ceil(path.steps.length / 2) : 0,
      size: snapshot.collectionSize(ordinal) ?? null,
      dominated: dominatedChildren(snapshot, ordinal, page),
      edges: outgoingEdges(snapshot, ordinal, page),
    },
  };
}
