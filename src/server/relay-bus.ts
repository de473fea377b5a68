/**
 * The bus of a `--workers N` worker without Redis: the cluster primary keeps the log (relay.ts).
 * A worker sends each accepted message to the primary; the primary numbers it, keeps it in a
 * bounded ring, and sends it to every worker, the origin included, in one order; each worker
 * delivers it to its own streams and says how many; the primary sums the counts and answers the
 * origin. So a message sent through any worker reaches the id's connections on every worker, and
 * every worker's resume buffers hold every id's recent frames under the same event ids: a client
 * whose worker died resumes with Last-Event-ID on whichever worker takes its reconnect. A worker
 * started later is first sent the ring (backfill), so it can serve resumes too.
 *
 * Messages of one event-loop turn travel as one IPC message each way (entries, counts): a message
 * costs the primary one IPC send per worker per turn, not per message.
 */
import { KIND_BROADCAST, taggedSeq, type Bus, type BusClient, type BusMessage, type BusStatus, type PublishOutcome } from './fanout.js';

/** One log entry on the wire: [seq, kind, id, body, origin worker id]. */
export type WireEntry = [number, BusMessage['kind'], string, Uint8Array, number];

export type WorkerToPrimary =
  /** Sent once the worker listens for messages (anything sent to it earlier would be lost). */
  | { t: 'hello' }
  | { t: 'listening'; port: number; address: string; family: string }
  | { t: 'pub'; ref: number; kind: BusMessage['kind']; id: string; body: Uint8Array }
  /** Flat pairs: seq, streams handed to. */
  | { t: 'counts'; counts: number[] }
  | { t: 'stats-ask'; ref: number; collect: boolean }
  | { t: 'stats-reply'; ref: number; stats: unknown };

export type PrimaryToWorker =
  /** `trimmedSeq`: the newest entry no longer in the log (0: none), so resumes from before it report a gap. */
  | { t: 'backfill'; entries: WireEntry[]; trimmedSeq: number }
  | { t: 'entries'; entries: WireEntry[] }
  | { t: 'ack'; ref: number; delivered: number }
  | { t: 'stats-ask'; ref: number; collect: boolean }
  | { t: 'stats-answer'; ref: number; stats: unknown }
  | { t: 'stop' };

/** The IPC channel to the primary (`process` in a worker). */
export interface RelayChannel {
  send(message: WorkerToPrimary): unknown;
  on(event: 'message', listener: (message: PrimaryToWorker) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
}

/** Structured clone turns a Buffer into a plain Uint8Array; this views the same bytes. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export class RelayBus implements Bus {
  readonly status: BusStatus = { state: 'up', outages: 0, received: 0, malformed: 0, gaps: 0 };
  readonly #tag: string;
  readonly #workerId: number;
  readonly #channel: RelayChannel;
  readonly #client: BusClient;
  readonly #answers = new Map<number, (outcome: PublishOutcome) => void>();
  #ref = 0;
  /** Resolves once the primary's backfill is in the resume buffers (listen only after). */
  readonly ready: Promise<void>;

  /** `tag`: the cluster's log tag (event ids are `<tag>.<seq>`); `workerId`: this worker's cluster id. */
  constructor(tag: string, workerId: number, channel: RelayChannel, client: BusClient) {
    this.#tag = tag;
    this.#workerId = workerId;
    this.#channel = channel;
    this.#client = client;
    let backfilled: () => void = () => {};
    this.ready = new Promise((resolve) => (backfilled = resolve));
    channel.on('message', (message) => {
      switch (message.t) {
        case 'backfill':
          // Id messages only: they fill the resume buffers; there are no streams yet to deliver to.
          this.#client.missedThrough(message.trimmedSeq);
          for (const entry of message.entries) if (entry[1] !== KIND_BROADCAST) this.#deliver(entry);
          backfilled();
          return;
        case 'entries': {
          const counts: number[] = [];
          for (const entry of message.entries) counts.push(entry[0], this.#deliver(entry));
          channel.send({ t: 'counts', counts });
          return;
        }
        case 'ack':
          this.#answers.get(message.ref)?.({ delivered: message.delivered });
          this.#answers.delete(message.ref);
          return;
        default:
      }
    });
    // The primary is gone: nothing will answer; every waiting publish is refused, not left hanging.
    channel.on('disconnect', () => {
      this.status.state = 'down';
      for (const answer of this.#answers.values()) answer('bus-down');
      this.#answers.clear();
    });
  }

  #deliver(entry: WireEntry): number {
    const [seq, kind, id, body, origin] = entry;
    const foreign = origin !== this.#workerId;
    if (foreign) this.status.received++;
    return this.#client.deliver({ eventId: `${this.#tag}.${seq}`, seq, message: { kind, id, body: asBuffer(body) }, foreign });
  }

  publish(message: BusMessage): Promise<PublishOutcome> | PublishOutcome {
    if (this.status.state !== 'up') return 'bus-down';
    const ref = ++this.#ref;
    return new Promise((resolve) => {
      this.#answers.set(ref, resolve);
      // The body may be a view into a connection's request buffer: the send copies it now.
      this.#channel.send({ t: 'pub', ref, kind: message.kind, id: message.id, body: message.body });
    });
  }

  seqOf(eventId: string): number {
    return taggedSeq(this.#tag, eventId);
  }

  async close(): Promise<void> {}
}

/**
 * A worker's side of /stats: any worker asked for /stats asks the primary, which asks every worker
 * for its own figures and answers with the sum (with or without Redis).
 */
export class WorkerStatsLink {
  readonly #channel: RelayChannel;
  readonly #answers = new Map<number, (stats: unknown) => void>();
  #ref = 0;

  constructor(channel: RelayChannel, localStats: (collect: boolean) => unknown) {
    this.#channel = channel;
    channel.on('message', (message) => {
      if (message.t === 'stats-ask') {
        channel.send({ t: 'stats-reply', ref: message.ref, stats: localStats(message.collect) });
      } else if (message.t === 'stats-answer') {
        this.#answers.get(message.ref)?.(message.stats);
        this.#answers.delete(message.ref);
      }
    });
  }

  /** The cluster's summed stats; the primary always answers (with the workers that replied in time). */
  clusterStats(collect: boolean): Promise<unknown> {
    const ref = ++this.#ref;
    return new Promise((resolve) => {
      this.#answers.set(ref, resolve);
      this.#channel.send({ t: 'stats-ask', ref, collect });
    });
  }
}
