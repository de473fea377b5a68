export { createStyle, plainStyle, type Style, type StyleOptions } from './style.js';
export {
  formatBytes, formatByteDelta, formatCount, formatCountDelta, formatDurationMs, formatDurationNs,
} from './units.js';
