/**
 * The engine's one id lookup: ordinals sorted by V8 object id. Snapshot.ordinalById binary-searches
 * it and the diff merge-walks two of them (src/diff/id-diff.ts), so each snapshot sorts its ids once.
 *
 * Invariant: idOrder is a permutation of the ordinals 0..N-1 with
 * nodeIds[idOrder[k]] <= nodeIds[idOrder[k + 1]] for every k (strictly below for V8's files, whose
 * ids are unique); equal ids keep ordinal order, the sort being stable.
 * Cost: 4N bytes kept (idOrder itself; ids are read through it, never copied) plus one 4N-byte
 * temporary while sorting.
 *
 * Why a sort and not "ids are nearly sorted": V8 writes nodes roughly in id order, but not closely
 * enough to search the id array itself. The final snapshot of bench/make-leaky-snapshots.ts
 * (155 MiB, 2.19 M nodes) has 84,450 id descents and 2.12 M nodes below some earlier id (objects
 * allocated late sitting next to the old objects that point to them); the index this replaced
 * fell back to a Map there: 0.53 s and ~245 MiB more RSS per load.
 */
export function sortOrdinalsById(nodeIds: Uint32Array): Uint32Array {
  const count = nodeIds.length;
  const byLow = new Uint32Array(count);
  const idOrder = new Uint32Array(count);
  const buckets = new Uint32Array(RADIX + 1);
  // LSD radix sort, two 16-bit passes, O(N). Pass 1: ordinals by the low 16 bits of their id.
  // buckets[d + 1] counts digit d, then the prefix sums turn buckets[d] into the first free slot of
  // digit d.
  for (let ordinal = 0; ordinal < count; ordinal++) buckets[(nodeIds[ordinal]! & DIGIT_MASK) + 1]!++;
  for (let digit = 0; digit < RADIX; digit++) buckets[digit + 1]! += buckets[digit]!;
  for (let ordinal = 0; ordinal < count; ordinal++) byLow[buckets[nodeIds[ordinal]! & DIGIT_MASK]!++] = ordinal;
  // Pass 2: stable by the high 16 bits, so equal high digits keep the low-digit order.
  buckets.fill(0);
  for (let k = 0; k < count; k++) buckets[(nodeIds[byLow[k]!]! >>> 16) + 1]!++;
  for (let digit = 0; digit < RADIX; digit++) buckets[digit + 1]! += buckets[digit]!;
  for (let k = 0; k < count; k++) {
    const ordinal = byLow[k]!;
    idOrder[buckets[nodeIds[ordinal]! >>> 16]!++] = ordinal;
  }
  return idOrder;
}

const RADIX = 1 << 16;
const DIGIT_MASK = RADIX - 1;

/** The ordinal of `id` (the lowest one if a file repeats it), or -1; O(log N) over idOrder. */
export function ordinalOfId(nodeIds: Uint32Array, idOrder: Uint32Array, id: number): number {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) return -1;
  let low = 0;
  let high = idOrder.length;
  // Invariant: ids at slots below `low` are < id; ids at slots from `high` on are >= id.
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (nodeIds[idOrder[middle]!]! < id) low = middle + 1;
    else high = middle;
  }
  return low < idOrder.length && nodeIds[idOrder[low]!] === id ? idOrder[low]! : -1;
}
