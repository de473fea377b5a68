/**
 * Entry of the push server (`node dist/server.js`): flags → ServerConfig → one PushServer in this
 * process (`--workers 1`), or a cluster primary that forks `--workers N` (default: one per core)
 * and a PushServer in each worker. Prints one line when listening (address, auth mode, bus,
 * workers), bus state changes and worker restarts on stderr, and shuts down gracefully on
 * SIGINT/SIGTERM. The only file of src/server that prints, exits or reads argv.
 */
import cluster from 'node:cluster';
import { mintToken } from './auth.js';
import { ClusterPrimary } from './cluster-primary.js';
import { ConfigError, parseServerArgs, usage, type ServerConfig } from './config.js';
import { PushServer, type PushServerOptions } from './push-server.js';
import { RelayBus, WorkerStatsLink, type PrimaryToWorker, type RelayChannel } from './relay-bus.js';

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

let config: ServerConfig;
try {
  config = parseServerArgs(args, process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`push server: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}

function listeningLine(address: string, family: string, port: number, workers: string, tag: string): string {
  const host = family === 'IPv6' ? `[${address}]` : address;
  const auth = config.authSecret === null ? 'no --auth-secret: loopback only, anyone on this machine may subscribe and publish' : 'auth: tokens to subscribe, secret to publish';
  const bus = config.redisUrl === null ? 'single node' : `redis stream bus via ${config.redisUrl.replace(/\/\/[^@/]*@/, '//***@')}`;
  return `push server listening on http://${host}:${port} (${auth}; ${bus}; ${workers}; node ${tag})\n`;
}

const onBusState: PushServerOptions['onBusState'] = (state, detail) => process.stderr.write(`push server: redis bus ${state} (${detail})\n`);

if (cluster.isPrimary && config.workers > 1) {
  const primary = new ClusterPrimary(config, {
    listening: (port, address, family) => process.stdout.write(listeningLine(address, family, port, `${config.workers} workers`, primary.tag)),
    log: (line) => process.stderr.write(`push server: ${line}\n`),
  });
  primary.start();
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`push server: ${signal}, stopping ${config.workers} workers\n`);
    setTimeout(() => {
      for (const pid of primary.workerPids) process.kill(pid, 'SIGKILL');
      process.exit(1);
    }, 8_000).unref();
    await primary.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
} else {
  await serve();
}

/** One PushServer in this process: the whole server (`--workers 1`) or one cluster worker. */
async function serve(): Promise<void> {
  const worker = cluster.isWorker;
  const channel = process as unknown as RelayChannel;
  let relay: RelayBus | null = null;
  const options: PushServerOptions = { onBusState };
  if (worker) {
    const tag = process.env.PUSH_CLUSTER_TAG ?? '';
    const link = new WorkerStatsLink(channel, (collect) => server.localStats(collect));
    options.stats = (collect) => link.clusterStats(collect);
    if (config.redisUrl === null) options.bus = (client) => (relay = new RelayBus(tag, cluster.worker!.id, channel, client));
  }
  const server = new PushServer(config, options);
  if (worker) {
    // Our message listeners exist now: the primary may send (anything earlier would have been lost).
    process.send!({ t: 'hello' });
    if (relay !== null) await (relay as RelayBus).ready;
  }
  let address;
  try {
    address = await server.listen();
  } catch (error) {
    process.stderr.write(`push server: cannot listen on ${config.host}:${config.port}: ${(error as Error).message}\n`);
    process.exit(2);
  }
  if (worker) {
    process.send!({ t: 'listening', port: address.port, address: address.address, family: address.family });
  } else {
    process.stdout.write(listeningLine(address.address, address.family, address.port, 'one process', server.nodeTag));
  }

  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    if (!worker) process.stderr.write(`push server: ${why}, closing ${server.connectionCount} connection(s)\n`);
    setTimeout(() => process.exit(1), 5_000).unref();
    await server.close();
    process.exit(0);
  };
  if (worker) {
    // The primary says when to stop; a worker whose primary is gone stops too, so none is orphaned holding the port.
    channel.on('message', (message: PrimaryToWorker) => {
      if (message.t === 'stop') void stop('stop');
    });
    channel.on('disconnect', () => void stop('primary gone'));
    // Signals go to the primary, which stops the workers; a terminal's Ctrl-C reaches the whole group.
    process.on('SIGINT', () => {});
    process.on('SIGTERM', () => void stop('SIGTERM'));
  } else {
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
  }
}
