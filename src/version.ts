import { readFileSync } from 'node:fs';

/**
 * leakcheck's own version, from the package.json it was installed with (dist/src/version.js →
 * ../../package.json). Not yargs' guess, which reads the nearest package.json to the working
 * directory and so prints the version of whichever project runs `npx leakcheck --version`.
 */
export function toolVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
