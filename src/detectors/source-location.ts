import { fileURLToPath } from 'node:url';
import type { IdOrderedSnapshot } from '../snapshot/index.js';
import type { SourceLocation } from './detector.js';
import type { SourceMaps } from './source-maps.js';

/**
 * Resolves where a closure was defined. Line and column come from the snapshot's `locations`
 * section (0-based there, 1-based here); the script's name is not in that section, only its id, so
 * it is read from the graph: closure → shared (SharedFunctionInfo) → script_or_debug_info (Script),
 * whose node name is the script's URL. One resolved closure names its whole script id. A
 * compiled script with a source map is read through it: the location is the original source's.
 */
export class SourceLocator {
  readonly #snapshot: IdOrderedSnapshot;
  readonly #sourceMaps: SourceMaps | undefined;
  readonly #scriptNameById = new Map<number, string>();
  #unresolvedScriptIds: Set<number> | undefined;

  /** With `sourceMaps`, locations in compiled scripts are given in their original source (source-maps.ts). */
  constructor(snapshot: IdOrderedSnapshot, sourceMaps?: SourceMaps) {
    this.#snapshot = snapshot;
    this.#sourceMaps = sourceMaps;
  }

  /** The location of a closure (or any node V8 recorded a location for), or null. */
  locate(ordinal: number): SourceLocation | null {
    const { locations } = this.#snapshot.graph;
    const row = locations.locationRowByOrdinal[ordinal]!;
    if (row < 0) return null;
    const scriptId = locations.scriptIds[row]!;
    const script = this.#scriptName(scriptId, ordinal);
    if (script === undefined) return null;
    const graph = this.#snapshot.graph;
    const line = locations.lines[row]! + 1;
    const column = locations.columns[row]! + 1;
    const functionName = graph.nodeTypes[ordinal] === graph.nodeType.closure ? this.#snapshot.nodeName(ordinal) : '';
    const original = this.#sourceMaps?.original(script, line, column);
    if (original === undefined) return { script, line, column, functionName };
    return { ...original, functionName, generated: { script, line, column } };
  }

  /** A stable key for grouping by location within this snapshot ("scriptId:line:column"), or undefined. */
  locationKey(ordinal: number): string | undefined {
    const { locations } = this.#snapshot.graph;
    const row = locations.locationRowByOrdinal[ordinal]!;
    if (row < 0) return undefined;
    return `${locations.scriptIds[row]}:${locations.lines[row]}:${locations.columns[row]}`;
  }

  #scriptName(scriptId: number, ordinal: number): string | undefined {
    const known = this.#scriptNameById.get(scriptId);
    if (known !== undefined) return known;
    const direct = this.#scriptNameOfClosure(ordinal);
    if (direct !== undefined) {
      this.#scriptNameById.set(scriptId, direct);
      return direct;
    }
    return this.#scanForScript(scriptId);
  }

  #scriptNameOfClosure(ordinal: number): string | undefined {
    const snapshot = this.#snapshot;
    const graph = snapshot.graph;
    if (graph.nodeTypes[ordinal] !== graph.nodeType.closure) return undefined;
    const shared = snapshot.internal(ordinal, 'shared');
    if (shared < 0) return undefined;
    let script = snapshot.internal(shared, 'script_or_debug_info');
    if (script < 0) script = snapshot.internal(shared, 'script');
    if (script < 0) return undefined;
    let name = snapshot.nodeName(script);
    if (name === '' || name.startsWith('system /')) {
      const nameString = snapshot.internal(script, 'name');
      name = nameString < 0 ? '' : snapshot.nodeName(nameString);
    }
    return name === '' ? undefined : displayScript(name);
  }

  /** Any other located closure of the same script can name it (e.g. when this one has debug info). */
  #scanForScript(scriptId: number): string | undefined {
    if (this.#unresolvedScriptIds?.has(scriptId)) return undefined;
    const { locations } = this.#snapshot.graph;
    for (let row = 0; row < locations.count; row++) {
      if (locations.scriptIds[row] !== scriptId) continue;
      const name = this.#scriptNameOfClosure(locations.ordinals[row]!);
      if (name !== undefined) {
        this.#scriptNameById.set(scriptId, name);
        return name;
      }
    }
    (this.#unresolvedScriptIds ??= new Set()).add(scriptId);
    return undefined;
  }
}

/** file:// URLs (ES modules) become paths; node:internal/… and other names stay as V8 wrote them. */
export function displayScript(name: string): string {
  if (!name.startsWith('file://')) return name;
  try {
    return fileURLToPath(name);
  } catch {
    return name;
  }
}
