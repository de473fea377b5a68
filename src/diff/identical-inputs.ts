import { ErrorCode, LeakcheckError } from '../errors.js';
import { fileIdentity } from '../input/index.js';
import type { HeapGraph } from '../snapshot/index.js';

/**
 * A diff of a snapshot with itself finds no growth and would read as clean though nothing was
 * measured, so identical inputs are an error: the same file under two names (one device and
 * inode: a hard link, `./a` and `a`, `-` twice), found before anything is loaded, or the same heap
 * in two files (a copy, or a .gz of the other), found once both are parsed.
 */
export async function checkDistinctFiles(paths: readonly string[]): Promise<void> {
  const seen = new Map<string, string>();
  for (const path of paths) {
    const identity = await fileIdentity(path);
    if (identity === undefined) continue;
    const earlier = seen.get(identity);
    if (earlier !== undefined) throw identical(path, earlier === path ? 'is given twice' : `is the same file as ${earlier}`);
    seen.set(identity, path);
  }
}

/**
 * Throws when two snapshots hold the same heap: the same objects (ids) with the same sizes and
 * the same edges. A later snapshot of a live process always differs (taking a snapshot allocates).
 */
export function checkDistinctHeaps(graphs: readonly HeapGraph[]): void {
  for (let k = 1; k < graphs.length; k++) {
    for (let j = 0; j < k; j++) {
      if (sameHeap(graphs[j]!, graphs[k]!)) throw identical(graphs[k]!.source, `holds the same heap as ${graphs[j]!.source}: the same objects, sizes and references`);
    }
  }
}

function sameHeap(a: HeapGraph, b: HeapGraph): boolean {
  if (a.nodeCount !== b.nodeCount || a.edgeCount !== b.edgeCount) return false;
  return sameBytes(a.nodeIds, b.nodeIds) && sameBytes(a.selfSizes, b.selfSizes)
    && sameBytes(a.firstEdge, b.firstEdge) && sameBytes(a.edgeTargets, b.edgeTargets) && sameBytes(a.edgeTypes, b.edgeTypes);
}

function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function identical(file: string, problem: string): LeakcheckError {
  return new LeakcheckError(ErrorCode.SNAPSHOTS_INCOMPARABLE, `${problem}; a diff compares snapshots taken one after another, not one with itself`, { file });
}
