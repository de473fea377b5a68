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
  Connection, encodeResponse, type AnswerSlot, kConnection, PendingRequest, STATE_AWAIT, STATE_CLOSED, STATE_CLOSING, STATE_REQUEST, STATE_STREAM,
  type SocketWithConnection,
} from './connection.js';
import { KIND_BROADCAST, KIND_ID, LocalBus, RedisBus, type Bus, type BusClient, type BusEntry, type BusState, type BusStatus } from './fanout.js';
import { findHeadEnd, parseHead } from './http-head.js';
import { ResumeBuffer, type ResumeFrame } from './resume-buffer.js';
import { routeRequest, type PublishResult, type RouteAnswer, type RouteContext } from './routes.js';
import { CR, encodeEvent, encodeGap, encodeStreamHead, HEARTBEAT_FRAME, LF } from './sse-frame.js';
import { readSockStat } from './stats.js';
import { Router } from './router.js';

export interface PushServerOptions {
  /** The bus went up or down (an outage at start included), once per change. */
  onBusState?: (state: BusState, detail: string) => void;
  /** Builds the bus instead of the one the config implies (a cluster worker's relay). */
  bus?: (client: BusClient) => Bus;
  /** Answers /stats instead of this process alone (a cluster worker asks the primary to sum). */
  stats?: (collect: boolean) => Promise<unknown>;
}

export interface MessageCounters {
  /** Messages accepted by POST /pub and POST /broadcast on this node. */
  published: number;
  /** Log entries published through other nodes or workers. */
  fromBus: number;
  /** Frames handed to streams (one message to N streams counts N). */
  delivered: number;
  /** Streams dropped because a frame would have taken their write queue past --max-queue-bytes. */
  queueBoundDrops: number;
  /** Streams dropped by the heartbeat sweep: write queue non-empty for --stall-beats beats. */
  stallDrops: number;
  /** Request connections dropped because their unread responses passed --max-queue-bytes. */
  responseBoundDrops: number;
  /** Gap events sent: a resume or the bus could not give a stream everything it missed. */
  gaps: number;
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
  /** Tags this process's bus envelopes (and LocalBus event ids); differs per start. */
  readonly nodeTag: string = randomBytes(4).toString('hex');
  readonly counters: MessageCounters = {
    published: 0, fromBus: 0, delivered: 0, queueBoundDrops: 0, stallDrops: 0, responseBoundDrops: 0, gaps: 0, idleTimeouts: 0, requestTimeouts: 0,
  };

  readonly #server: Server;
  readonly #router: Router<Connection>;
  readonly #resume: ResumeBuffer;
  readonly #bus: Bus;
  readonly #statsSource: ((collect: boolean) => Promise<unknown>) | null;
  /** Connections reading requests, waiting for the bus, or lingering after a final response. */
  readonly #requests = new Set<Connection>();
  /** Subscribed streams (the broadcast and heartbeat walk this). */
  readonly #streams = new Set<Connection>();
  readonly #streamHead: Buffer;
  /** Broadcast frames not yet written, in log order (see #deliverToAll). */
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

  constructor(config: ServerConfig, options: PushServerOptions = {}) {
    this.config = config;
    this.authSecret = config.authSecret;
    this.#streamHead = encodeStreamHead(config.retryMs);
    this.#broadcastBatchMaxBytes = Math.min(BROADCAST_BATCH_MAX_BYTES, config.maxQueueBytes);
    this.#statsSource = options.stats ?? null;
    const maxQueueBytes = config.maxQueueBytes;
    const counters = this.counters;
    // Hot path (called once per recipient per message). Invariant: a frame is queued only while
    // the socket's user-space write queue stays within maxQueueBytes; past that the consumer is too
    // slow and is destroyed, so no connection buffers without bound.
    this.#router = new Router<Connection>((conn, frame) => {
      const socket = conn.socket;
      if (socket.writableLength + frame.length > maxQueueBytes) {
        counters.queueBoundDrops++;
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
    const client: BusClient = {
      deliver: (entry) => this.#deliver(entry),
      recipients: (message) => (message.kind === KIND_ID ? this.#router.countOf(message.id) : this.#streams.size),
      gap: (afterEventId, resumedAtEventId, reason) => this.#gapToAll(afterEventId, resumedAtEventId, reason),
      stateChanged: options.onBusState ?? (() => {}),
      missedThrough: (seq) => this.#resume.missedThrough(seq),
    };
    this.#bus =
      options.bus !== undefined
        ? options.bus(client)
        : config.redisUrl === null
          ? new LocalBus(this.nodeTag, client)
          : new RedisBus(config.redisUrl, config.redisChannel, this.nodeTag, config.busWindow, client);

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
    if (conn.state === STATE_AWAIT) {
      // Bytes that were already on their way when reading paused: kept for after the answer.
      this.#hold(conn, chunk, 0);
      return;
    }
    if (conn.state !== STATE_REQUEST) return; // streams and lingering closes: input is discarded
    // Responses to requests pipelined in one chunk (and a stream head plus its replayed frames) leave
    // in one writev instead of one syscall each.
    const socket = conn.socket;
    socket.cork();
    try {
      this.#serve(conn, chunk);
    } finally {
      socket.uncork();
    }
  }

  /**
   * Serves every complete request in the connection's bytes, in order, and keeps the rest. `chunk`
   * is new input, or null to continue after a bus answer.
   */
  #serve(conn: Connection, chunk: Buffer | null): void {
    const pending = conn.pending;
    let bytes: Buffer;
    if (pending !== null) {
      if (chunk !== null) pending.append(chunk);
      if (pending.length < pending.needBytes) return; // a body still arriving: nothing to parse yet
      bytes = pending.view();
    } else {
      if (chunk === null) return;
      // The request timeout runs from the first byte of a request, the idle timeout until then.
      conn.waitSinceMs = Date.now();
      bytes = chunk;
    }
    const config = this.config;
    let offset = 0;
    // Keep-alive clients may pipeline several requests in one chunk: serve them in order.
    while (offset < bytes.length) {
      // RFC 9112 §2.2: empty lines before a request line are ignored (some clients send a CRLF after a body).
      while (offset < bytes.length && (bytes[offset] === LF || bytes[offset] === CR)) offset++;
      if (offset === bytes.length) break;
      const rest = offset === 0 ? bytes : bytes.subarray(offset);
      const scanFrom = pending !== null && offset === 0 ? pending.scanFrom : 0;
      const headEnd = findHeadEnd(rest, Math.min(rest.length, config.maxHeadBytes + 4), scanFrom);
      if (headEnd === -1) {
        if (rest.length > config.maxHeadBytes) return this.#fail(conn, 431, `request head larger than ${config.maxHeadBytes} bytes`);
        this.#keep(conn, bytes, offset, -1);
        return;
      }
      const head = parseHead(rest, headEnd);
      if ('error' in head) return this.#fail(conn, 400, head.error);
      if (head.transferEncoding) return this.#fail(conn, 411, 'send the body with Content-Length (Transfer-Encoding is not accepted)');
      if (head.contentLength > config.maxBodyBytes) return this.#fail(conn, 413, `body larger than ${config.maxBodyBytes} bytes`);
      const end = headEnd + Math.max(0, head.contentLength);
      if (rest.length < end) {
        this.#keep(conn, bytes, offset, end);
        return;
      }
      const answers = conn.answers;
      // Only keep-alive publishes run ahead of answers still awaited: a subscribe or a closing
      // request waits until they are out, and so does one past the in-flight bound.
      if (answers !== null && (answers.length >= config.maxInFlight || !head.keepAlive || head.method !== 'POST')) {
        this.#wait(conn, bytes, offset);
        return;
      }
      const outcome = routeRequest(this, head, rest.subarray(headEnd, end));
      offset += end;
      if (outcome.kind === 'stream') return this.#subscribe(conn, outcome.ids, outcome.lastEventId);
      if (outcome.kind === 'later') {
        const slot: AnswerSlot = { answer: null, keepAlive: head.keepAlive };
        (conn.answers ??= []).push(slot);
        outcome.outcome.then((answer) => {
          slot.answer = answer;
          this.#writeAnswers(conn);
        });
        if (!head.keepAlive) {
          this.#wait(conn, bytes, offset);
          return;
        }
        continue;
      }
      if (answers !== null) {
        answers.push({ answer: outcome, keepAlive: head.keepAlive });
        continue;
      }
      if (!this.#respond(conn, outcome, head.keepAlive)) return;
    }
    conn.pending = null;
  }

  /** Writes an answer; false when the connection is finished (closed, or dropped at the output bound). */
  #respond(conn: Connection, outcome: RouteAnswer, keepAlive: boolean): boolean {
    const response = encodeResponse(outcome.status, outcome.body, keepAlive, outcome.headers);
    if (!keepAlive) {
      this.#finish(conn, response);
      return false;
    }
    const socket = conn.socket;
    // Invariant: every per-connection output is bounded, answers included. A client that pipelines
    // requests and never reads the answers is dropped here instead of queueing them without end
    // (issue 14: 67 → 501 MB RSS before this bound).
    if (socket.writableLength + response.length > this.config.maxQueueBytes) {
      this.counters.responseBoundDrops++;
      conn.pending = null;
      socket.destroy();
      return false;
    }
    socket.write(response);
    conn.waitSinceMs = Date.now();
    return true;
  }

  /**
   * A bus answer arrived: writes every answer that is ready, oldest first, up to the first still
   * awaited; a connection that stopped reading for them (STATE_AWAIT) then reads on.
   */
  #writeAnswers(conn: Connection): void {
    const answers = conn.answers;
    if (answers === null || (conn.state !== STATE_REQUEST && conn.state !== STATE_AWAIT)) return;
    let written = 0;
    while (written < answers.length && answers[written].answer !== null) written++;
    if (written === 0) return;
    const socket = conn.socket;
    socket.cork();
    try {
      for (let k = 0; k < written; k++) {
        const slot = answers[k];
        if (!this.#respond(conn, slot.answer!, slot.keepAlive)) {
          conn.answers = null;
          return;
        }
      }
      if (written === answers.length) conn.answers = null;
      else answers.splice(0, written);
      if (conn.state === STATE_AWAIT) {
        conn.state = STATE_REQUEST;
        socket.resume();
        if (conn.pending !== null) this.#serve(conn, null);
      }
    } finally {
      socket.uncork();
    }
  }

  /** Stops reading until the answers awaited are written; bytes[from..] are served after. */
  #wait(conn: Connection, bytes: Buffer, from: number): void {
    conn.state = STATE_AWAIT;
    this.#keep(conn, bytes, from, -1);
    // The kept bytes may hold whole requests already: their head ends are searched from the start.
    if (conn.pending !== null) conn.pending.scanFrom = 0;
    conn.socket.pause();
  }

  /**
   * Keeps bytes[from..] as the connection's pending request. `needBytes`: the request's full size
   * when its head is known (-1 otherwise). Bytes already in the connection's buffer are moved to
   * its start; a chunk is copied, so a 64 KB read buffer is never retained for a few bytes.
   */
  #keep(conn: Connection, bytes: Buffer, from: number, needBytes: number): void {
    const pending = conn.pending;
    if (from === bytes.length) {
      conn.pending = null;
      return;
    }
    if (pending === null) {
      conn.pending = new PendingRequest(bytes.subarray(from));
    } else if (from > 0) {
      pending.bytes.copyWithin(0, from, pending.length);
      pending.length -= from;
    }
    const kept = conn.pending!;
    kept.needBytes = needBytes;
    kept.scanFrom = Math.max(0, kept.length - 3);
  }

  /** Bytes that arrive while an answer is awaited (STATE_AWAIT); reading is paused meanwhile. */
  #hold(conn: Connection, chunk: Buffer, from: number): void {
    if (conn.pending === null) conn.pending = new PendingRequest(chunk.subarray(from));
    else conn.pending.append(chunk.subarray(from));
    conn.pending.needBytes = -1;
    conn.socket.pause();
  }

  /**
   * Answers with an error and closes: after a malformed request the byte stream cannot be trusted.
   * Behind answers still awaited, the error waits its turn.
   */
  #fail(conn: Connection, status: number, message: string): void {
    if (conn.answers !== null) {
      conn.answers.push({ answer: { kind: 'respond', status, body: { error: message } }, keepAlive: false });
      conn.pending = null;
      conn.state = STATE_AWAIT;
      conn.socket.pause();
      return;
    }
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
    conn.waitSinceMs = Date.now();
    conn.socket.end(response);
  }

  #subscribe(conn: Connection, ids: string[], lastEventId: string | null): void {
    if (this.#broadcastQueue.length > 0) this.#flushBroadcasts(); // queued broadcasts predate this stream
    const socket = conn.socket;
    this.#requests.delete(conn);
    conn.state = STATE_STREAM;
    conn.pending = null;
    conn.stalledBeats = 0;
    this.#streams.add(conn);
    socket.write(this.#streamHead);
    for (const id of ids) this.#router.login(id, conn);
    if (lastEventId !== null) this.#replay(conn, ids, lastEventId);
  }

  /**
   * Writes the frames sent to `ids` after `lastEventId`. An id from this log resumes exactly; one
   * that cannot be placed in it (another server run) gets every buffered frame (at-least-once).
   * When the buffer no longer holds everything after the id, or the id cannot be placed, a gap
   * event comes first, so the client knows it may have missed messages. Replayed bytes obey the
   * output bound like every other write.
   */
  #replay(conn: Connection, ids: string[], lastEventId: string): void {
    const afterSeq = this.#bus.seqOf(lastEventId);
    let gap = afterSeq === -1;
    const entries: ResumeFrame[] = [];
    for (const id of ids) {
      const missed = this.#resume.framesAfter(id, afterSeq);
      gap ||= missed.gap;
      entries.push(...missed.frames);
    }
    if (ids.length > 1) entries.sort((a, b) => a.seq - b.seq);
    const frames = entries.map((entry) => entry.frame);
    if (gap) {
      this.counters.gaps++;
      frames.unshift(encodeGap(lastEventId, '', afterSeq === -1 ? 'unknown-id' : 'resume-window'));
    }
    const socket = conn.socket;
    for (const frame of frames) {
      if (socket.writableLength + frame.length > this.config.maxQueueBytes) {
        this.counters.queueBoundDrops++;
        socket.destroy();
        return;
      }
      socket.write(frame);
    }
  }

  /** Removes every trace of a closed socket. */
  #forget(conn: Connection): void {
    conn.state = STATE_CLOSED;
    conn.pending = null;
    conn.answers = null;
    this.#requests.delete(conn);
    this.#streams.delete(conn);
    this.#router.logout(conn);
    delete (conn.socket as SocketWithConnection)[kConnection];
  }

  // ---- messages -------------------------------------------------------------------------------

  publish(id: string, body: Buffer): PublishResult | Promise<PublishResult> {
    this.counters.published++;
    return this.#bus.publish({ kind: KIND_ID, id, body });
  }

  broadcast(body: Buffer): PublishResult | Promise<PublishResult> {
    this.counters.published++;
    return this.#bus.publish({ kind: KIND_BROADCAST, id: '', body });
  }

  /** Every log entry, this node's own included, in log order. */
  #deliver(entry: BusEntry): number {
    const message = entry.message;
    if (entry.foreign) this.counters.fromBus++;
    if (message.kind === KIND_BROADCAST) return this.#deliverToAll(encodeEvent(entry.eventId, message.body));
    return this.#deliverToId(message.id, entry.seq, encodeEvent(entry.eventId, message.body));
  }

  /** The same Buffer goes to every connection of the id and into its resume buffer. */
  #deliverToId(id: string, seq: number, frame: Buffer): number {
    if (this.#broadcastQueue.length > 0) this.#flushBroadcasts();
    this.#resume.record(id, seq, frame, Date.now());
    return this.#router.send(id, frame);
  }

  /** The bus lost entries this node never read: every stream is told, in order with the rest. */
  #gapToAll(afterEventId: string, resumedAtEventId: string, reason: 'bus-trimmed' | 'bus-reset'): void {
    this.counters.gaps += this.#streams.size;
    this.#deliverToAll(encodeGap(afterEventId, resumedAtEventId, reason));
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
  #deliverToAll(frame: Buffer): number {
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
        this.counters.queueBoundDrops++;
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
      // A connection with answers awaited is left alone: every bus publish settles (see Bus.publish).
      if (conn.answers !== null) continue;
      const waited = now - conn.waitSinceMs;
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
        if (++conn.stalledBeats >= stallBeats) {
          this.counters.stallDrops++;
          socket.destroy();
          continue;
        }
      } else {
        conn.stalledBeats = 0;
      }
      socket.write(HEARTBEAT_FRAME);
    }
  }

  // ---- stats ----------------------------------------------------------------------------------

  /** Open sockets of every kind, including the one asking. */
  get connectionCount(): number {
    return this.#requests.size + this.#streams.size;
  }

  /** /stats: this process, or the whole cluster when a worker was given a stats source. */
  stats(collect: boolean): ServerStats | Promise<unknown> {
    return this.#statsSource === null ? this.localStats(collect) : this.#statsSource(collect);
  }

  localStats(collect = false): ServerStats {
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
  bus: BusStatus;
  memory: NodeJS.MemoryUsage;
  /** CPU time of this process since start, µs (user, system). */
  cpu: NodeJS.CpuUsage;
  kernel: ReturnType<typeof readSockStat>;
}


