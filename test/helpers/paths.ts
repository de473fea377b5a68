import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Tests run from dist/test/…; these point at the repository and its built entry points. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const cliPath = join(repoRoot, 'dist', 'cli', 'main.js');
export const serverPath = join(repoRoot, 'dist', 'server.js');
export const fixturesDir = join(repoRoot, 'fixtures');
