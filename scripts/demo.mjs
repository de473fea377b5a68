// `npm run demo`: the main job on a bundled example. Runs `leakcheck run` on a small HTTP server
// that adds a queue 'error' listener on every request (fixtures/apps/http-listener-leak.mjs),
// the classic job-queue leak. leakcheck is expected to exit 1 (leak found) and to name the
// listener; the demo turns that expected outcome into success, anything else into failure.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// An optional argument names the report directory (the test passes a temp dir); default reports/<run-id>.
const out = process.argv[2] === undefined ? [] : ['--out', process.argv[2]];
const args = ['dist/cli/main.js', 'run', '--requests', '1500', ...out, '--', process.execPath, 'fixtures/apps/http-listener-leak.mjs'];
process.stderr.write(`$ leakcheck ${args.slice(1).join(' ').replace(process.execPath, 'node')}\n\n`);
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (result.status === 1) {
  process.stderr.write('\nleakcheck exited 1 (leak found): the expected verdict for this deliberately leaky server.\n');
  process.exitCode = 0;
} else {
  process.stderr.write(`\ndemo failed: leakcheck exited ${result.status ?? result.signal}, expected 1 (leak found)\n`);
  process.exitCode = 1;
}
