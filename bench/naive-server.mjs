// The comparison point for bench/server.bench.ts: an SSE push server written the usual way —
// node's `http` module, one ServerResponse held per subscriber, a Map<id, Set<res>>, and a
// heartbeat timer per connection. Same endpoints and /stats shape as dist/server.js so the bench
// drives both identically. Not hardened: it exists to be measured.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const port = Number(flag('--port', '8090'));
const heartbeatMs = Number(flag('--heartbeat-ms', '15000'));

const subscribers = new Map();
let streams = 0;
let seq = 0;
let delivered = 0;
let published = 0;

function sockstat() {
  try {
    const line = /^TCP:(.*)$/m.exec(readFileSync('/proc/net/sockstat', 'latin1'))[1];
    const field = (name) => Number(new RegExp(`\\b${name} (\\d+)`).exec(line)?.[1] ?? 0);
    return { tcpInUse: field('inuse'), tcpMemBytes: field('mem') * 4096, tcpOrphans: field('orphan'), tcpTimeWait: field('tw') };
  } catch {
    return null;
  }
}

function send(res, body) {
  res.write(`id: ${++seq}\ndata: ${body.replace(/\r?\n/g, '\ndata: ')}\n\n`);
  delivered++;
}

function readBody(req) {
  return new Promise((resolve) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => resolve(body));
  });
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (req.method === 'GET' && url.pathname.startsWith('/sub/')) {
    const id = url.pathname.slice(5);
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    let set = subscribers.get(id);
    if (!set) subscribers.set(id, (set = new Set()));
    set.add(res);
    streams++;
    const heartbeat = setInterval(() => res.write(':\n\n'), heartbeatMs);
    req.on('close', () => {
      clearInterval(heartbeat);
      set.delete(res);
      if (set.size === 0) subscribers.delete(id);
      streams--;
    });
    return;
  }
  if (req.method === 'POST' && url.pathname.startsWith('/pub/')) {
    const body = await readBody(req);
    published++;
    let count = 0;
    for (const sub of subscribers.get(url.pathname.slice(5)) ?? []) {
      send(sub, body);
      count++;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ delivered: count }));
    return;
  }
  if (req.method === 'POST' && url.pathname === '/broadcast') {
    const body = await readBody(req);
    published++;
    let count = 0;
    for (const set of subscribers.values()) for (const sub of set) {
      send(sub, body);
      count++;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ delivered: count }));
    return;
  }
  if (req.method === 'GET' && url.pathname === '/stats') {
    if (url.searchParams.get('gc') === '1' && globalThis.gc) globalThis.gc();
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(
      JSON.stringify({ uptimeMs: Math.round(performance.now()), streams, connections: streams, messages: { published, delivered }, memory: process.memoryUsage(), cpu: process.cpuUsage(), kernel: sockstat() }),
    );
    return;
  }
  res.writeHead(404).end();
});
server.keepAliveTimeout = 5000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`naive server listening on http://127.0.0.1:${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
