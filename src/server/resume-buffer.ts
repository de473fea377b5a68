/**
 * The last few frames sent to each id, so a client that reconnects with `Last-Event-ID` gets what
 * it missed. Bounded three ways, because a resume buffer for every id ever published to is a leak
 * by design: at most `framesPerId` frames per id, at most `maxIds` ids (least recently written id
 * evicted first), at most `maxBytes` frame bytes in total, and ids untouched for `ttlMs` are
 * dropped by `sweep`.
 *
 * A Map keeps insertion order, so re-inserting an id on write makes the Map itself the LRU list.
 */

export interface ResumeLimits {
  framesPerId: number;
  maxIds: number;
  maxBytes: number;
  ttlMs: number;
}

export interface ResumeFrame {
  seq: number;
  frame: Buffer;
}

interface Entry {
  /** Ring of (seq, frame); `seqs[k]` belongs to `frames[k]`. */
  seqs: number[];
  frames: Buffer[];
  /** Next slot to overwrite once the ring is full. */
  next: number;
  /** Highest sequence overwritten in the ring (-1: none): a resume from below it has a gap. */
  droppedSeq: number;
  bytes: number;
  touchedMs: number;
}

export class ResumeBuffer {
  readonly #limits: ResumeLimits;
  readonly #byId = new Map<string, Entry>();
  #bytes = 0;
  /**
   * Highest sequence among frames of ids dropped whole (LRU, bytes, TTL). An id with no buffer
   * may have been one of them, so a resume from below this for such an id reports a possible gap.
   */
  #evictedSeq = -1;
  /** Frames up to this sequence never reached this buffer (it was filled from a log that starts later). */
  #missedSeq = -1;

  constructor(limits: ResumeLimits) {
    this.#limits = limits;
  }

  /** Remembers `frame` (carrying sequence `seq`, increasing per node) as sent to `id`. */
  record(id: string, seq: number, frame: Buffer, nowMs: number): void {
    if (this.#limits.framesPerId === 0) return;
    let entry = this.#byId.get(id);
    if (entry === undefined) {
      entry = { seqs: [], frames: [], next: 0, droppedSeq: -1, bytes: 0, touchedMs: nowMs };
    } else {
      this.#byId.delete(id);
    }
    this.#byId.set(id, entry);
    entry.touchedMs = nowMs;
    if (entry.frames.length < this.#limits.framesPerId) {
      entry.seqs.push(seq);
      entry.frames.push(frame);
    } else {
      const old = entry.frames[entry.next];
      entry.bytes -= old.length;
      this.#bytes -= old.length;
      entry.droppedSeq = Math.max(entry.droppedSeq, entry.seqs[entry.next]);
      entry.seqs[entry.next] = seq;
      entry.frames[entry.next] = frame;
      entry.next = (entry.next + 1) % this.#limits.framesPerId;
    }
    entry.bytes += frame.length;
    this.#bytes += frame.length;
    this.#evict();
  }

  /**
   * Frames for `id` with a sequence above `afterSeq` (all when `afterSeq` is -1), oldest first;
   * `gap`: frames above `afterSeq` were (or, for an id dropped whole, may have been) dropped.
   */
  framesAfter(id: string, afterSeq: number): { frames: ResumeFrame[]; gap: boolean } {
    const entry = this.#byId.get(id);
    if (entry === undefined) return { frames: [], gap: afterSeq !== -1 && afterSeq < Math.max(this.#evictedSeq, this.#missedSeq) };
    const out: ResumeFrame[] = [];
    const count = entry.frames.length;
    for (let k = 0; k < count; k++) {
      const slot = (entry.next + k) % count;
      if (entry.seqs[slot] > afterSeq) out.push({ seq: entry.seqs[slot], frame: entry.frames[slot] });
    }
    return { frames: out, gap: afterSeq !== -1 && afterSeq < Math.max(entry.droppedSeq, this.#missedSeq) };
  }

  /** Frames with sequences up to `seq` may have been sent before this buffer saw any: resumes from below it report a gap. */
  missedThrough(seq: number): void {
    if (seq > this.#missedSeq) this.#missedSeq = seq;
  }

  /** Drops ids not written to for `ttlMs`. Oldest entries come first, so the walk stops early. */
  sweep(nowMs: number): void {
    for (const [id, entry] of this.#byId) {
      if (nowMs - entry.touchedMs < this.#limits.ttlMs) break;
      this.#drop(id, entry);
    }
  }

  #evict(): void {
    while (this.#byId.size > this.#limits.maxIds || this.#bytes > this.#limits.maxBytes) {
      const oldest = this.#byId.entries().next();
      if (oldest.done) return;
      this.#drop(oldest.value[0], oldest.value[1]);
    }
  }

  #drop(id: string, entry: Entry): void {
    this.#byId.delete(id);
    for (const seq of entry.seqs) if (seq > this.#evictedSeq) this.#evictedSeq = seq;
    this.#bytes -= entry.bytes;
  }

  get idCount(): number {
    return this.#byId.size;
  }

  get byteCount(): number {
    return this.#bytes;
  }
}
