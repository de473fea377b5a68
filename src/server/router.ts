/**
 * The id router: login(id, conn), logout(conn), send(id, frame).
 *
 * Cleanup invariant: a connection is referenced by the router only from `#byId` entries of the ids
 * listed in its own `ids` field, and every id in `#byId` has at least one connection. logout(conn)
 * walks `conn.ids`, removes conn from each entry, deletes entries left empty, and clears `conn.ids`;
 * after it the router holds no reference to conn and no trace of ids only conn had. Tests check
 * that the maps return to empty and that a logged-out connection is garbage-collected.
 *
 * Memory: most ids have exactly one connection, so an entry holds the connection itself and only
 * becomes a Set when a second connection logs in under the same id (a Set costs ~100+ bytes; the
 * direct reference costs nothing extra). `conn.ids` is likewise a string for one id and an array
 * only for several.
 */

export interface Routable {
  /** Ids this connection is logged in under: null (none), one id, or several. Owned by the router. */
  ids: string | string[] | null;
}

export type Deliver<C> = (conn: C, frame: Buffer) => void;

export class Router<C extends Routable> {
  readonly #byId = new Map<string, C | Set<C>>();
  readonly #deliver: Deliver<C>;
  #connectionCount = 0;

  /** `deliver` is one shared function for every connection (no per-connection closures). */
  constructor(deliver: Deliver<C>) {
    this.#deliver = deliver;
  }

  /** Logs `conn` in under `id`; logging in twice under the same id is a no-op. */
  login(id: string, conn: C): void {
    const ids = conn.ids;
    if (ids === null) {
      conn.ids = id;
      this.#connectionCount++;
    } else if (typeof ids === 'string') {
      if (ids === id) return;
      conn.ids = [ids, id];
    } else {
      if (ids.includes(id)) return;
      ids.push(id);
    }
    const entry = this.#byId.get(id);
    if (entry === undefined) this.#byId.set(id, conn);
    else if (entry instanceof Set) entry.add(conn);
    else this.#byId.set(id, new Set([entry, conn]));
  }

  /** Removes every trace of `conn`; safe to call more than once. */
  logout(conn: C): void {
    const ids = conn.ids;
    if (ids === null) return;
    conn.ids = null;
    this.#connectionCount--;
    if (typeof ids === 'string') this.#remove(ids, conn);
    else for (const id of ids) this.#remove(id, conn);
  }

  #remove(id: string, conn: C): void {
    const entry = this.#byId.get(id);
    if (entry === conn) {
      this.#byId.delete(id);
    } else if (entry instanceof Set) {
      entry.delete(conn);
      // Shrink back to the direct form so an id that was once shared does not keep a Set alive.
      if (entry.size === 1) this.#byId.set(id, entry.values().next().value as C);
      else if (entry.size === 0) this.#byId.delete(id);
    }
  }

  /** Hands `frame` to every connection logged in as `id`; returns how many. */
  send(id: string, frame: Buffer): number {
    const entry = this.#byId.get(id);
    if (entry === undefined) return 0;
    if (!(entry instanceof Set)) {
      this.#deliver(entry, frame);
      return 1;
    }
    // Copy first: delivering may destroy a slow consumer, which logs it out of this very Set.
    const conns = [...entry];
    for (const conn of conns) this.#deliver(conn, frame);
    return conns.length;
  }

  /** Connections currently logged in as `id`. */
  countOf(id: string): number {
    const entry = this.#byId.get(id);
    return entry === undefined ? 0 : entry instanceof Set ? entry.size : 1;
  }

  /** Distinct ids with at least one connection. */
  get idCount(): number {
    return this.#byId.size;
  }

  /** Connections logged in under at least one id. */
  get connectionCount(): number {
    return this.#connectionCount;
  }
}
