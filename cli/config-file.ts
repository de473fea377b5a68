import { ErrorCode, LeakcheckError } from '../src/errors.js';
import type { DetectorId, Thresholds } from '../src/index.js';
import { readTextInput } from '../src/input/index.js';

/**
 * leakcheck.config.json, the part the analysis reads:
 *   {
 *     "thresholds": { "minGrowthBytes": 1048576, "minGrowthCount": 200 },
 *     "detectors": ["duplicate-listeners", "growing-collections"],
 *     "detectorThresholds": { "duplicate-listeners": { "minGrowthCount": 10 } }
 *   }
 * Every field is optional; "detectors", when given, names at least one. Any other key, at the top or
 * inside these, is an error: a typo ("thresholdz") would otherwise silently keep a default.
 */
export interface AnalysisConfig {
  thresholds?: Partial<Thresholds>;
  detectors?: DetectorId[];
  detectorThresholds?: Partial<Record<DetectorId, Partial<Thresholds>>>;
}

export const DEFAULT_CONFIG_FILE = 'leakcheck.config.json';
/** A config is a few hundred bytes; anything near this is not one (and /dev/zero must end). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
const THRESHOLD_FIELDS = ['minGrowthBytes', 'minGrowthCount'] as const;
const TOP_LEVEL_KEYS = ['thresholds', 'detectors', 'detectorThresholds'] as const;

/**
 * Reads a config file. `required` false (the default file): a missing file is no config;
 * `required` true (named with --config): a missing file is an error.
 */
export async function loadAnalysisConfig(file: string, required: boolean, detectorIds: readonly DetectorId[]): Promise<AnalysisConfig> {
  let text: string;
  try {
    text = await readTextInput(file, { what: 'the config', maxBytes: MAX_CONFIG_BYTES });
  } catch (error) {
    if (!required && (error as { cause?: { code?: string } }).cause?.code === 'ENOENT') return {};
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new LeakcheckError(ErrorCode.CONFIG_INVALID, `not valid JSON: ${(error as Error).message}`, { file, cause: error });
  }
  return parseAnalysisConfig(raw, file, detectorIds);
}

export function parseAnalysisConfig(raw: unknown, file: string, detectorIds: readonly string[]): AnalysisConfig {
  const fail = (field: string, problem: string): never => {
    throw new LeakcheckError(ErrorCode.CONFIG_INVALID, `${field}: ${problem}`, { file });
  };
  if (!isRecord(raw)) return fail('(top level)', 'must be a JSON object');
  for (const key of Object.keys(raw)) {
    if (!(TOP_LEVEL_KEYS as readonly string[]).includes(key)) fail(key, `unknown key (known: ${TOP_LEVEL_KEYS.join(', ')})`);
  }
  const config: AnalysisConfig = {};
  const isKnown = (id: string): id is DetectorId => (detectorIds as readonly string[]).includes(id);
  if (raw['thresholds'] !== undefined) config.thresholds = parseThresholds(raw['thresholds'], 'thresholds', fail);
  if (raw['detectors'] !== undefined) {
    const list = raw['detectors'];
    if (!Array.isArray(list) || list.some((id) => typeof id !== 'string')) return fail('detectors', 'must be an array of detector ids');
    for (const id of list as string[]) if (!isKnown(id)) fail('detectors', `unknown detector '${id}' (known: ${detectorIds.join(', ')})`);
    // An empty list would run nothing, and a gate that ran nothing must not say clean.
    if (list.length === 0) fail('detectors', `is empty; leave it out to run every detector, or name some (${detectorIds.join(', ')})`);
    config.detectors = list as DetectorId[];
  }
  if (raw['detectorThresholds'] !== undefined) {
    const byDetector = raw['detectorThresholds'];
    if (!isRecord(byDetector)) return fail('detectorThresholds', 'must be an object keyed by detector id');
    config.detectorThresholds = {};
    for (const [id, value] of Object.entries(byDetector)) {
      if (!isKnown(id)) return fail(`detectorThresholds.${id}`, `unknown detector (known: ${detectorIds.join(', ')})`);
      config.detectorThresholds[id] = parseThresholds(value, `detectorThresholds.${id}`, fail);
    }
  }
  return config;
}

function parseThresholds(value: unknown, field: string, fail: (field: string, problem: string) => never): Partial<Thresholds> {
  if (!isRecord(value)) return fail(field, 'must be an object like {"minGrowthBytes": 1048576, "minGrowthCount": 200}');
  const result: { -readonly [K in keyof Thresholds]?: number } = {};
  for (const [key, number] of Object.entries(value)) {
    if (!(THRESHOLD_FIELDS as readonly string[]).includes(key)) fail(`${field}.${key}`, `unknown field (known: ${THRESHOLD_FIELDS.join(', ')})`);
    if (typeof number !== 'number' || !Number.isFinite(number) || number < 0) fail(`${field}.${key}`, `must be a number >= 0, got ${JSON.stringify(number)}`);
    result[key as keyof Thresholds] = number as number;
  }
  return result;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const BYTE_UNITS: Readonly<Record<string, number>> = {
  '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, k: 1024, m: 1024 ** 2, g: 1024 ** 3,
};

/**
 * `--fail-on bytes=1MiB,count=500` → thresholds. Byte units: B, KB/MB/GB (powers of 1000),
 * KiB/MiB/GiB or K/M/G (powers of 1024), case-insensitive; counts are plain whole numbers.
 */
export function parseFailOn(spec: string): Partial<Thresholds> {
  const result: { -readonly [K in keyof Thresholds]?: number } = {};
  const usage = (problem: string): never => {
    throw new LeakcheckError(ErrorCode.USAGE, `--fail-on ${JSON.stringify(spec)}: ${problem}; expected e.g. bytes=1MiB,count=500`);
  };
  for (const part of spec.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const match = /^(bytes|count)\s*=\s*(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(part);
    if (!match) return usage(`cannot read '${part}'`);
    const [, key, amount, unit] = match as unknown as [string, string, string, string];
    if (key.toLowerCase() === 'count') {
      if (unit !== '' || !Number.isInteger(Number(amount))) usage(`count must be a whole number, got '${amount}${unit}'`);
      result.minGrowthCount = Number(amount);
    } else {
      const factor = BYTE_UNITS[unit.toLowerCase()];
      if (factor === undefined) usage(`unknown byte unit '${unit}'`);
      result.minGrowthBytes = Math.round(Number(amount) * factor!);
    }
  }
  if (Object.keys(result).length === 0) usage('names no threshold');
  return result;
}
