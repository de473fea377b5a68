import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ConfigError, defaultConfig, parseServerArgs } from '../../src/server/config.js';
import { parseSockStat } from '../../src/server/stats.js';
import { serverPath } from '../helpers/paths.js';

test('flags override defaults and the environment; both --flag value and --flag=value work', () => {
  const config = parseServerArgs(['--port', '9000', '--heartbeat-ms=250', '--redis', 'redis://127.0.0.1:6390'], { PUSH_PORT: '7000', PUSH_AUTH_SECRET: 'env-secret' });
  assert.equal(config.port, 9000);
  assert.equal(config.heartbeatMs, 250);
  assert.equal(config.redisUrl, 'redis://127.0.0.1:6390');
  assert.equal(config.authSecret, 'env-secret');
  assert.equal(config.host, defaultConfig.host);
});

test('bad flags are ConfigErrors with a message naming the flag', () => {
  const cases: [string[], RegExp][] = [
    [['--port', '70000'], /--port must be a port/],
    [['--port', 'abc'], /--port must be a whole number/],
    [['--bogus'], /unknown flag "--bogus"/],
    [['--port'], /--port needs a value/],
    [['--redis', 'http://x'], /redis:\/\//],
    [['--heartbeat-ms', '1'], /at least 10/],
    [['--host', '0.0.0.0'], /not a loopback address/],
  ];
  for (const [args, message] of cases) assert.throws(() => parseServerArgs(args), (e: unknown) => e instanceof ConfigError && message.test(e.message));
  assert.equal(parseServerArgs(['--host', '0.0.0.0', '--auth-secret', 'x']).host, '0.0.0.0');
});

test('the server exits 2 with one line on a bad flag, and 0 with usage on --help', () => {
  const bad = spawnSync(process.execPath, [serverPath, '--port', 'nope'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  assert.match(bad.stderr, /--port must be a whole number/);
  const open = spawnSync(process.execPath, [serverPath, '--host', '0.0.0.0'], { encoding: 'utf8' });
  assert.equal(open.status, 2);
  const help = spawnSync(process.execPath, [serverPath, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--auth-secret/);
});

test('sockstat parsing reads TCP sockets and memory pages as bytes', () => {
  const text = 'sockets: used 290\nTCP: inuse 27 orphan 1 tw 9 alloc 30 mem 12\nUDP: inuse 2 mem 3\n';
  assert.deepEqual(parseSockStat(text), { tcpInUse: 27, tcpMemBytes: 12 * 4096, tcpOrphans: 1, tcpTimeWait: 9 });
});
