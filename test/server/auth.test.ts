import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkToken, mintToken, secretMatches } from '../../src/server/auth.js';
import { openStream, request, startServer } from './server-process.js';

const secret = 's3cret-for-tests';
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

test('a token checks for its subscription only, until it expires', () => {
  const now = 1_700_000_000;
  const token = mintToken(secret, 'alice', now + 60);
  assert.equal(checkToken(secret, 'alice', token, now), 'ok');
  assert.equal(checkToken(secret, 'bob', token, now), 'bad-signature');
  assert.equal(checkToken('other-secret', 'alice', token, now), 'bad-signature');
  assert.equal(checkToken(secret, 'alice', token, now + 60), 'expired');
  assert.equal(checkToken(secret, 'alice', null, now), 'missing');
  assert.equal(checkToken(secret, 'alice', 'nodot', now), 'malformed');
  assert.equal(checkToken(secret, 'alice', `${now + 60}.${'A'.repeat(10)}`, now), 'malformed');
  const [expiry, mac] = token.split('.');
  assert.equal(checkToken(secret, 'alice', `${Number(expiry) + 1}.${mac}`, now), 'bad-signature', 'expiry is signed');
  assert.equal(secretMatches(secret, secret), true);
  assert.equal(secretMatches(secret, `${secret}x`), false);
});

test('with --auth-secret, subscribing needs a good unexpired token', async (t) => {
  const server = await startServer(t, ['--auth-secret', secret]);
  assert.match(server.output(), /auth: tokens to subscribe/);
  const missing = await request(server.port, 'GET', '/sub/alice');
  assert.equal(missing.status, 401);
  const forged = await request(server.port, 'GET', `/sub/alice?token=${mintToken('wrong', 'alice', inAnHour())}`);
  assert.equal(forged.status, 403);
  const otherId = await request(server.port, 'GET', `/sub/alice?token=${mintToken(secret, 'bob', inAnHour())}`);
  assert.equal(otherId.status, 403);
  const expired = await request(server.port, 'GET', `/sub/alice?token=${mintToken(secret, 'alice', Date.now() / 1000 - 1)}`);
  assert.equal(expired.status, 403);
  assert.match(expired.body, /expired/);

  const viaQuery = await openStream(t, server.port, `/sub/alice?token=${mintToken(secret, 'alice', inAnHour())}`);
  assert.match(viaQuery.head, /^HTTP\/1\.1 200/);
  const viaHeader = await openStream(t, server.port, '/sub/alice', { Authorization: `Bearer ${mintToken(secret, 'alice', inAnHour())}` });
  assert.match(viaHeader.head, /^HTTP\/1\.1 200/);
  const published = await request(server.port, 'POST', '/pub/alice', 'hi', { Authorization: `Bearer ${secret}` });
  assert.deepEqual(JSON.parse(published.body), { delivered: 2 });
  await Promise.all([viaQuery.untilEvents(1), viaHeader.untilEvents(1)]);
});

test('with --auth-secret, publishing without the secret is 401 and with a wrong one 403', async (t) => {
  const server = await startServer(t, [], { PUSH_AUTH_SECRET: secret });
  const stream = await openStream(t, server.port, `/sub/alice?token=${mintToken(secret, 'alice', inAnHour())}`);
  assert.equal((await request(server.port, 'POST', '/pub/alice', 'x')).status, 401);
  assert.equal((await request(server.port, 'POST', '/pub/alice', 'x', { Authorization: 'Bearer nope' })).status, 403);
  assert.equal((await request(server.port, 'POST', '/broadcast', 'x')).status, 401);
  assert.equal((await request(server.port, 'POST', '/broadcast', 'x', { Authorization: `Bearer ${secret}x` })).status, 403);
  const stats = await server.stats();
  assert.equal(stats.messages.published, 0);
  assert.equal(stream.events.length, 0);
});

test('--mint-token prints a token the server accepts, and refuses without a secret', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const { serverPath } = await import('../helpers/paths.js');
  const minted = spawnSync(process.execPath, [serverPath, '--mint-token', 'dave', '--ttl-seconds', '120'], { encoding: 'utf8', env: { ...process.env, PUSH_AUTH_SECRET: secret } });
  assert.equal(minted.status, 0, minted.stderr);
  const token = minted.stdout.trim();
  assert.equal(checkToken(secret, 'dave', token, Math.floor(Date.now() / 1000)), 'ok');
  const server = await startServer(t, ['--auth-secret', secret]);
  const stream = await openStream(t, server.port, `/sub/dave?token=${token}`);
  assert.match(stream.head, /^HTTP\/1\.1 200/);
  const refused = spawnSync(process.execPath, [serverPath, '--mint-token', 'dave'], { encoding: 'utf8', env: { ...process.env, PUSH_AUTH_SECRET: '' } });
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /needs --auth-secret/);
});
