// Enforces the layer rules of STYLE.md §6.4 so they survive: which folder may import which,
// which npm packages each layer may use, and that a folder is entered only through its index.ts.
// Prints every violation as `file: import 'x' — rule` and exits 1 if there is any.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const root = normalize(join(dirname(new URL(import.meta.url).pathname), '..'));

/** layer → { internal: path prefixes it may import, packages: bare specifiers it may import } */
const rules = {
  // Opening what the user named (files, FIFOs, stdin, devices), bounded in time and size: knows no snapshot.
  'src/input': { internal: ['src/input/', 'src/errors.ts'], packages: [] },
  'src/snapshot': { internal: ['src/snapshot/', 'src/input/index.ts', 'src/errors.ts', 'src/progress.ts'], packages: [] },
  'src/diff': { internal: ['src/diff/', 'src/snapshot/index.ts', 'src/input/index.ts', 'src/errors.ts', 'src/progress.ts'], packages: [] },
  'src/detectors': {
    internal: ['src/detectors/', 'src/diff/index.ts', 'src/snapshot/index.ts', 'src/errors.ts', 'src/progress.ts'],
    packages: [],
  },
  // Digests and the cross-process diff: built from the engine's snapshot and the detectors' own
  // grouping helpers (holder paths, locations, listener lists), so both methods name groups alike.
  'src/digest': {
    internal: ['src/digest/', 'src/detectors/index.ts', 'src/diff/index.ts', 'src/snapshot/index.ts', 'src/errors.ts', 'src/progress.ts', 'src/version.ts'],
    packages: [],
  },
  // Statistics are pure and import nothing of ours: the agent runs the memwatch rule online, the
  // runner replays it and runs the trend test, from one implementation.
  'src/stats': { internal: ['src/stats/'], packages: [] },
  'src/agent': { internal: ['src/agent/', 'src/stats/index.ts'], packages: ['@airbnb/node-memwatch'] },
  'src/server': { internal: ['src/server/'], packages: ['ioredis'] },
  'src/loadgen': { internal: ['src/loadgen/', 'src/server/sse-frame.ts', 'src/errors.ts'], packages: [] },
  'src/report': {
    internal: [
      'src/report/', 'src/snapshot/index.ts', 'src/diff/index.ts', 'src/detectors/index.ts', 'src/digest/index.ts',
      'src/agent/protocol.ts', 'src/live/index.ts', 'src/errors.ts',
    ],
    packages: ['chalk'],
  },
  'src/runner': {
    internal: [
      'src/runner/', 'src/agent/protocol.ts', 'src/stats/index.ts', 'src/analyze.ts', 'src/report/index.ts', 'src/snapshot/index.ts',
      'src/errors.ts', 'src/progress.ts', 'src/version.ts',
    ],
    packages: [],
  },
  // Live processes: reaches targets over the inspector protocol; analysis only through analyze.ts
  // (stats: the same fold of a sampling heap profile as the agent's).
  'src/live': {
    internal: ['src/live/', 'src/analyze.ts', 'src/stats/index.ts', 'src/errors.ts', 'src/progress.ts'],
    packages: ['ws'],
  },
  'src/analyze.ts': {
    internal: [
      'src/snapshot/index.ts', 'src/diff/index.ts', 'src/detectors/index.ts', 'src/digest/index.ts', 'src/report/index.ts', 'src/errors.ts',
      'src/progress.ts', 'src/version.ts',
    ],
    packages: [],
  },
  'src/index.ts': { internal: ['src/'], packages: [] },
  'src/errors.ts': { internal: [], packages: [] },
  'src/progress.ts': { internal: [], packages: [] },
  'src/version.ts': { internal: [], packages: [] },
  'src/byte-size.ts': { internal: [], packages: [] },
  // leakcheck/watch runs inside the user's process, like the agent: GC stats from the agent's
  // sources, the rules from stats, the memory check from live; the engine only when a heap diff asks.
  'src/watch': {
    internal: [
      'src/watch/', 'src/agent/gc-stats.ts', 'src/agent/protocol.ts', 'src/stats/index.ts', 'src/snapshot/index.ts',
      'src/live/memory-fit.ts', 'src/live/own-memory.ts', 'src/byte-size.ts',
    ],
    packages: [],
  },
  cli: {
    internal: ['cli/', 'src/index.ts', 'src/errors.ts', 'src/progress.ts', 'src/byte-size.ts', /^src\/[a-z-]+\/index\.ts$/],
    packages: ['yargs', 'yargs/helpers', 'cli-progress'],
  },
};
const chalkOnlyIn = 'src/report/style.ts';

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function ruleFor(file) {
  const key = Object.keys(rules)
    .filter((k) => file === k || file.startsWith(k + '/'))
    .sort((a, b) => b.length - a.length)[0];
  return key ? rules[key] : undefined;
}

/** cli/… → 'cli'; src/snapshot/… → 'src/snapshot'; src/errors.ts → 'src/errors.ts' */
const layerOf = (path) => (path.startsWith('cli/') ? 'cli' : path.split('/').slice(0, 2).join('/'));

const importPattern = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
const matches = (target, allowed) => (typeof allowed === 'string' ? target === allowed || (allowed.endsWith('/') && target.startsWith(allowed)) : allowed.test(target));

const problems = [];
for (const abs of [...walk(join(root, 'src')), ...walk(join(root, 'cli'))]) {
  const file = relative(root, abs);
  const rule = ruleFor(file);
  if (!rule) continue;
  const text = readFileSync(abs, 'utf8');
  for (const m of text.matchAll(importPattern)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec.startsWith('node:')) continue;
    if (spec.startsWith('.')) {
      const target = relative(root, join(dirname(abs), spec)).replace(/\.js$/, '.ts');
      if (!rule.internal.some((a) => matches(target, a))) {
        problems.push(`${file}: import '${spec}' — this layer may not import ${target}`);
      } else if (layerOf(target) !== layerOf(file) && target.split('/').length > 2
        && !target.endsWith('/index.ts') && !rule.internal.includes(target)) {
        problems.push(`${file}: import '${spec}' — enter another folder through its index.ts`);
      }
      continue;
    }
    const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec;
    if (pkg === 'chalk' && file !== chalkOnlyIn) {
      problems.push(`${file}: import 'chalk' — only ${chalkOnlyIn} imports chalk`);
    } else if (!rule.packages.includes(spec) && !rule.packages.includes(pkg)) {
      problems.push(`${file}: import '${spec}' — package not allowed in this layer`);
    }
  }
  if (!/^(cli\/main|src\/server\/main|src\/loadgen\/main)\.ts$/.test(file) && /\bprocess\.exit\s*\(/.test(text)) {
    problems.push(`${file}: process.exit() — only entry files may exit`);
  }
}

if (problems.length > 0) {
  process.stderr.write(`layer check: ${problems.length} problem(s)\n${problems.join('\n')}\n`);
  process.exitCode = 1;
} else {
  process.stdout.write('layer check: ok\n');
}
