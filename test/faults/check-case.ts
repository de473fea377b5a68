import { Readable } from 'node:stream';
import { isLeakcheckError, loadSnapshot, type HeapGraph } from '../../src/index.js';
import type { FaultCase } from './damage.js';

export type Outcome = 'clean error' | 'loaded' | 'wrong outcome' | 'crash';

export interface CaseResult {
  readonly outcome: Outcome;
  readonly detail: string;
}

/**
 * Loads one damaged snapshot through the whole pipeline (parse to retained sizes) from a stream
 * of `chunkBytes` pieces and classifies what happened: a LeakcheckError with an expected code and
 * a one-line message naming the file is a clean error; any other exception is a crash.
 */
export async function checkCase(fault: FaultCase, name: string, chunkBytes: number, expected?: HeapGraph): Promise<CaseResult> {
  const chunks: Buffer[] = [];
  for (let at = 0; at < fault.bytes.length; at += chunkBytes) chunks.push(fault.bytes.subarray(at, at + chunkBytes));
  try {
    const loaded = await loadSnapshot(Readable.from(chunks), { name });
    if (fault.codes.length > 0 && !fault.mayLoad) return { outcome: 'wrong outcome', detail: 'loaded, though it should fail' };
    if (expected && fault.codes.length === 0 && (loaded.graph.nodeCount !== expected.nodeCount || loaded.totalSize !== sum(expected.selfSizes))) {
      return { outcome: 'wrong outcome', detail: `loaded ${loaded.graph.nodeCount} nodes / ${loaded.totalSize} bytes, expected ${expected.nodeCount} / ${sum(expected.selfSizes)}` };
    }
    return { outcome: 'loaded', detail: '' };
  } catch (error) {
    if (!isLeakcheckError(error)) return { outcome: 'crash', detail: error instanceof Error ? error.stack ?? error.message : String(error) };
    const line = error.oneLine();
    if (line.includes('\n') || !line.startsWith(`${name}: `)) return { outcome: 'crash', detail: `not one line naming the file: ${line}` };
    if (fault.codes.length === 0) return { outcome: 'wrong outcome', detail: `valid file refused: ${line}` };
    if (!fault.codes.includes(error.code)) return { outcome: 'wrong outcome', detail: `${error.code} (expected ${fault.codes.join('|')}): ${line}` };
    return { outcome: 'clean error', detail: line };
  }
}

function sum(values: Float64Array): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
