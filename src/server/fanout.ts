/**
 * Multi-node fan-out over Redis pub/sub (ioredis). Every node publishes each message once on one
 * shared channel and subscribes to it; a node delivers its own publishes locally at once and skips
 * them when they come back from Redis (the envelope carries the origin node's tag), so no client
 * sees a message twice.
 *
 * Redis restarts: both clients reconnect with capped backoff and the subscriber resubscribes on
 * every 'ready' (done here rather than by ioredis' autoResubscribe so the bus knows the moment the
 * subscription is back). While either client is not ready the bus is "down": publish() refuses (the
 * route answers 503 so the caller can retry; nothing is queued in memory meanwhile), /stats says so.
 *
 * Envelope (binary, so bodies pass through untouched):
 *   [kind u8: 0 = to id, 1 = broadcast][tag length u8][tag][id length u16 BE][id][body]
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

export type BusState = 'off' | 'up' | 'down';

export interface BusStatus {
  state: BusState;
  /** Times the bus went from up to down since start. */
  outages: number;
  /** Messages received from other nodes. */
  received: number;
  /** Envelopes on the channel that could not be decoded (another program publishing on it). */
  malformed: number;
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

export interface Bus {
  readonly status: BusStatus;
  /** Sends to the other nodes; false when the bus is down (nothing was sent). */
  publish(message: BusMessage): boolean;
  close(): Promise<void>;
}

/** The single-node bus: nothing to fan out to. */
export class LocalBus implements Bus {
  readonly status: BusStatus = { state: 'off', outages: 0, received: 0, malformed: 0 };
  publish(): boolean {
    return true;
  }
  async close(): Promise<void> {}
}

export class RedisBus implements Bus {
  readonly status: BusStatus = { state: 'down', outages: 0, received: 0, malformed: 0 };
  readonly #tag: string;
  readonly #channel: string;
  readonly #pub: Redis;
  readonly #sub: Redis;
  #subscribed = false;
  #closing = false;

  /**
   * `onMessage` receives messages published by other nodes. `onStateChange` is told when the bus
   * goes up or down (the server logs nothing itself; main.ts decides).
   */
  constructor(
    url: string,
    channel: string,
    tag: string,
    onMessage: (message: BusMessage) => void,
    onStateChange: (state: BusState, detail: string) => void = () => {},
  ) {
    this.#tag = tag;
    this.#channel = channel;
    const options = {
      // Reconnect for ever with a capped delay: a push node outlives its Redis.
      retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
      // Never queue publishes while down: the caller is told (503) instead of memory growing.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      lazyConnect: false,
    };
    this.#pub = new Redis(url, { ...options, connectionName: `leakcheck-push-pub-${tag}` });
    this.#sub = new Redis(url, { ...options, enableOfflineQueue: true, autoResubscribe: false, connectionName: `leakcheck-push-sub-${tag}` });
    let lastDetail = '';
    const update = (detail: string) => {
      const up = !this.#closing && this.#pub.status === 'ready' && this.#sub.status === 'ready' && this.#subscribed;
      const state: BusState = up ? 'up' : 'down';
      if (state !== this.status.state) {
        if (state === 'down') this.status.outages++;
        this.status.state = state;
        onStateChange(state, detail || lastDetail);
      }
    };
    for (const client of [this.#pub, this.#sub]) {
      // An 'error' without a listener would crash the process; the state change is what matters.
      client.on('error', (error: Error) => {
        lastDetail = error.message;
      });
      client.on('ready', () => update('connected'));
      client.on('close', () => {
        if (client === this.#sub) this.#subscribed = false;
        update(lastDetail || 'connection closed');
      });
      client.on('end', () => update('connection ended'));
    }
    this.#sub.on('ready', () => {
      this.#sub.subscribe(this.#channel).then(
        () => {
          this.#subscribed = true;
          update('subscribed');
        },
        (error: Error) => {
          lastDetail = error.message;
        },
      );
    });
    this.#sub.on('messageBuffer', (_channel: Buffer, envelope: Buffer) => {
      const decoded = decodeEnvelope(envelope);
      if (decoded === null) {
        this.status.malformed++;
        return;
      }
      if (decoded.tag === this.#tag) return; // ours: already delivered locally
      this.status.received++;
      onMessage(decoded.message);
    });
  }

  publish(message: BusMessage): boolean {
    if (this.status.state !== 'up') return false;
    this.#pub.publish(this.#channel, encodeEnvelope(this.#tag, message)).catch(() => {
      // The connection dropped between the state check and the write; 'close' marks the bus down.
    });
    return true;
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.allSettled([this.#pub.quit(), this.#sub.quit()]);
    this.#pub.disconnect();
    this.#sub.disconnect();
  }
}
