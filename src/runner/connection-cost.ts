/**
 * What a connection is made of, from the run's own checkpoints: each checkpoint has the target's
 * open TCP connections (counted by the agent after the forced GC), its post-GC memory, and the
 * machine's kernel socket memory. Across checkpoints taken while a connection-pulse load opens and
 * closes connections, the slope of each figure against the connection count is what one connection
 * costs. Theil–Sen, as for the leak trend: a checkpoint taken during a snapshot's write, or a GC
 * that left floating garbage, cannot bend the slope the way it would bend a least-squares line.
 */
import { median, theilSenSlope, type TrendPoint } from '../stats/index.js';
import type { ConnectionCost, CostSlope, RunCheckpoint } from '../report/index.js';

/** Fewer distinct connection counts than this, or a smaller spread, and a slope says nothing about connections. */
const minDistinctCounts = 3;
const minSpread = 100;
const minPoints = 4;

/** The slope of `points` and r²: the share of the values' variance the line explains (0..1; 0 when it explains none). */
function costSlope(points: readonly TrendPoint[]): CostSlope {
  const slope = theilSenSlope(points);
  const intercept = median(points.map((p) => p.y - slope * p.x));
  const mean = points.reduce((sum, p) => sum + p.y, 0) / points.length;
  const total = points.reduce((sum, p) => sum + (p.y - mean) ** 2, 0);
  const residual = points.reduce((sum, p) => sum + (p.y - (intercept + slope * p.x)) ** 2, 0);
  const fit = total === 0 ? (residual === 0 ? 1 : 0) : Math.max(0, 1 - residual / total);
  return { bytesPerConnection: Math.round(slope), fit: Number(fit.toFixed(3)) };
}

function movesEnough(values: readonly number[]): boolean {
  return new Set(values).size >= minDistinctCounts && Math.max(...values) - Math.min(...values) >= minSpread;
}

/** The cost of one connection, or undefined when the run's connection count did not move enough to tell. */
export function computeConnectionCost(checkpoints: readonly RunCheckpoint[]): ConnectionCost | undefined {
  const counted = checkpoints.filter((c): c is RunCheckpoint & { openSockets: number } => c.openSockets !== undefined);
  const connections = counted.map((c) => c.openSockets);
  if (counted.length < minPoints || !movesEnough(connections)) return undefined;
  const against = (y: (c: RunCheckpoint) => number): TrendPoint[] => counted.map((c) => ({ x: c.openSockets, y: y(c) }));
  const withKernel = counted.filter((c) => c.kernel !== undefined);
  const machineSockets = withKernel.map((c) => c.kernel!.tcpSocketsInUse);
  let kernel: ConnectionCost['kernel'] = null;
  if (withKernel.length >= minPoints && movesEnough(machineSockets)) {
    const perSocket = costSlope(withKernel.map((c) => ({ x: c.kernel!.tcpSocketsInUse, y: c.kernel!.slabBytes + c.kernel!.tcpBufferBytes })));
    const socketsPerConnection = theilSenSlope(withKernel.map((c) => ({ x: c.openSockets, y: c.kernel!.tcpSocketsInUse })));
    kernel = {
      perSocket,
      socketsPerConnection: Number(socketsPerConnection.toFixed(2)),
      bytesPerConnection: Math.round(perSocket.bytesPerConnection * socketsPerConnection),
    };
  }
  return {
    points: counted.length,
    minConnections: Math.min(...connections),
    maxConnections: Math.max(...connections),
    heapUsed: costSlope(against((c) => c.heapUsedBytes)),
    external: costSlope(against((c) => c.externalBytes)),
    rss: costSlope(against((c) => c.rssBytes)),
    kernel,
  };
}
