/**
 * The HTTP endpoints, as a pure mapping from a parsed request to a server action and a response:
 *   GET  /sub/<id>[,<id>…][?token=T]   event stream for those ids (Last-Event-ID resumes)
 *   POST /pub/<id>                     body → every connection logged in as <id>
 *   POST /broadcast                    body → every stream
 *   GET  /stats[?gc=1]                 counts, memory, kernel socket memory, bus state (the publisher
 *                                      secret under --auth-secret: it tells who is connected)
 *   GET  /                             this list, so a bare URL (and `leakcheck run`'s default load) gets
 *                                      a 200; open under --auth-secret too, it says nothing the docs don't
 * Anything else is 404 (unknown path) or 405 (known path, wrong method).
 */
import { bearer, checkToken, secretMatches } from './auth.js';
import type { RequestHead } from './http-head.js';

/** Ids are URL-safe without decoding (RFC 3986 unreserved characters). */
const ID_PATTERN = /^[A-Za-z0-9._~-]{1,128}$/;
export const MAX_IDS_PER_STREAM = 16;

export type PublishResult = { delivered: number } | 'bus-down';

export interface RouteContext {
  readonly authSecret: string | null;
  nowMs(): number;
  /** Synchronous on a single node; a promise when the bus must first accept the message. */
  publish(id: string, body: Buffer): PublishResult | Promise<PublishResult>;
  broadcast(body: Buffer): PublishResult | Promise<PublishResult>;
  /** `collect`: run a full GC first when the process allows it (--expose-gc), for steady figures. */
  stats(collect: boolean): unknown;
}

export interface RouteAnswer {
  kind: 'respond';
  status: number;
  body: unknown;
  headers?: string;
}

export type RouteOutcome =
  /** Turn the connection into an event stream for these ids. */
  | { kind: 'stream'; ids: string[]; lastEventId: string | null }
  | RouteAnswer
  /** The answer comes later (the bus, or the cluster's stats); it always settles. */
  | { kind: 'later'; outcome: Promise<RouteAnswer> };

export function splitTarget(target: string): { path: string; query: URLSearchParams | null } {
  const q = target.indexOf('?');
  return q === -1 ? { path: target, query: null } : { path: target.slice(0, q), query: new URLSearchParams(target.slice(q + 1)) };
}

function methodNotAllowed(allow: string): RouteAnswer {
  return { kind: 'respond', status: 405, body: { error: `method not allowed; use ${allow}` }, headers: `Allow: ${allow}\r\n` };
}

function error(status: number, message: string): RouteAnswer {
  return { kind: 'respond', status, body: { error: message } };
}

/** Built once: the index is the same for every request. */
const INDEX = {
  service: 'leakcheck push server',
  endpoints: [
    'GET /sub/<id>[,<id>...][?token=T]  Server-Sent Events for those ids (Last-Event-ID resumes)',
    'POST /pub/<id>  body to every connection logged in as <id>',
    'POST /broadcast  body to every stream',
    'GET /stats[?gc=1]  connections, memory, kernel socket memory, bus state',
  ],
};

export function routeRequest(ctx: RouteContext, head: RequestHead, body: Buffer): RouteOutcome {
  const { path, query } = splitTarget(head.target);
  if (path.startsWith('/sub/')) {
    if (head.method !== 'GET') return methodNotAllowed('GET');
    const subscription = path.slice(5);
    const ids = subscription.split(',');
    if (ids.length > MAX_IDS_PER_STREAM) return error(400, `at most ${MAX_IDS_PER_STREAM} ids per stream`);
    for (const id of ids) if (!ID_PATTERN.test(id)) return error(400, 'ids are 1-128 characters of A-Z a-z 0-9 . _ ~ -');
    if (ctx.authSecret !== null) {
      const token = query?.get('token') ?? bearer(head.authorization);
      const verdict = checkToken(ctx.authSecret, subscription, token, Math.floor(ctx.nowMs() / 1000));
      if (verdict === 'missing') return error(401, 'a token is required: ?token=<expiry>.<mac> or Authorization: Bearer');
      if (verdict !== 'ok') return error(403, `token ${verdict === 'expired' ? 'expired' : 'invalid'}`);
    }
    return { kind: 'stream', ids, lastEventId: head.lastEventId ?? query?.get('lastEventId') ?? null };
  }
  if (path.startsWith('/pub/')) {
    if (head.method !== 'POST') return methodNotAllowed('POST');
    const id = path.slice(5);
    if (!ID_PATTERN.test(id)) return error(400, 'ids are 1-128 characters of A-Z a-z 0-9 . _ ~ -');
    const denied = checkPublisher(ctx, head, 'publishing');
    if (denied !== null) return denied;
    return published(ctx.publish(id, body));
  }
  if (path === '/broadcast') {
    if (head.method !== 'POST') return methodNotAllowed('POST');
    const denied = checkPublisher(ctx, head, 'publishing');
    if (denied !== null) return denied;
    return published(ctx.broadcast(body));
  }
  if (path === '/stats') {
    if (head.method !== 'GET') return methodNotAllowed('GET');
    const denied = checkPublisher(ctx, head, '/stats');
    if (denied !== null) return denied;
    const stats = ctx.stats(query?.get('gc') === '1');
    if (stats instanceof Promise) {
      return { kind: 'later', outcome: stats.then((body): RouteAnswer => ({ kind: 'respond', status: 200, body }), () => error(503, 'the cluster did not answer')) };
    }
    return { kind: 'respond', status: 200, body: stats };
  }
  if (path === '/') {
    if (head.method !== 'GET') return methodNotAllowed('GET');
    return { kind: 'respond', status: 200, body: INDEX };
  }
  return error(404, 'not found');
}

/** Publishing and /stats need the secret itself when there is one. */
function checkPublisher(ctx: RouteContext, head: RequestHead, what: string): RouteAnswer | null {
  if (ctx.authSecret === null) return null;
  const presented = bearer(head.authorization);
  if (presented === null) return error(401, `${what} needs Authorization: Bearer <secret>`);
  if (!secretMatches(ctx.authSecret, presented)) return error(403, 'wrong publisher secret');
  return null;
}

function published(result: PublishResult | Promise<PublishResult>): RouteOutcome {
  if (result instanceof Promise) return { kind: 'later', outcome: result.then(answerPublish) };
  return answerPublish(result);
}

function answerPublish(result: PublishResult): RouteAnswer {
  if (result === 'bus-down') return error(503, 'the bus is down; nothing was delivered, retry later');
  return { kind: 'respond', status: 200, body: result };
}
