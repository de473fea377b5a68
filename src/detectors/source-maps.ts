import { readFileSync, statSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Maps a location in a compiled script (tsc, a bundler) to the user's source through the script's
 * source map: an inline `data:` URL or a `//# sourceMappingURL=` file next to the script, read with
 * Node's own SourceMap class (node:module), no dependency.
 *
 * Why here and not in src/snapshot: a snapshot names scripts but holds none of their text, so this
 * reads files from disk, a process concern the engine stays free of. It lives with the
 * SourceLocator that calls it, and reads lazily: one script (and its map) per distinct script
 * named by a finding, cached, files over MAX_SCRIPT_BYTES skipped. A missing, unreadable or
 * malformed map leaves the location as V8 recorded it.
 */

export interface OriginalPosition {
  /** Absolute path of the original source (or the map's name for it when it is not a file). */
  readonly script: string;
  /** 1-based, as SourceLocation. */
  readonly line: number;
  readonly column: number;
}

/** Bundles larger than this are not read for their source-map comment. */
const MAX_SCRIPT_BYTES = 64 * 1024 * 1024;

const MAPPING_COMMENT = /\/[/*][#@]\s*sourceMappingURL=([^\s*'"]+)\s*(?:\*\/\s*)?$/;

interface LoadedMap {
  readonly map: SourceMap;
  /** Directory the map's `sources` are relative to (its own, plus sourceRoot). */
  readonly sourceBase: string;
}

export class SourceMaps {
  readonly #byScript = new Map<string, LoadedMap | null>();

  /** The original position of a 1-based line and column of `script`, or undefined when it has no usable map. */
  original(script: string, line: number, column: number): OriginalPosition | undefined {
    const loaded = this.#load(script);
    if (!loaded) return undefined;
    const entry = loaded.map.findEntry(line - 1, column - 1) as Partial<{ originalSource: string; originalLine: number; originalColumn: number }>;
    if (entry.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) return undefined;
    return { script: sourcePath(entry.originalSource, loaded.sourceBase), line: entry.originalLine + 1, column: entry.originalColumn + 1 };
  }

  #load(script: string): LoadedMap | null {
    let loaded = this.#byScript.get(script);
    if (loaded === undefined) {
      loaded = isAbsolute(script) ? readMap(script) : null;
      this.#byScript.set(script, loaded);
    }
    return loaded;
  }
}

function readMap(script: string): LoadedMap | null {
  try {
    if (statSync(script).size > MAX_SCRIPT_BYTES) return null;
    const text = readFileSync(script, 'utf8');
    const url = lastMappingUrl(text);
    if (url === undefined) return null;
    let payload: SourceMapPayload;
    let mapDir = dirname(script);
    if (url.startsWith('data:')) {
      const comma = url.indexOf(',');
      const body = url.slice(comma + 1);
      payload = JSON.parse(url.slice(0, comma).endsWith(';base64') ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body));
    } else {
      const mapPath = url.startsWith('file:') ? fileURLToPath(url) : resolve(mapDir, decodeURIComponent(url));
      payload = JSON.parse(readFileSync(mapPath, 'utf8'));
      mapDir = dirname(mapPath);
    }
    return { map: new SourceMap(payload), sourceBase: resolve(mapDir, payload.sourceRoot ?? '') };
  } catch {
    return null;
  }
}

/** The last sourceMappingURL comment wins (a bundle may contain its inputs' comments). */
function lastMappingUrl(text: string): string | undefined {
  const tail = text.slice(Math.max(0, text.lastIndexOf('sourceMappingURL=') - 8));
  const line = tail.split('\n').find((l) => l.includes('sourceMappingURL='));
  return line === undefined ? undefined : MAPPING_COMMENT.exec(line.trim())?.[1];
}

function sourcePath(source: string, base: string): string {
  if (source.startsWith('file:')) {
    try {
      return fileURLToPath(source);
    } catch {
      return source;
    }
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(source)) return source;
  return resolve(base, source);
}
