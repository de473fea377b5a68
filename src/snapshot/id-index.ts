/**
 * V8 object id → ordinal. V8 numbers objects as it meets them and writes nodes in about that
 * order, so ids almost always rise with the ordinal (2.2 M nodes of a 155 MiB bench snapshot:
 * 8 exceptions, all at the end). The index uses that: ordinals whose id is not above every
 * earlier id are "exceptions", kept in a Map and flagged in a bit set; every other ordinal is
 * found by binary search over nodeIds itself, stepping over flagged ordinals. Extra memory is
 * N/8 bytes plus the exceptions, instead of a hash table several times the id array. A file
 * with many exceptions (not written by V8 in order) gets a plain Map.
 */
export class IdIndex {
  private readonly exceptions = new Map<number, number>();
  private readonly isException: Uint8Array;
  private readonly sortedCount: number;

  constructor(private readonly ids: Uint32Array) {
    const count = ids.length;
    this.isException = new Uint8Array((count >>> 3) + 1);
    let last = -1;
    let sorted = 0;
    // Invariant: `last` is the largest id among non-exception ordinals 0..ordinal-1.
    for (let ordinal = 0; ordinal < count; ordinal++) {
      const id = ids[ordinal]!;
      if (id > last) {
        last = id;
        sorted++;
      } else {
        this.isException[ordinal >>> 3]! |= 1 << (ordinal & 7);
        if (!this.exceptions.has(id)) this.exceptions.set(id, ordinal);
        if (this.exceptions.size > (count >>> 3) + 1024) {
          this.useMapOnly();
          break;
        }
      }
    }
    this.sortedCount = this.exceptions.size > (count >>> 3) + 1024 ? 0 : sorted;
  }

  private useMapOnly(): void {
    this.exceptions.clear();
    for (let ordinal = this.ids.length - 1; ordinal >= 0; ordinal--) this.exceptions.set(this.ids[ordinal]!, ordinal);
  }

  /** The ordinal of `id`, or -1. */
  ordinalOf(id: number): number {
    if (!(id >= 0 && id <= 0xffffffff) || id !== Math.floor(id)) return -1;
    if (this.sortedCount > 0) {
      const found = this.search(id);
      if (found >= 0) return found;
    }
    return this.exceptions.get(id) ?? -1;
  }

  /** Binary search over non-exception ordinals (their ids strictly increase). */
  private search(id: number): number {
    const { ids, isException } = this;
    const flagged = (ordinal: number) => (isException[ordinal >>> 3]! & (1 << (ordinal & 7))) !== 0;
    let low = 0;
    let high = ids.length - 1;
    // Invariant: if id is a non-exception id, its ordinal is in [low, high].
    while (low <= high) {
      let mid = (low + high) >>> 1;
      while (mid <= high && flagged(mid)) mid++;
      if (mid > high) {
        mid = (low + high) >>> 1;
        while (mid >= low && flagged(mid)) mid--;
        if (mid < low) return -1;
      }
      const at = ids[mid]!;
      if (at === id) return mid;
      if (at < id) low = mid + 1;
      else high = mid - 1;
    }
    return -1;
  }
}
