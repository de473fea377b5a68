// tsc never deletes what it emitted for a source that has since been moved or removed, and the
// package ships dist/src and dist/cli whole: a stale module there (with a source map naming a file
// that no longer exists) would be installed into every user's project. Each build starts empty.
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
