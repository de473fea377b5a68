/**
 * The message bus: every message a node accepts becomes an entry of one ordered log, and every node
 * (the origin included) delivers entries to its streams in log order, each under the event id the
 * log gave it. Three logs:
 *   - LocalBus: one process, no other node; the log is a counter and delivery is synchronous.
 *   - RelayBus (relay-bus.ts): a worker of `--workers N`; the cluster primary is the log.
 *   - RedisBus: nodes on one Redis; the log is a Redis stream (XADD, trimmed to about
 *     `--bus-window` entries), read with XREAD from the last entry id seen.
 *
 * Why a stream and not pub/sub: a pub/sub subscriber that reconnects misses whatever was published
 * while it was away (issue 14: 148 of 2,336 acknowledged messages lost across 10 subscription
 * cuts), and Last-Event-ID cannot replay what never reached the node. A stream keeps the entries; a
 * reader that comes back asks for everything after the last id it saw. When the trim went past that
 * id, the node tells its streams with a gap event instead of pretending nothing was missed.
 *
 * Envelope (binary, so bodies pass through untouched):
 *   [kind u8: 0 = to id, 1 = broadcast][tag length u8][tag][id length u16 BE][id][body]
 * The tag names the origin node, so `received` can count what came from other nodes.
 */
import { Redis } from 'ioredis';

export const KIND_ID = 0;
export const KIND_BROADCAST = 1;

export interface BusMessage {
  kind: typeof KIND_ID | typeof KIND_BROADCAST;
  /** Target id ('' for broadcasts). */
  id: string;
  body: Buffer;
}

/** One log entry: its event id as clients see it, and its position in the log as a number. */
export interface BusEntry {
  eventId: string;
  seq: number;
  message: BusMessage;
  /** Published through another node or worker. */
  foreign: boolean;
}

export type BusState = 'off' | 'up' | 'down';

export interface BusStatus {
  state: BusState;
  /** Times the bus went from up to down since start. */
  outages: number;
  /** Entries that came from other nodes. */
  received: number;
  /** Entries in the log that could not be decoded (another program writing to it). */
  malformed: number;
  /** Times entries this node had not read were trimmed from the log before it read them. */
  gaps: number;
}

/** What the bus calls back into the server with. */
export interface BusClient {
  /** Delivers an entry to this node's streams; returns how many it was handed to. */
  deliver(entry: BusEntry): number;
  /** Streams on this node a message is for right now (the RedisBus answer to a publish). */
  recipients(message: BusMessage): number;
  /** Entries after `afterEventId` were lost to this node: trimmed before it read them, or the log started again. */
  gap(afterEventId: string, resumedAtEventId: string, reason: 'bus-trimmed' | 'bus-reset'): void;
  /** The bus went up or down (`detail` says why); told once per change, an outage at start included. */
  stateChanged(state: BusState, detail: string): void;
  /** Entries up to sequence `seq` were never given to this node (a backfill starts after them). */
  missedThrough(seq: number): void;
}

/** A publish's answer: streams it was handed to, or the bus refused it (nothing went anywhere). */
export type PublishOutcome = { delivered: number } | 'bus-down';

export interface Bus {
  readonly status: BusStatus;
  /**
   * Appends a message to the log. Synchronous for LocalBus; otherwise settles once the log holds
   * the entry (or refused it), and always settles: a lost connection rejects into 'bus-down'.
   */
  publish(message: BusMessage): PublishOutcome | Promise<PublishOutcome>;
  /** The position in this log of a client's Last-Event-ID, or -1 when the id is not from it. */
  seqOf(eventId: string): number;
  close(): Promise<void>;
}

export function encodeEnvelope(tag: string, message: BusMessage): Buffer {
  const tagBytes = Buffer.from(tag, 'latin1');
  const idBytes = Buffer.from(message.id, 'utf8');
  const envelope = Buffer.allocUnsafe(1 + 1 + tagBytes.length + 2 + idBytes.length + message.body.length);
  let at = 0;
  envelope[at++] = message.kind;
  envelope[at++] = tagBytes.length;
  at += tagBytes.copy(envelope, at);
  envelope.writeUInt16BE(idBytes.length, at);
  at += 2;
  at += idBytes.copy(envelope, at);
  message.body.copy(envelope, at);
  return envelope;
}

export function decodeEnvelope(envelope: Buffer): { tag: string; message: BusMessage } | null {
  if (envelope.length < 4) return null;
  const kind = envelope[0];
  if (kind !== KIND_ID && kind !== KIND_BROADCAST) return null;
  const tagLength = envelope[1];
  if (2 + tagLength + 2 > envelope.length) return null;
  const tag = envelope.toString('latin1', 2, 2 + tagLength);
  const idLength = envelope.readUInt16BE(2 + tagLength);
  const idStart = 2 + tagLength + 2;
  if (idStart + idLength > envelope.length) return null;
  return {
    tag,
    message: { kind, id: envelope.toString('utf8', idStart, idStart + idLength), body: envelope.subarray(idStart + idLength) },
  };
}

/** `<tag>.<n>` → n when the tag is `tag`, else -1: the event ids of LocalBus and RelayBus. */
export function taggedSeq(tag: string, eventId: string): number {
  const dot = eventId.indexOf('.');
  if (dot === -1 || eventId.slice(0, dot) !== tag) return -1;
  const text = eventId.slice(dot + 1);
  if (!/^\d{1,15}$/.test(text)) return -1;
  return Number(text);
}

/** The single-node log: a counter; an entry is delivered before publish returns. */
export class LocalBus implements Bus {
  readonly status: BusStatus = { state: 'off', outages: 0, received: 0, malformed: 0, gaps: 0 };
  readonly #tag: string;
  readonly #client: BusClient;
  #seq = 0;

  constructor(tag: string, client: BusClient) {
    this.#tag = tag;
    this.#client = client;
  }

  publish(message: BusMessage): PublishOutcome {
    const seq = ++this.#seq;
    return { delivered: this.#client.deliver({ eventId: `${this.#tag}.${seq}`, seq, message, foreign: false }) };
  }

  seqOf(eventId: string): number {
    return taggedSeq(this.#tag, eventId);
  }

  async close(): Promise<void> {}
}

/**
 * Redis stream entry ids are `<ms>-<n>`. As one number, `ms * 1024 + n` keeps their order and stays
 * an exact double until the year 2255. n above 1023 (over a million entries a second, in one
 * millisecond) shares position 1023, and a resume from such an id skips the others at that position.
 */
const STREAM_ID = /^(\d{1,15})-(\d{1,15})$/;
export function streamSeq(eventId: string): number {
  const match = STREAM_ID.exec(eventId);
  if (match === null) return -1;
  return Number(match[1]) * 1024 + Math.min(Number(match[2]), 1023);
}

/** Most entries one XREAD returns. */
const READ_BATCH = 512;
/** How long one XREAD blocks in Redis before it is issued again (also bounds close()). */
const READ_BLOCK_MS = 2_000;

/**
 * Appends one entry numbered by a counter kept beside the stream, in one atomic script: readers
 * see the numbers run 1, 2, 3 … and any jump is entries trimmed before they were read (stream ids
 * are timestamps, so they cannot show a gap, and Redis 7 does not record what MAXLEN trimmed).
 * KEYS: stream, counter. ARGV: window, envelope.
 */
const APPEND_SCRIPT = `
local n = redis.call('INCR', KEYS[2])
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'n', n, 'm', ARGV[2])`;

type RedisWithAppend = Redis & { pushAppend(stream: string, counter: string, window: string, envelope: Buffer): Promise<string> };

export class RedisBus implements Bus {
  readonly status: BusStatus = { state: 'down', outages: 0, received: 0, malformed: 0, gaps: 0 };
  readonly #tag: string;
  readonly #key: string;
  readonly #window: string;
  readonly #client: BusClient;
  readonly #pub: RedisWithAppend;
  readonly #reader: Redis;
  /** Id of the last entry read; null until the reader first learns the stream's tail. */
  #lastId: string | null = null;
  /** Number of the last entry read (see APPEND_SCRIPT); 0 before any. */
  #lastNumber = 0;
  #reported: BusState | null = null;
  #lastError = '';
  #closing = false;
  readonly #loop: Promise<void>;

  constructor(url: string, key: string, tag: string, window: number, client: BusClient) {
    this.#tag = tag;
    this.#key = key;
    this.#window = String(window);
    this.#client = client;
    const options = {
      // Reconnect for ever with a capped delay: a push node outlives its Redis.
      retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
      // Never queue publishes while down: the caller is told (503) instead of memory growing.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    };
    this.#pub = new Redis(url, { ...options, connectionName: `leakcheck-push-pub-${tag}` }) as RedisWithAppend;
    this.#pub.defineCommand('pushAppend', { numberOfKeys: 2, lua: APPEND_SCRIPT });
    // The reader's commands wait for the connection; one in flight when it drops rejects and is re-issued.
    this.#reader = new Redis(url, { ...options, enableOfflineQueue: true, connectionName: `leakcheck-push-read-${tag}` });
    for (const redis of [this.#pub, this.#reader]) {
      // An 'error' without a listener would crash the process.
      redis.on('error', (error: Error) => {
        this.#lastError = error.message;
        this.#update(error.message, true);
      });
      redis.on('ready', () => this.#update('connected', false));
      redis.on('close', () => this.#update(this.#lastError || 'connection closed', true));
    }
    this.#loop = this.#read();
  }

  /** `failure`: an error or a lost connection (only these announce an outage: a start is not one). */
  #update(detail: string, failure: boolean): void {
    if (this.#closing) return;
    const state: BusState = this.#pub.status === 'ready' && this.#reader.status === 'ready' ? 'up' : 'down';
    if (state !== this.status.state && state === 'down') this.status.outages++;
    this.status.state = state;
    if (state === this.#reported || (state === 'down' && !failure)) return;
    this.#reported = state;
    this.#client.stateChanged(state, state === 'up' ? detail : `${detail}; retrying with back-off up to 2 s`);
  }

  publish(message: BusMessage): PublishOutcome | Promise<PublishOutcome> {
    // The log only needs the publishing connection: entries wait in the stream for a reader that is away.
    if (this.#pub.status !== 'ready') return 'bus-down';
    const envelope = encodeEnvelope(this.#tag, message);
    return this.#pub.pushAppend(this.#key, `${this.#key}:n`, this.#window, envelope).then(
      (): PublishOutcome => ({ delivered: this.#client.recipients(message) }),
      (): PublishOutcome => 'bus-down',
    );
  }

  seqOf(eventId: string): number {
    return streamSeq(eventId);
  }

  /** The reader: XREAD from the last id seen, for ever; every failure is followed by a retry. */
  async #read(): Promise<void> {
    while (!this.#closing) {
      try {
        if (this.#lastId === null) await this.#startAtTail();
        const reply = (await this.#reader.xreadBuffer('COUNT', READ_BATCH, 'BLOCK', READ_BLOCK_MS, 'STREAMS', this.#key, this.#lastId!)) as
          | [Buffer, [Buffer, Buffer[]][]][]
          | null;
        if (reply === null || this.#closing) continue;
        for (const [idBytes, fields] of reply[0][1]) this.#take(idBytes.toString('latin1'), fields);
      } catch (error) {
        this.#lastError = (error as Error).message;
        if (!this.#closing) await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /** Fields are [n, <number>, m, <envelope>] as APPEND_SCRIPT writes them. */
  #take(eventId: string, fields: Buffer[]): void {
    const afterId = this.#lastId!;
    this.#lastId = eventId;
    const number = fields.length === 4 ? Number(fields[1].toString('latin1')) : NaN;
    const decoded = fields.length === 4 ? decodeEnvelope(fields[3]) : null;
    if (decoded === null || !Number.isSafeInteger(number)) {
      this.status.malformed++;
      return;
    }
    // A jump ahead is entries trimmed unread; a number not above the last is a log that started
    // again (Redis restarted empty): what this node had not read of the old one is unknown too.
    if (this.#lastNumber !== 0 && number !== this.#lastNumber + 1) {
      this.status.gaps++;
      this.#client.gap(afterId, eventId, number > this.#lastNumber ? 'bus-trimmed' : 'bus-reset');
    }
    this.#lastNumber = number;
    const foreign = decoded.tag !== this.#tag;
    if (foreign) this.status.received++;
    this.#client.deliver({ eventId, seq: streamSeq(eventId), message: decoded.message, foreign });
  }

  /** A node starts reading after the newest entry ('0-0' for an empty stream). */
  async #startAtTail(): Promise<void> {
    const newest = (await this.#reader.xrevrangeBuffer(this.#key, '+', '-', 'COUNT', 1)) as [Buffer, Buffer[]][];
    if (newest.length === 0) {
      this.#lastId = '0-0';
      return;
    }
    this.#lastId = newest[0][0].toString('latin1');
    const fields = newest[0][1];
    this.#lastNumber = fields.length === 4 ? Number(fields[1].toString('latin1')) || 0 : 0;
  }

  async close(): Promise<void> {
    this.#closing = true;
    // The reader is usually blocked in XREAD: a QUIT would queue behind it, so it is cut instead.
    this.#reader.disconnect();
    await Promise.allSettled([this.#pub.quit()]);
    this.#pub.disconnect();
    await this.#loop;
  }
}
