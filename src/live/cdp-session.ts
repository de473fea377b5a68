import WebSocket from 'ws';
import { ErrorCode, LeakcheckError } from '../errors.js';

/**
 * One Chrome DevTools Protocol session: commands with replies, events by method name. The main
 * thread's session runs over the inspector WebSocket; a worker thread's session is tunnelled
 * through the main one (NodeWorker.sendMessageToWorker), and both look the same to callers.
 */
export interface CdpSession {
  /** Sends a command; resolves with its `result`, rejects with a LeakcheckError on a protocol error or a dropped connection. */
  send<T = unknown>(method: string, params?: object): Promise<T>;
  /** Subscribes to one event; returns the unsubscribe function. */
  on(method: string, listener: (params: never) => void): () => void;
  /** Settles when the session ends, whoever ended it. */
  readonly ended: Promise<void>;
  close(): Promise<void>;
}

interface Reply { id?: number; method?: string; params?: unknown; result?: unknown; error?: { code: number; message: string } }

/** Shared by both transports: ids, pending replies, event listeners, and what a dropped connection does to them. */
class MessageRouter {
  #nextId = 1;
  readonly #pending = new Map<number, { method: string; resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  readonly #listeners = new Map<string, Set<(params: never) => void>>();
  #endedError: LeakcheckError | undefined;

  constructor(readonly where: string) {}

  request(method: string, write: (id: number) => void): Promise<unknown> {
    if (this.#endedError) return Promise.reject(this.#endedError);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { method, resolve, reject });
      write(id);
    });
  }

  dispatch(message: Reply): void {
    if (message.id !== undefined) {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      if (message.error) {
        pending.reject(new LeakcheckError(ErrorCode.INSPECTOR_UNAVAILABLE, `${pending.method} failed: ${message.error.message}`, { file: this.where }));
      } else {
        pending.resolve(message.result);
      }
    } else if (message.method !== undefined) {
      for (const listener of this.#listeners.get(message.method) ?? []) listener(message.params as never);
    }
  }

  subscribe(method: string, listener: (params: never) => void): () => void {
    let set = this.#listeners.get(method);
    if (!set) this.#listeners.set(method, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Every pending and later command fails with the same error. */
  end(reason: string): void {
    if (this.#endedError) return;
    this.#endedError = new LeakcheckError(ErrorCode.INSPECTOR_UNAVAILABLE, reason, { file: this.where });
    for (const pending of this.#pending.values()) pending.reject(this.#endedError);
    this.#pending.clear();
  }
}

/** Opens a session on an inspector WebSocket URL (ws://host:port/<uuid>). `where` names the target in errors. */
export async function connectWebSocket(url: string, where: string, timeoutMs = 5000): Promise<CdpSession> {
  // Heap snapshot chunks are small, but a worker's chunks arrive wrapped in one message each; 256 MiB is far above either.
  const socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024, handshakeTimeout: timeoutMs });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', (error) => reject(new LeakcheckError(ErrorCode.INSPECTOR_UNAVAILABLE, `cannot connect to the inspector at ${url}: ${error.message}`, { file: where, cause: error })));
  });
  const router = new MessageRouter(where);
  const ended = new Promise<void>((resolve) => {
    socket.on('close', () => {
      router.end('the inspector connection closed (did the process exit?)');
      resolve();
    });
  });
  // After 'open', an error is always followed by 'close', which ends the router.
  socket.on('error', () => {});
  socket.on('message', (data) => router.dispatch(JSON.parse(data.toString()) as Reply));
  return {
    send: (method, params = {}) => router.request(method, (id) => socket.send(JSON.stringify({ id, method, params }))) as never,
    on: (method, listener) => router.subscribe(method, listener),
    ended,
    close: async () => {
      if (socket.readyState !== WebSocket.CLOSED) socket.close();
      await ended;
    },
  };
}

export interface WorkerInfo {
  /** The worker's threadId, as a decimal string (what NodeWorker calls workerId). */
  workerId: string;
  title: string;
  url: string;
}

interface AttachedToWorker { sessionId: string; workerInfo: WorkerInfo }

/**
 * Attaches to the worker thread whose threadId is `threadId` through the main session's NodeWorker
 * domain. Existing workers are announced right after NodeWorker.enable; a short wait collects them.
 */
export async function attachToWorker(main: CdpSession, threadId: number, where: string, waitMs = 1000): Promise<CdpSession> {
  const seen: AttachedToWorker[] = [];
  const stopSeeing = main.on('NodeWorker.attachedToWorker', (params: AttachedToWorker) => { seen.push(params); });
  await main.send('NodeWorker.enable', { waitForDebuggerOnStart: false });
  const deadline = Date.now() + waitMs;
  while (!seen.some((event) => Number(event.workerInfo.workerId) === threadId) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  stopSeeing();
  const attached = seen.find((event) => Number(event.workerInfo.workerId) === threadId);
  if (!attached) {
    await main.send('NodeWorker.disable').catch(() => {});
    const known = seen.map((event) => event.workerInfo.workerId).join(', ');
    throw new LeakcheckError(ErrorCode.WORKER_NOT_FOUND, `no worker thread with threadId ${threadId} (running workers: ${known === '' ? 'none' : known})`, { file: where });
  }
  const { sessionId } = attached;
  const router = new MessageRouter(`${where} worker ${threadId}`);
  const unsubscribe = [
    main.on('NodeWorker.receivedMessageFromWorker', (params: { sessionId: string; message: string }) => {
      if (params.sessionId === sessionId) router.dispatch(JSON.parse(params.message) as Reply);
    }),
    main.on('NodeWorker.detachedFromWorker', (params: { sessionId: string }) => {
      if (params.sessionId === sessionId) finish('the worker thread exited');
    }),
  ];
  let resolveEnded!: () => void;
  const ended = new Promise<void>((resolve) => { resolveEnded = resolve; });
  const finish = (reason: string) => {
    router.end(reason);
    for (const stop of unsubscribe) stop();
    resolveEnded();
  };
  void main.ended.then(() => finish('the inspector connection closed (did the process exit?)'));
  return {
    send: (method, params = {}) => router.request(method, (id) => {
      main.send('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id, method, params }) })
        .catch((error: Error) => router.end(error.message));
    }) as never,
    on: (method, listener) => router.subscribe(method, listener),
    ended,
    close: async () => {
      await main.send('NodeWorker.detach', { sessionId }).catch(() => {});
      await main.send('NodeWorker.disable').catch(() => {});
      finish('detached from the worker');
    },
  };
}
