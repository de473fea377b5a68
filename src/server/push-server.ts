/**
 * The push server: a net.Server, the hand-parsed HTTP requests, the router, resume buffers and the
 * bus, wired so that a held stream costs a socket plus one small Connection record (see
 * connection.ts). Everything time-based is one of two shared timers:
 *   - the request sweep (every ~request timeout / 4): times out slow or idle request connections and
 *     lingering closes, and expires resume buffers;
 *   - the heartbeat sweep (every heartbeatMs): writes one shared comment frame to every stream and
 *     drops streams whose write queue stayed non-empty for `stallBeats` beats.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { ServerConfig } from './config.js';
import {
  Connection, encodeResponse, kConnection, STATE_CLOSED, STATE_CLOSING, STATE_REQUEST, STATE_STREAM,
  type SocketWithConnection,
} from './connection.js';
import { KIND_BROADCAST, KIND_ID, LocalBus, RedisBus, type Bus, type BusMessage, type BusState } from './fanout.js';
import { findHeadEnd, parseHead } from './http-head.js';
import { ResumeBuffer } from './resume-buffer.js';
import { routeRequest, type PublishResult, type RouteContext } from './routes.js';
import { encodeEvent, encodeStreamHead, HEARTBEAT_FRAME } from './sse-frame.js';
import { readSockStat } from './stats.js';
import { Router } from './router.js';

export interface PushServerEvents {
  /** The Redis bus went up or down. */
  onBusState?: (state: BusState, detail: string) => void;
}

export interface MessageCounters {
  /** Messages accepted by POST /pub and POST /broadcast on this node. */
  published: number;
  /** Messages received from other nodes through the bus. */
  fromBus: number;
  /** Frames handed to streams (one message to N streams counts N). */
  delivered: number;
  /** Streams dropped because their write queue passed the bound or stalled. */
  slowConsumersDropped: number;
  /** Connections closed for sending nothing within the idle timeout. */
  idleTimeouts: number;
  /** Requests answered 408 for not completing within the request timeout. */
  requestTimeouts: number;
}

/** Most bytes of broadcast frames joined into one write (see #broadcastBatchMaxBytes). */
const BROADCAST_BATCH_MAX_BYTES = 64 * 1024;

export class PushServer implements RouteContext {
  readonly config: ServerConfig;
  readonly authSecret: string | null;
  /** Tags this process's event ids and bus envelopes; differs per start, so ids from an old run are recognised. */
  readonly nodeTag: string = randomBytes(4).toString('hex');
  readonly counters: MessageCounters = { published: 0, fromBus: 0, delivered: 0, slowConsumersDropped: 0, idleTimeouts: 0, requestTimeouts: 0 };

  readonly #server: Server;
  readonly #router: Router<Connection>;
  readonly #resume: ResumeBuffer;
  readonly #bus: Bus;
  /** Connections reading requests or lingering after a final response. */
  readonly #requests = new Set<Connection>();
  /** Subscribed streams (the broadcast and heartbeat walk this). */
  readonly #streams = new Set<Connection>();
  readonly #streamHead: Buffer;
  #seq = 0;
  /** Broadcast frames not yet written, in publish order (see #deliverToAll). */
  readonly #broadcastQueue: Buffer[] = [];
  #broadcastQueueBytes = 0;
  /**
   * A batch is flushed before it would pass this, so joining frames never makes a write that the
   * slow-consumer bound refuses where the frames one by one would have passed (an empty queue
   * always takes a batch), and a batch's Buffer stays small.
   */
  readonly #broadcastBatchMaxBytes: number;
  #flushImmediate: NodeJS.Immediate | null = null;
  #requestSweep: NodeJS.Timeout | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  readonly #startedMs = Date.now();

  constructor(config: ServerConfig, events: PushServerEvents = {}) {
    this.config = config;
    this.authSecret = config.authSecret;
    this.#streamHead = encodeStreamHead(config.retryMs);
    this.#broadcastBatchMaxBytes = Math.min(BROADCAST_BATCH_MAX_BYTES, config.maxQueueBytes);
    const maxQueueBytes = config.maxQueueBytes;
    const counters = this.counters;
    // Hot path (called once per recipient per message). Invariant: a frame is queued only while
    // the socket's user-space write queue stays within maxQueueBytes; past that the consumer is too
    // slow and is destroyed, so no connection buffers without bound.
    this.#router = new Router<Connection>((conn, frame) => {
      const socket = conn.socket;
      if (socket.writableLength + frame.length > maxQueueBytes) {
        counters.slowConsumersDropped++;
        socket.destroy();
        return;
      }
      socket.write(frame);
      counters.delivered++;
    });
    this.#resume = new ResumeBuffer({
      framesPerId: config.resumeFrames,
      maxIds: config.resumeMaxIds,
      maxBytes: config.resumeMaxBytes,
      ttlMs: config.resumeTtlMs,
    });
    this.#bus =
      config.redisUrl === null
        ? new LocalBus()
        : new RedisBus(config.redisUrl, config.redisChannel, this.nodeTag, (message) => this.#fromBus(message), events.onBusState);

    const server = this;
    // Shared listeners: `this` is the socket; no closure is created per connection.
    function onData(this: SocketWithConnection, chunk: Buffer): void {
      const conn = this[kConnection];
      if (conn !== undefined) server.#consume(conn, chunk);
    }
    function onClose(this: SocketWithConnection): void {
      const conn = this[kConnection];
      if (conn !== undefined) server.#forget(conn);
    }
    function onError(): void {
      // ECONNRESET and friends: 'close' follows and does the cleanup.
    }
    this.#server = createServer({ noDelay: true }, (socket: SocketWithConnection) => {
      const conn = new Connection(socket, Date.now());
      socket[kConnection] = conn;
      this.#requests.add(conn);
      socket.on('data', onData);
      socket.on('close', onClose);
      socket.on('error', onError);
    });
  }

  /** Starts listening; resolves with the bound address. */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ host: this.config.host, port: this.config.port, backlog: 4096 }, () => {
        this.#server.off('error', reject);
        const sweepMs = Math.max(10, Math.min(1_000, Math.floor(Math.min(this.config.requestTimeoutMs, this.config.idleTimeoutMs) / 4)));
        this.#requestSweep = setInterval(() => this.#sweepRequests(), sweepMs);
        this.#heartbeat = setInterval(() => this.#sweepStreams(), this.config.heartbeatMs);
        resolve(this.#server.address() as AddressInfo);
      });
    });
  }

  /** Stops accepting, ends every connection, leaves the bus. */
  async close(): Promise<void> {
    if (this.#requestSweep !== null) clearInterval(this.#requestSweep);
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
    if (this.#flushImmediate !== null) clearImmediate(this.#flushImmediate);
    this.#flushImmediate = null;
    this.#broadcastQueue.length = 0;
    this.#broadcastQueueBytes = 0;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const conn of [...this.#requests, ...this.#streams]) conn.socket.destroy();
    await Promise.all([closed, this.#bus.close()]);
  }

  nowMs(): number {
    return Date.now();
  }

  // ---- requests -------------------------------------------------------------------------------

  #consume(conn: Connection, chunk: Buffer): void {
    if (conn.state !== STATE_REQUEST) return; // streams and lingering closes: input is discarded
    // Responses to requests pipelined in one chunk (and a stream head plus its replayed frames) leave
    // in one writev instead of one syscall each.
    const socket = conn.socket;
    socket.cork();
    try {
      this.#consumeRequests(conn, chunk);
    } finally {
      socket.uncork();
    }
  }

  #consumeRequests(conn: Connection, chunk: Buffer): void {
    // The request timeout runs from the first byte of a request, the idle timeout until then.
    if (conn.pending === null) conn.mark = Date.now();
    let bytes = conn.pending === null ? chunk : Buffer.concat([conn.pending, chunk]);
    conn.pending = null;
    const config = this.config;
    // Keep-alive clients may pipeline several requests in one chunk: serve them in order.
    while (bytes.length > 0) {
      const headEnd = findHeadEnd(bytes, Math.min(bytes.length, config.maxHeadBytes + 4));
      if (headEnd === -1) {
        if (bytes.length > config.maxHeadBytes) return this.#fail(conn, 431, `request head larger than ${config.maxHeadBytes} bytes`);
        conn.pending = bytes;
        return;
      }
      const head = parseHead(bytes, headEnd);
      if ('error' in head) return this.#fail(conn, 400, head.error);
      if (head.transferEncoding) return this.#fail(conn, 411, 'send the body with Content-Length (Transfer-Encoding is not accepted)');
      if (head.contentLength > config.maxBodyBytes) return this.#fail(conn, 413, `body larger than ${config.maxBodyBytes} bytes`);
      const end = headEnd + Math.max(0, head.contentLength);
      if (bytes.length < end) {
        conn.pending = bytes;
        return;
      }
      const outcome = routeRequest(this, head, bytes.subarray(headEnd, end));
      if (outcome.kind === 'stream') return this.#subscribe(conn, outcome.ids, outcome.lastEventId);
      if (!head.keepAlive) {
        this.#finish(conn, encodeResponse(outcome.status, outcome.body, false, outcome.headers));
        return;
      }
      conn.socket.write(encodeResponse(outcome.status, outcome.body, true, outcome.headers));
      conn.mark = Date.now();
      bytes = bytes.subarray(end);
    }
  }

  /** Answers with an error and closes: after a malformed request the byte stream cannot be trusted. */
  #fail(conn: Connection, status: number, message: string): void {
    this.#finish(conn, encodeResponse(status, { error: message }, false));
  }

  /**
   * Writes a final response and half-closes, then discards input until the peer closes or the
   * request sweep gives up (lingering close: destroying at once could reset the connection before
   * the client reads the response).
   */
  #finish(conn: Connection, response: Buffer): void {
    conn.state = STATE_CLOSING;
    conn.pending = null;
    conn.mark = Date.now();
    conn.socket.end(response);
  }

  #subscribe(conn: Connection, ids: string[], lastEventId: string | null): void {
    if (this.#broadcastQueue.length > 0) this.#flushBroadcasts(); // queued broadcasts predate this stream
    const socket = conn.socket;
    this.#requests.delete(conn);
    conn.state = STATE_STREAM;
    conn.pending = null;
    conn.mark = 0;
    this.#streams.add(conn);
    socket.write(this.#streamHead);
    for (const id of ids) this.#router.login(id, conn);
    if (lastEventId !== null) {
      for (const frame of this.#missedFrames(ids, lastEventId)) socket.write(frame);
    }
  }

  /**
   * Frames sent to `ids` after `lastEventId` (`<nodeTag>.<seq>`). An id from this process resumes
   * exactly; one from another node or an earlier run cannot be placed in our sequence, so every
   * buffered frame is replayed (at-least-once rather than a silent gap).
   */
  #missedFrames(ids: string[], lastEventId: string): Buffer[] {
    const dot = lastEventId.indexOf('.');
    const seq = Number(lastEventId.slice(dot + 1));
    const afterSeq = dot !== -1 && lastEventId.slice(0, dot) === this.nodeTag && Number.isSafeInteger(seq) ? seq : -1;
    if (ids.length === 1) return this.#resume.framesAfter(ids[0], afterSeq).map((entry) => entry.frame);
    return ids
      .flatMap((id) => this.#resume.framesAfter(id, afterSeq))
      .sort((a, b) => a.seq - b.seq)
      .map((entry) => entry.frame);
  }

  /** Removes every trace of a closed socket. */
  #forget(conn: Connection): void {
    conn.state = STATE_CLOSED;
    conn.pending = null;
    this.#requests.delete(conn);
    this.#streams.delete(conn);
    this.#router.logout(conn);
    delete (conn.socket as SocketWithConnection)[kConnection];
  }

  // ---- messages -------------------------------------------------------------------------------

  publish(id: string, body: Buffer): PublishResult {
    if (!this.#bus.publish({ kind: KIND_ID, id, body })) return 'bus-down';
    this.counters.published++;
    return { delivered: this.#deliverToId(id, body) };
  }

  broadcast(body: Buffer): PublishResult {
    if (!this.#bus.publish({ kind: KIND_BROADCAST, id: '', body })) return 'bus-down';
    this.counters.published++;
    return { delivered: this.#deliverToAll(body) };
  }

  #fromBus(message: BusMessage): void {
    this.counters.fromBus++;
    if (message.kind === KIND_ID) this.#deliverToId(message.id, message.body);
    else this.#deliverToAll(message.body);
  }

  /** Encodes once; the same Buffer goes to every connection of the id and into its resume buffer. */
  #deliverToId(id: string, body: Buffer): number {
    if (this.#broadcastQueue.length > 0) this.#flushBroadcasts();
    const seq = ++this.#seq;
    const frame = encodeEvent(`${this.nodeTag}.${seq}`, body);
    this.#resume.record(id, seq, frame, Date.now());
    return this.#router.send(id, frame);
  }

  /**
   * Broadcasts are queued and fanned out once per event-loop turn (setImmediate, right after the
   * poll phase that read them): when the server is behind, every broadcast read in one turn leaves
   * in one write per stream instead of one each. The write syscall is nearly all of the fan-out's
   * CPU (a --cpu-prof of a 100k frames/s flood: 52 % of samples in the native writeBuffer, under 3 %
   * in JS), so frames per write is what sets the ceiling. A broadcast that is not queued behind
   * another costs one setImmediate more and no added wait. The answer's count is the streams the
   * message was queued for (a slow consumer dropped at the flush is not subtracted).
   */
  #deliverToAll(body: Buffer): number {
    const frame = encodeEvent(`${this.nodeTag}.${++this.#seq}`, body);
    if (this.#broadcastQueueBytes > 0 && this.#broadcastQueueBytes + frame.length > this.#broadcastBatchMaxBytes) this.#flushBroadcasts();
    this.#broadcastQueue.push(frame);
    this.#broadcastQueueBytes += frame.length;
    this.#flushImmediate ??= setImmediate(this.#flushBroadcasts);
    return this.#streams.size;
  }

  /**
   * Hot path: writes the queued broadcast frames to every stream. Invariant: one Buffer (the frame,
   * or the queued frames joined) shared by every socket.write; a stream is written only while its
   * queue stays within maxQueueBytes, else destroyed (its 'close' removes it from #streams later,
   * so the walk never sees the Set change under it). Called before a message to an id or a new
   * subscription, so frames keep publish order on every stream. Broadcasts are not resumable:
   * buffering each one per id would multiply memory by the number of ids.
   */
  readonly #flushBroadcasts = (): void => {
    if (this.#flushImmediate !== null) {
      clearImmediate(this.#flushImmediate);
      this.#flushImmediate = null;
    }
    const queue = this.#broadcastQueue;
    if (queue.length === 0) return;
    const frames = queue.length;
    const data = frames === 1 ? queue[0] : Buffer.concat(queue);
    queue.length = 0;
    this.#broadcastQueueBytes = 0;
    const maxQueueBytes = this.config.maxQueueBytes;
    let delivered = 0;
    for (const conn of this.#streams) {
      const socket = conn.socket;
      if (socket.destroyed) continue;
      if (socket.writableLength + data.length > maxQueueBytes) {
        this.counters.slowConsumersDropped++;
        socket.destroy();
        continue;
      }
      socket.write(data);
      delivered++;
    }
    this.counters.delivered += delivered * frames;
  };

  // ---- sweeps ---------------------------------------------------------------------------------

  #sweepRequests(): void {
    const now = Date.now();
    const { requestTimeoutMs, idleTimeoutMs } = this.config;
    for (const conn of this.#requests) {
      const waited = now - conn.mark;
      if (conn.state === STATE_REQUEST && conn.pending !== null) {
        if (waited >= requestTimeoutMs) {
          this.counters.requestTimeouts++;
          this.#fail(conn, 408, 'request not completed in time');
        }
      } else if (conn.state === STATE_CLOSING) {
        if (waited >= requestTimeoutMs) conn.socket.destroy(); // a lingering close the peer never finished
      } else if (waited >= idleTimeoutMs) {
        this.counters.idleTimeouts++;
        conn.socket.destroy();
      }
    }
    this.#resume.sweep(now);
  }

  #sweepStreams(): void {
    const stallBeats = this.config.stallBeats;
    for (const conn of this.#streams) {
      const socket = conn.socket;
      if (socket.destroyed) continue; // its 'close' is on the way
      if (socket.writableLength > 0) {
        if (++conn.mark >= stallBeats) {
          this.counters.slowConsumersDropped++;
          socket.destroy();
          continue;
        }
      } else {
        conn.mark = 0;
      }
      socket.write(HEARTBEAT_FRAME);
    }
  }

  // ---- stats ----------------------------------------------------------------------------------

  /** Open sockets of every kind, including the one asking. */
  get connectionCount(): number {
    return this.#requests.size + this.#streams.size;
  }

  stats(collect = false): ServerStats {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (collect && gc !== undefined) gc();
    return {
      node: this.nodeTag,
      uptimeMs: Date.now() - this.#startedMs,
      connections: this.connectionCount,
      streams: this.#streams.size,
      requests: this.#requests.size,
      router: { ids: this.#router.idCount, connections: this.#router.connectionCount },
      resume: { ids: this.#resume.idCount, bytes: this.#resume.byteCount },
      messages: { ...this.counters },
      bus: { ...this.#bus.status },
      memory: process.memoryUsage(),
      cpu: process.cpuUsage(),
      kernel: readSockStat(),
    };
  }
}

export interface ServerStats {
  node: string;
  uptimeMs: number;
  connections: number;
  streams: number;
  requests: number;
  router: { ids: number; connections: number };
  resume: { ids: number; bytes: number };
  messages: MessageCounters;
  bus: { state: BusState; outages: number; received: number; malformed: number };
  memory: NodeJS.MemoryUsage;
  /** CPU time of this process since start, µs (user, system). */
  cpu: NodeJS.CpuUsage;
  kernel: ReturnType<typeof readSockStat>;
}


