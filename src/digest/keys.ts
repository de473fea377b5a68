import { holderKey, type HolderPath, type SourceLocation, type WrapperKind } from '../detectors/index.js';
import type { CollectionKind } from '../snapshot/index.js';

/**
 * What a digest's groups are matched by across processes, one function per kind so that writing
 * a digest and comparing digests cannot disagree: a holder path, a class, an event, a source
 * location (script name, line, column: V8's script ids are per process), never a V8 id.
 */
export function functionKey(location: SourceLocation | null, wrapper: WrapperKind | null, fallbackName: string): string {
  const where = location === null ? `?${fallbackName}` : `${location.script}:${location.line}:${location.column}`;
  return `${where}:${wrapper ?? ''}`;
}

export function collectionKey(row: { readonly kind: CollectionKind; readonly holder: HolderPath }): string {
  return `${row.kind}:${holderKey(row.holder)}`;
}

export function listenerKey(row: {
  readonly emitterHolder: HolderPath | null; readonly emitterClass: string; readonly style: string; readonly event: string;
  readonly location: SourceLocation | null; readonly wrapper: WrapperKind | null; readonly functionName: string;
}): string {
  return `${holderKey(row.emitterHolder ?? undefined)}|${row.emitterClass}|${row.style}|${row.event}|${functionKey(row.location, row.wrapper, row.functionName)}`;
}

export function closureKey(row: { readonly location: SourceLocation; readonly wrapper: WrapperKind | null }): string {
  return functionKey(row.location, row.wrapper, '');
}
