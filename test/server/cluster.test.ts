// `--workers N`: one port, a router per worker, one log in the primary (issue 13 item 1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { parseServerArgs } from '../../src/server/config.js';
import { workerExecArgv } from '../../src/server/cluster-primary.js';
import { openStream, request, startServer, statsUntil, type ServerProcess, type Stream } from './server-process.js';

interface ClusterStats {
  connections: number;
  streams: number;
  memory: { rss: number };
  messages: { published: number; delivered: number; fromBus: number };
  cluster: { workers: number; restarts: number; primary: { pid: number }; perWorker: { pid: number; streams: number; connections: number; rss: number }[] };
}

const clusterStats = async (server: ServerProcess) => (await server.stats()) as unknown as ClusterStats;

/**
 * Opens streams for `id` until every worker holds at least one (bounded). Round-robin hands the
 * /stats requests out too, so streams are opened in twos, and a third when a pair fell on one worker.
 */
async function streamsOnEveryWorker(t: Parameters<typeof startServer>[0], server: ServerProcess, id: string): Promise<Stream[]> {
  const streams: Stream[] = [];
  for (let k = 0; k < 6; k++) {
    streams.push(await openStream(t, server.port, `/sub/${id}`));
    if (k % 2 === 0) streams.push(await openStream(t, server.port, `/sub/${id}`));
    const stats = await clusterStats(server);
    if (stats.cluster.perWorker.length === 2 && stats.cluster.perWorker.every((w) => w.streams > 0)) return streams;
  }
  throw new Error('round-robin never gave both workers a stream');
}

/** `ask` again when a request of it went unanswered (a connection lost to a dying worker); bounded. */
async function untilAnswered<T>(ask: () => Promise<T>, attempts = 5): Promise<T> {
  for (let k = 1; ; k++) {
    try {
      return await ask();
    } catch (error) {
      if (k >= attempts || !/no answer within/.test((error as Error).message)) throw error;
    }
  }
}

test('the default is one worker per core, and workers get the lean young generation unless one is set', () => {
  assert.equal(parseServerArgs([]).workers, availableParallelism());
  assert.equal(parseServerArgs(['--workers', '1']).workers, 1);
  assert.deepEqual(workerExecArgv(['--expose-gc']), ['--expose-gc', '--max-semi-space-size=1']);
  assert.deepEqual(workerExecArgv(['--max-semi-space-size=8']), ['--max-semi-space-size=8'], 'the user\'s own size wins');
});

test('two workers share one port; a send through either reaches streams on both, and /stats sums them', async (t) => {
  const server = await startServer(t, ['--workers', '2']);
  assert.match(server.output(), /2 workers/);
  const streams = await streamsOnEveryWorker(t, server, 'room');
  // One request per message, each on a fresh connection: round-robin spreads the sends over both workers.
  for (let k = 0; k < 4; k++) {
    const reply = await request(server.port, 'POST', '/pub/room', `m${k}`);
    assert.deepEqual(JSON.parse(reply.body), { delivered: streams.length }, 'the answer counts the streams on every worker');
  }
  await Promise.all(streams.map((stream) => stream.untilEvents(4)));
  for (const stream of streams) assert.deepEqual(stream.events.map((e) => e.data), ['m0', 'm1', 'm2', 'm3']);
  const ids = streams[0].events.map((e) => e.id);
  for (const stream of streams) assert.deepEqual(stream.events.map((e) => e.id), ids, 'one log: the same event ids on every worker');

  const stats = await statsUntil(server, (s) => s.messages.delivered === 4 * streams.length, 'every delivery counted');
  const cluster = (stats as unknown as ClusterStats).cluster;
  assert.equal(cluster.workers, 2);
  assert.equal(stats.streams, streams.length);
  assert.equal(cluster.perWorker.reduce((sum, w) => sum + w.streams, 0), streams.length);
  assert.equal(stats.messages.published, 4);
  assert.ok(stats.messages.fromBus >= 4, 'each worker delivered the other\'s sends');
  assert.equal(stats.memory.rss, cluster.perWorker.reduce((sum, w) => sum + w.rss, 0), 'RSS is summed over the workers');
  for (const worker of cluster.perWorker) {
    const argv = readFileSync(`/proc/${worker.pid}/cmdline`, 'latin1').split('\0');
    assert.ok(argv.includes('--max-semi-space-size=1'), `worker ${worker.pid} runs lean: ${argv.join(' ')}`);
  }
});

test('a worker that dies is restarted, and its clients resume on any worker with Last-Event-ID, losing nothing', async (t) => {
  const server = await startServer(t, ['--workers', '2']);
  const streams = await streamsOnEveryWorker(t, server, 'dora');
  await request(server.port, 'POST', '/pub/dora', 'before');
  await Promise.all(streams.map((stream) => stream.untilEvents(1)));
  const seen = streams[0].events[0].id;
  const victim = (await clusterStats(server)).cluster.perWorker.find((w) => w.streams > 0)!;
  process.kill(victim.pid, 'SIGKILL');
  // Until the primary sees the exit, round-robin can still hand a connection to the dead worker,
  // where it is lost: those /stats asks time out and are asked again, as a client would.
  await untilAnswered(() => statsUntil(server, (s) => (s as unknown as ClusterStats).cluster.restarts === 1 && (s as unknown as ClusterStats).cluster.workers === 2, 'the worker restarted', 400));
  // Its streams are cut; the others stay. Sent while it is down or restarting:
  for (const body of ['while-down-1', 'while-down-2']) assert.equal((await request(server.port, 'POST', '/pub/dora', body)).status, 200);
  assert.match(server.output(), new RegExp(`worker ${victim.pid} died \\(SIGKILL\\); starting another`));

  // Resume twice: round-robin puts one on each worker, the restarted one included (its ring backfill).
  const resumed = [await openStream(t, server.port, '/sub/dora', { 'Last-Event-ID': seen }), await openStream(t, server.port, '/sub/dora', { 'Last-Event-ID': seen })];
  for (const stream of resumed) {
    await stream.untilEvents(2);
    assert.deepEqual(stream.events.map((e) => `${e.event}:${e.data}`), ['message:while-down-1', 'message:while-down-2'], 'exactly what was missed, no gap');
  }
  const stats = await clusterStats(server);
  assert.ok(stats.cluster.perWorker.every((w) => w.streams > 0), 'the two resumes landed on both workers');
});

/** The pid among `pids` that holds the server's end of the connection from `clientPort` (Linux /proc), or 0. */
function holderOf(pids: number[], serverPort: number, clientPort: number): number {
  const hex = (port: number) => `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const row = readFileSync('/proc/net/tcp', 'latin1').split('\n').map((line) => line.trim().split(/\s+/))
    .find((fields) => fields[1]?.endsWith(hex(serverPort)) && fields[2]?.endsWith(hex(clientPort)));
  if (row === undefined) return 0;
  const link = `socket:[${row[9]}]`;
  for (const pid of pids) {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === link) return pid;
      } catch {
        // closed meanwhile
      }
    }
  }
  return 0;
}

async function holderUntilFound(pids: number[], serverPort: number, clientPort: number): Promise<number> {
  for (let k = 0; k < 100; k++) {
    const pid = holderOf(pids, serverPort, clientPort);
    if (pid !== 0) return pid;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no worker holds the connection from port ${clientPort}`);
}

test('publishes pipelined on one connection go to the bus together, up to --max-in-flight, and are answered in request order', async (t) => {
  const server = await startServer(t, ['--workers', '2', '--max-in-flight', '6']);
  const streams = await streamsOnEveryWorker(t, server, 'room');
  const pids = (await clusterStats(server)).cluster.perWorker.map((w) => w.pid);
  const publisher = connect({ host: '127.0.0.1', port: server.port });
  t.after(() => publisher.destroy());
  await once(publisher, 'connect');
  let answers = '';
  publisher.setEncoding('latin1').on('data', (chunk: string) => (answers += chunk));
  const own = await holderUntilFound(pids, server.port, publisher.localPort!);
  const other = pids.find((pid) => pid !== own)!;
  const ownStreams: typeof streams = [];
  for (const stream of streams) if ((await holderUntilFound(pids, server.port, stream.socket.localPort!)) === own) ownStreams.push(stream);
  const local = ownStreams[0];

  // A publish is answered once every worker counted it: with the other worker stopped no answer can
  // come, so what reaches the publisher's own worker's stream went to the bus without waiting for one.
  process.kill(other, 'SIGSTOP');
  t.after(() => process.kill(other, 'SIGCONT'));
  const requests = ['/pub/room m0', '/pub/room m1', '/pub/room m2', '/pub/bad!id x', '/pub/room m3', '/nowhere x', '/pub/room m4', '/pub/room m5', '/pub/room m6', '/pub/room m7', '/pub/room m8'];
  publisher.write(requests.map((line, k) => {
    const [path, body] = line.split(' ');
    return `POST ${path} HTTP/1.1\r\nHost: t\r\nContent-Length: ${body.length}\r\n${k === requests.length - 1 ? 'Connection: close\r\n' : ''}\r\n${body}`;
  }).join(''));
  // Six answers may wait at once (the 400 and 404 among them, in their turn): m0-m3 are sent, m4 waits.
  await local.untilEvents(4);
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.deepEqual(local.events.map((e) => e.data), ['m0', 'm1', 'm2', 'm3'], 'the in-flight bound holds the rest back');
  assert.equal(answers, '', 'nothing is answered before the publishes ahead of it');

  process.kill(other, 'SIGCONT');
  await once(publisher, 'close');
  const statuses = [...answers.matchAll(/HTTP\/1\.1 (\d+)[^]*?\r\n\r\n([^\n]*)\n/g)].map((m) => `${m[1]} ${m[1] === '200' ? m[2] : ''}`.trim());
  const ok = `200 {"delivered":${streams.length}}`;
  assert.deepEqual(statuses, [ok, ok, ok, '400', ok, '404', ok, ok, ok, ok, ok], 'answers in request order');
  await Promise.all(streams.map((stream) => stream.untilEvents(9)));
  for (const stream of streams) assert.deepEqual(stream.events.map((e) => e.data), ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8']);
});

test('the primary\'s log keeps only the resume TTL\'s entries, and a worker backfilled after a trim reports a gap for older resumes', async (t) => {
  const server = await startServer(t, ['--workers', '2', '--resume-ttl-ms', '3000']);
  const stream = await openStream(t, server.port, '/sub/tess');
  for (const body of ['old-1', 'old-2', 'old-3']) assert.equal((await request(server.port, 'POST', '/pub/tess', body)).status, 200);
  await stream.untilEvents(3);
  const first = stream.events[0].id;
  const logOf = (s: unknown) => (s as { cluster: { log: { entries: number } } }).cluster.log.entries;
  assert.ok(logOf(await server.stats()) > 0, 'the entries are in the log at first');
  // Nothing is published after them: they leave the log by age alone, long before the 100,000-entry window.
  await statsUntil(server, (s) => logOf(s) === 0, 'the log emptied once its entries were older than the TTL', 100);
  const before = (await clusterStats(server)).cluster.perWorker.map((w) => w.pid);
  process.kill(before[0], 'SIGKILL');
  const restarted = await untilAnswered(() => statsUntil(server, (s) => (s as unknown as ClusterStats).cluster.restarts === 1 && (s as unknown as ClusterStats).cluster.workers === 2, 'the worker restarted', 400));
  const pids = (restarted as unknown as ClusterStats).cluster.perWorker.map((w) => w.pid);
  const fresh = pids.find((pid) => !before.includes(pid))!;
  // Two resumes: round-robin puts one on each worker. The restarted worker's backfill started after
  // the trimmed entries, so it cannot replay them and says the resume may have missed frames. (The
  // surviving worker replays them until its own TTL sweep drops the id, then says the same.)
  const resumed = [await openStream(t, server.port, '/sub/tess', { 'Last-Event-ID': first }), await openStream(t, server.port, '/sub/tess', { 'Last-Event-ID': first })];
  const holders = await Promise.all(resumed.map((stream) => holderUntilFound(pids, server.port, stream.socket.localPort!)));
  assert.ok(holders.includes(fresh), `one resume landed on the restarted worker ${fresh}: ${holders.join(', ')}`);
  const onFresh = resumed[holders.indexOf(fresh)];
  await onFresh.untilEvents(1);
  assert.deepEqual(onFresh.events.map((e) => e.event), ['gap'], JSON.stringify(onFresh.events));
  assert.match(onFresh.events[0].data, /"reason":"resume-window"/);
});
