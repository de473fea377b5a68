/** Presentation of numbers that are stored in base units (bytes, nanoseconds, milliseconds). */

/** Self-contained (no module constants): the HTML page embeds its source so tooltips format as the tables do. */
export function formatBytes(bytes: number): string {
  const byteUnits = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < byteUnits.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${sign}${value.toFixed(digits)} ${byteUnits[unit]}`;
}

/** Signed byte delta: "+1.20 MiB", "-512 B", "0 B". */
export function formatByteDelta(bytes: number): string {
  return bytes > 0 ? `+${formatBytes(bytes)}` : formatBytes(bytes);
}

export function formatCount(count: number): string {
  return Math.round(count).toLocaleString('en-US');
}

export function formatCountDelta(count: number): string {
  return count > 0 ? `+${formatCount(count)}` : formatCount(count);
}

export function formatDurationMs(ms: number): string {
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatDurationNs(ns: number): string {
  return formatDurationMs(ns / 1e6);
}
