/**
 * "512KiB", "2MB", "1.5g", "1048576" → bytes, or undefined when the text is not a size. Plain
 * units (k, m, g) and the i-suffixed ones are binary, the B-only ones decimal. The CLI's flags and
 * leakcheck/watch's environment variables read sizes with this one rule.
 */
export function parseByteSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(i?b?)\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = match[2]!.toLowerCase();
  const binary = match[3]!.toLowerCase().startsWith('i') || match[3] === '';
  const base = binary ? 1024 : 1000;
  const power = unit === 'k' ? 1 : unit === 'm' ? 2 : unit === 'g' ? 3 : 0;
  return Math.round(Number(match[1]) * base ** power);
}
