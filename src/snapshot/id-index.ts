/**
 * V8 object id → ordinal, as an open-addressing hash table in two typed arrays (ids are not in
 * ordinal order: V8 numbers objects as it meets them, synthetic roots get small odd ids).
 * Capacity is a power of two at least 1.5 × the node count, so linear probes stay short.
 */
export class IdIndex {
  private readonly keys: Uint32Array;
  /** ordinal + 1 per slot; 0 marks an empty slot. */
  private readonly slots: Uint32Array;
  private readonly mask: number;

  constructor(ids: Uint32Array) {
    let capacity = 1024;
    while (capacity < ids.length * 1.5) capacity *= 2;
    this.keys = new Uint32Array(capacity);
    this.slots = new Uint32Array(capacity);
    this.mask = capacity - 1;
    const { keys, slots, mask } = this;
    // Invariant: every id inserted so far sits at its hash slot or after it, with no empty slot
    // in between. A repeated id keeps its first ordinal.
    for (let ordinal = 0; ordinal < ids.length; ordinal++) {
      const id = ids[ordinal]!;
      let slot = hash(id) & mask;
      while (slots[slot] !== 0 && keys[slot] !== id) slot = (slot + 1) & mask;
      if (slots[slot] === 0) {
        keys[slot] = id;
        slots[slot] = ordinal + 1;
      }
    }
  }

  /** The ordinal of `id`, or -1. */
  ordinalOf(id: number): number {
    if (!(id >= 0 && id <= 0xffffffff) || id !== Math.floor(id)) return -1;
    const { keys, slots, mask } = this;
    let slot = hash(id) & mask;
    while (slots[slot] !== 0) {
      if (keys[slot] === id) return slots[slot]! - 1;
      slot = (slot + 1) & mask;
    }
    return -1;
  }
}

/** Fibonacci hashing: V8 ids step by 2, so the low bits alone would cluster. */
function hash(id: number): number {
  return Math.imul(id, 0x9e3779b1) >>> 7;
}
