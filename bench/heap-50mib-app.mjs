// A target for bench/run.bench.ts with a ~50 MiB live heap and no leak: a catalogue loaded at
// start (the shape of a service that keeps reference data in memory), read by every request.
// The heap size, not the request handler, is what it measures: each snapshot of it is ~5x the
// demo app's. Port from argv[2] (0 = any free port).
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const targetBytes = Number(process.env.HEAP_MIB ?? 50) * 1024 * 1024;
// ~220 bytes of heap per item (object, a string, a small array), measured with
// process.memoryUsage().heapUsed after a GC on Node 20.
const catalogue = Array.from({ length: Math.round(targetBytes / 220) }, (_, i) => ({
  id: i,
  name: `item-${i}-${(i * 2654435761 >>> 0).toString(36)}`,
  tags: [i % 7, i % 11, i % 13],
}));
const server = createServer((req, res) => {
  const item = catalogue[(Math.random() * catalogue.length) | 0];
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ ok: true, item: item.name, tags: item.tags }));
});
server.listen(port, '127.0.0.1', () => process.stdout.write(`catalogue of ${catalogue.length} listening on ${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
