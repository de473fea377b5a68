// tsc emits dist/src/server/main.js; the product is started as `node dist/server.js`,
// so the build writes that alias (and makes the CLI entry executable).
import { chmodSync, existsSync, writeFileSync } from 'node:fs';

writeFileSync(new URL('../dist/server.js', import.meta.url), "import './src/server/main.js';\n");
const cli = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(cli)) chmodSync(cli, 0o755);
