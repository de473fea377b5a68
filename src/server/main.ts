/**
 * Entry of the push server (`node dist/server.js`): flags → ServerConfig → PushServer. Prints one
 * line when listening (address, auth mode, bus), bus state changes on stderr, and shuts down
 * gracefully on SIGINT/SIGTERM. The only file of src/server that prints, exits or reads argv.
 */
import { mintToken } from './auth.js';
import { ConfigError, parseServerArgs, usage } from './config.js';
import { PushServer } from './push-server.js';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(
    `${usage()}\n  --mint-token <ids>         print a subscription token for <ids> (needs the secret) and exit\n` +
      '  --ttl-seconds <n>          lifetime of a minted token (default 3600)\n',
  );
  process.exit(0);
}

// `--mint-token <ids> [--ttl-seconds n]`: print a token with the configured secret and exit.
const mintAt = args.indexOf('--mint-token');
if (mintAt !== -1) {
  const subscription = args[mintAt + 1];
  const ttlAt = args.indexOf('--ttl-seconds');
  const ttl = ttlAt === -1 ? 3600 : Number(args[ttlAt + 1]);
  const rest = args.filter((_, k) => k !== mintAt && k !== mintAt + 1 && (ttlAt === -1 || (k !== ttlAt && k !== ttlAt + 1)));
  try {
    if (subscription === undefined || subscription.startsWith('--')) throw new ConfigError('--mint-token needs the subscription (ids joined by commas)');
    if (!Number.isInteger(ttl) || ttl < 1) throw new ConfigError(`--ttl-seconds must be a whole number of seconds, got ${JSON.stringify(args[ttlAt + 1])}`);
    const config = parseServerArgs(rest, process.env);
    if (config.authSecret === null) throw new ConfigError('--mint-token needs --auth-secret or PUSH_AUTH_SECRET');
    process.stdout.write(`${mintToken(config.authSecret, subscription, Date.now() / 1000 + ttl)}\n`);
    process.exit(0);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`push server: ${error.message}\n`);
    process.exit(2);
  }
}

let config;
try {
  config = parseServerArgs(args, process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`push server: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}

const server = new PushServer(config, {
  // Once per change: an unreachable Redis at start is one line, its recovery another.
  onBusState: (state, detail) => process.stderr.write(`push server: redis bus ${state} (${detail})\n`),
});

try {
  const address = await server.listen();
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const auth = config.authSecret === null ? 'no --auth-secret: loopback only, anyone on this machine may subscribe and publish' : 'auth: tokens to subscribe, secret to publish';
  const bus = config.redisUrl === null ? 'single node' : `redis stream bus via ${config.redisUrl.replace(/\/\/[^@/]*@/, '//***@')}`;
  process.stdout.write(`push server listening on http://${host}:${address.port} (${auth}; ${bus}; node ${server.nodeTag})\n`);
} catch (error) {
  process.stderr.write(`push server: cannot listen on ${config.host}:${config.port}: ${(error as Error).message}\n`);
  process.exit(2);
}

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`push server: ${signal}, closing ${server.connectionCount} connection(s)\n`);
  const force = setTimeout(() => process.exit(1), 5_000);
  force.unref();
  await server.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
