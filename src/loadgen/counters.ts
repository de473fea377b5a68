import { emptyPublisherCounters, type PublisherCounters } from './floods.js';

/** What a load process counts (its flood's counters too), summed over processes by the coordinator. */
export interface WorkerCounters extends PublisherCounters {
  /** Connections attempted. */
  opened: number;
  /** Connections that got a 200 event-stream head. */
  connected: number;
  /** Connections refused, failed, or answered with another status. */
  failed: number;
  /** Connections we closed. */
  closed: number;
  /** Connections the server (or the network) closed while we held them. */
  dropped: number;
  /** Connections open now. */
  open: number;
  received: number;
  /** Gap events: the server said this stream may have missed messages. Not counted in `received`. */
  gaps: number;
  heartbeats: number;
}

export const emptyCounters = (): WorkerCounters => ({
  opened: 0, connected: 0, failed: 0, closed: 0, dropped: 0, open: 0, received: 0, gaps: 0, heartbeats: 0, ...emptyPublisherCounters(),
});
