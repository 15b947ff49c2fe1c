import { expectCount, expectFiniteArray, expectObject, expectOneOf, StateShapeError } from "../shape.js";

/**
 * A bounded, mergeable sample of rows (vectors of `dim` numbers): what a multivariate test keeps
 * of a window or a reference, so that memory does not grow with traffic.
 *
 * Each row gets a priority from a hash of its numbers and the seed, and the sample keeps the
 * `size` rows of smallest priority (bottom-k, or "consistent" sampling, as KMV/theta sketches do).
 * Unlike reservoir sampling with a random stream, the rows kept depend only on the set of rows
 * seen, not on their order or on how they were split: `merge(a, b)` equals one pass over both, so
 * sliding windows roll it up from panes and a checkpoint restores it exactly. A row is kept with
 * probability about `size / seen`; equal rows share a priority and are kept or dropped together,
 * which leaves every row's inclusion probability unchanged.
 *
 * Written here because no maintained package samples plain JSON rows mergeably by hash.
 */
export interface SampleState {
  readonly kind: "sample";
  /** Numbers per row. */
  readonly dim: number;
  /** Most rows kept. */
  readonly size: number;
  /** Seed of the priority hash (a reference and its windows use different seeds). */
  readonly seed: number;
  /** Valid rows seen (kept or not). */
  seen: number;
  /** Priorities of the kept rows, a binary max-heap (the largest first). */
  priorities: number[];
  /** The kept rows, flat, in the order of `priorities`: row i is `rows[i * dim .. (i + 1) * dim)`. */
  rows: number[];
  missing: number;
  invalid: number;
}

/** An empty sample of rows of `dim` numbers keeping at most `size`. */
export function emptySample(dim: number, size: number, seed: number): SampleState {
  return { kind: "sample", dim, size, seed, seen: 0, priorities: [], rows: [], missing: 0, invalid: 0 };
}

const buffer = new DataView(new ArrayBuffer(8));

/**
 * The priority of a row: 53 bits of two independent 32-bit hash lanes (murmur3's finaliser over
 * the row's float64 words, mixed with the seed), so that distinct rows almost never tie.
 */
export function rowPriority(row: ArrayLike<number>, offset: number, dim: number, seed: number): number {
  let h1 = (seed ^ 0x9e3779b9) >>> 0;
  let h2 = (Math.imul(seed, 0x85ebca6b) ^ 0xc2b2ae35) >>> 0;
  for (let j = 0; j < dim; j++) {
    // +0 and -0 are one value; so are the rows they appear in.
    const x = row[offset + j];
    buffer.setFloat64(0, x === 0 ? 0 : x);
    const lo = buffer.getUint32(0);
    const hi = buffer.getUint32(4);
    h1 = Math.imul(h1 ^ lo, 0xcc9e2d51);
    h1 = Math.imul((h1 << 15) | (h1 >>> 17), 0x1b873593) ^ hi;
    h2 = Math.imul(h2 ^ hi, 0x1b873593);
    h2 = Math.imul((h2 << 13) | (h2 >>> 19), 0xcc9e2d51) ^ lo;
  }
  h1 = fmix(h1 ^ dim);
  h2 = fmix(h2 ^ h1);
  return (h1 >>> 0) * 2097152 + (h2 >>> 11);
}

function fmix(h: number): number {
  let x = h;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** -1, 0 or 1: the order of rows `i` and `j` of two flat arrays, by priority, then by their numbers. */
function compareRows(
  pa: number,
  a: readonly number[],
  i: number,
  pb: number,
  b: readonly number[],
  j: number,
  dim: number,
): number {
  if (pa !== pb) return pa < pb ? -1 : 1;
  for (let k = 0; k < dim; k++) {
    const x = a[i * dim + k];
    const y = b[j * dim + k];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function swap(state: SampleState, i: number, j: number): void {
  const p = state.priorities;
  const rows = state.rows;
  const dim = state.dim;
  const t = p[i];
  p[i] = p[j];
  p[j] = t;
  for (let k = 0; k < dim; k++) {
    const u = rows[i * dim + k];
    rows[i * dim + k] = rows[j * dim + k];
    rows[j * dim + k] = u;
  }
}

function greater(state: SampleState, i: number, j: number): boolean {
  return compareRows(state.priorities[i], state.rows, i, state.priorities[j], state.rows, j, state.dim) > 0;
}

function siftUp(state: SampleState, from: number): void {
  let i = from;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!greater(state, i, parent)) return;
    swap(state, i, parent);
    i = parent;
  }
}

function siftDown(state: SampleState, from: number): void {
  const n = state.priorities.length;
  let i = from;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= n) return;
    const right = left + 1;
    const child = right < n && greater(state, right, left) ? right : left;
    if (!greater(state, child, i)) return;
    swap(state, i, child);
    i = child;
  }
}

/** Offers one valid row (a copy of `row[offset .. offset + dim)` is kept if it is among the smallest). */
function offer(state: SampleState, row: ArrayLike<number>, offset: number, priority: number): void {
  const dim = state.dim;
  const p = state.priorities;
  if (p.length < state.size) {
    p.push(priority);
    for (let k = 0; k < dim; k++) state.rows.push(row[offset + k]);
    siftUp(state, p.length - 1);
    return;
  }
  if (state.size === 0) return;
  // Kept only when smaller than the largest kept row (ties broken by the numbers, so the kept set
  // does not depend on arrival order).
  if (priority > p[0]) return;
  if (priority === p[0]) {
    for (let k = 0; k < dim; k++) {
      const x = row[offset + k];
      const y = state.rows[k];
      if (x !== y) {
        if (x > y) return;
        break;
      }
      if (k === dim - 1) return;
    }
  }
  p[0] = priority;
  for (let k = 0; k < dim; k++) state.rows[k] = row[offset + k];
  siftDown(state, 0);
}

/** True when `value` is an array of exactly `dim` finite numbers: a valid vector feature value. */
export function isVector(value: unknown, dim: number): value is number[] {
  if (!Array.isArray(value) || value.length !== dim) return false;
  for (let k = 0; k < dim; k++) {
    const x = value[k];
    if (typeof x !== "number" || !Number.isFinite(x)) return false;
  }
  return true;
}

/**
 * Adds one event's value: an array of `dim` finite numbers. `undefined` and `null` are missing; any
 * other value (not an array, another length, a non-number or non-finite entry) is invalid.
 */
export function updateSample(state: SampleState, value: unknown): void {
  if (value === undefined || value === null) {
    state.missing++;
    return;
  }
  if (!isVector(value, state.dim)) {
    state.invalid++;
    return;
  }
  state.seen++;
  offer(state, value as number[], 0, rowPriority(value as number[], 0, state.dim, state.seed));
}

/** The sample of both inputs: the same rows one pass over a's then b's would keep. */
export function mergeSamples(a: SampleState, b: SampleState): SampleState {
  if (a.dim !== b.dim || a.size !== b.size || a.seed !== b.seed)
    throw new TypeError("cannot merge samples of different dimension, size or seed");
  const out: SampleState = {
    ...emptySample(a.dim, a.size, a.seed),
    seen: a.seen + b.seen,
    missing: a.missing + b.missing,
    invalid: a.invalid + b.invalid,
  };
  for (const side of [a, b])
    for (let i = 0; i < side.priorities.length; i++) offer(out, side.rows, i * side.dim, side.priorities[i]);
  return out;
}

/** The kept rows as one row-major block, in a fixed order (by priority), for the tests. */
export function sampleRows(state: SampleState): { n: number; dim: number; data: Float64Array } {
  const n = state.priorities.length;
  const dim = state.dim;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) =>
    compareRows(state.priorities[i], state.rows, i, state.priorities[j], state.rows, j, dim),
  );
  const data = new Float64Array(n * dim);
  for (let r = 0; r < n; r++) {
    const from = order[r] * dim;
    for (let k = 0; k < dim; k++) data[r * dim + k] = state.rows[from + k];
  }
  return { n, dim, data };
}

/** True when the sample holds fewer rows than it saw: a test ran on a sample, which reports say. */
export function sampled(state: SampleState): boolean {
  return state.seen > state.priorities.length;
}

/**
 * Checks a sample read back from a checkpoint before it is used: counts, a priority per kept row,
 * finite numbers, no more rows than `size`, and the heap order the updates rely on. Throws a
 * `StateShapeError` naming the path.
 */
export function checkSample(value: unknown, path: string): void {
  const state = expectObject(value, path);
  expectOneOf(state.kind, ["sample"] as const, `${path}/kind`);
  const dim = expectCount(state.dim, `${path}/dim`);
  const size = expectCount(state.size, `${path}/size`);
  expectCount(state.seed, `${path}/seed`);
  const seen = expectCount(state.seen, `${path}/seen`);
  expectCount(state.missing, `${path}/missing`);
  expectCount(state.invalid, `${path}/invalid`);
  const priorities = expectFiniteArray(state.priorities, `${path}/priorities`);
  const kept = priorities.length;
  if (kept > size || kept > seen || dim < 1)
    throw new StateShapeError(`${path}: ${kept} rows kept of ${seen} seen, with size ${size} and dim ${dim}`);
  expectFiniteArray(state.rows, `${path}/rows`, kept * dim);
  const sample = state as unknown as SampleState;
  for (let i = 1; i < kept; i++)
    if (greater(sample, i, (i - 1) >> 1))
      throw new StateShapeError(`${path}/priorities: not in heap order at ${i}`);
}
