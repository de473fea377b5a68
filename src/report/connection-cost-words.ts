/**
 * Words for RunReport.connectionCost: the answer to "what is a connection made of", one row per
 * part (JS heap, off-heap, process RSS, kernel), for the text summary and the HTML page alike.
 */
import type { ConnectionCost, CostSlope } from './model.js';
import { formatBytes, formatCount } from './units.js';

export interface ConnectionCostRow {
  part: string;
  perConnection: string;
  note: string;
}

function perConnection(slope: CostSlope): string {
  return `${slope.bytesPerConnection < 0 ? '-' : ''}${formatBytes(Math.abs(slope.bytesPerConnection))}`;
}

export function connectionCostTitle(cost: ConnectionCost): string {
  return `What a connection costs (slopes over ${cost.points} checkpoints, ${formatCount(cost.minConnections)} to ${formatCount(cost.maxConnections)} open connections)`;
}

export function connectionCostRows(cost: ConnectionCost): ConnectionCostRow[] {
  const fit = (slope: CostSlope): string => `r² ${slope.fit.toFixed(2)}`;
  const rows: ConnectionCostRow[] = [
    { part: 'V8 heap', perConnection: perConnection(cost.heapUsed), note: `${fit(cost.heapUsed)}; live objects after a forced GC` },
    { part: 'off-heap', perConnection: perConnection(cost.external), note: `${fit(cost.external)}; Buffers and other external memory` },
    {
      part: 'process RSS', perConnection: perConnection(cost.rss),
      note: `${fit(cost.rss)}; native memory included, and what the allocator keeps after connections close (the least exact of the three)`,
    },
  ];
  if (cost.kernel === null) {
    rows.push({ part: 'kernel', perConnection: '-', note: 'not measured (not Linux, or the machine\'s TCP socket count did not move)' });
  } else {
    const k = cost.kernel;
    rows.push({
      part: 'kernel', perConnection: perConnection({ bytesPerConnection: k.bytesPerConnection, fit: k.perSocket.fit }),
      note: `${perConnection(k.perSocket)} per socket (${fit(k.perSocket)}) × ${k.socketsPerConnection.toFixed(2)} sockets per connection; `
        + 'slab + TCP buffers, machine-wide (a load on this machine adds its own end of each connection)',
    });
  }
  return rows;
}
