/**
 * A mergeable quantile sketch (KLL: Karnin, Lang & Liberty 2016, "Optimal Quantile Approximation in
 * Streams", FOCS) and the drift statistics read from it: two-sample KS, Wasserstein-1 and the
 * binned distances (PSI, Jensen–Shannon, Hellinger) from approximate CDFs. The state is plain JSON
 * of bounded size, so a window of any length checkpoints in a few kilobytes per numeric feature.
 *
 * The sketch is Liberty's lazy variant of KLL: level h holds items of weight 2^h; a level that
 * reaches its capacity max(8, ⌈k·(2/3)^(H−h−1)⌉ + 1) is sorted and compacted (every other item, from an
 * offset chosen by a fair coin, moves up one level with twice the weight). Compaction only runs
 * when the whole sketch is full (and never before it holds 3k items), so it retains at most about
 * 3k + 8H items (H ≈ log2(n/k) levels) and is exact below 3k values.
 *
 * Why written here: KS needs a bound on rank error, which DDSketch (`@datadog/sketches-js`) does
 * not give (its guarantee is on relative value error), and the npm t-digest (`tdigest`) has an
 * empirical, merge-order-dependent error and no seeded state; no maintained npm KLL or GK was found.
 *
 * The error bound is stated a posteriori from the state itself. Compacting a sorted level of
 * weight w changes the count of items ≤ x by 0 (an even number of the level's items are ≤ x) or
 * by ±w with a fair coin, so the rank error at x is a martingale with increments bounded by the
 * compactions' weights; Azuma–Hoeffding bounds it by t with probability ≥ 1 − 2·exp(−t²/(2V)),
 * V = Σ w² over every compaction (kept in the state, added by merges). The error is a step
 * function of x that changes only at the n inputs, so a union bound over n + 1 steps gives, with
 * probability ≥ 1 − δ, sup_x |R̂(x) − R(x)| ≤ √(2V·ln(2(n+1)/δ)) = ε·n: see `kllRankError`.
 * For two sketches, |D_sketch − D_exact| ≤ ε_ref + ε_cur (the sup-distance of the approximate
 * CDFs is within the sum of their sup-errors of the exact one).
 *
 * Coins: each compaction's coin is one draw of `seededRandom` seeded by the sketch's seed, its
 * count of compactions so far (`flips`) and the bits of the level's two end items, so a checkpoint
 * restores the sketch exactly and sibling panes built with the same seed do not share coins. The
 * bound treats these pseudo-random coins as independent fair ones.
 */

import { ksAsymptotic } from "./ks.js";
import { seededRandom } from "./prng.js";
import type { ColumnHistogram, SortedSample, TestResult } from "./types.js";

/** The KLL sketch's plain-JSON state (see the module comment). */
export interface KllState {
  /** Accuracy parameter: the top level's capacity; the rank error falls as about 1/k. */
  readonly k: number;
  /** Seed of the compaction coins. */
  readonly seed: number;
  /** Compactions so far (each draws one coin). */
  flips: number;
  /** Values added (the total weight of the levels: Σ_h |levels[h]|·2^h). */
  n: number;
  /** Level h holds items of weight 2^h, unsorted. */
  levels: number[][];
  /** Σ w² over every compaction: the variance proxy of the rank error (see `kllRankError`). */
  variance: number;
  /** Smallest and largest value added, null while empty. */
  min: number | null;
  max: number | null;
  /** Running mean and sum of squared deviations (Welford; Chan et al. 1979 to merge), for the standard deviation. */
  mean: number;
  m2: number;
}

/**
 * Default accuracy parameter. Apache DataSketches' KLL defaults to 200 (about 1.7 % normalised
 * rank error at 99 %); at that size KS verdicts of windows of 10k–100k values differ from exact
 * mode's in 3 % of windows (`npm run bench:sketch`), because the D at which KS calls drift there is
 * about k 200's error. 1000 agrees on 99.87 % and still keeps a feature under 64 KiB of state.
 */
export const KLL_DEFAULT_K = 1000;

/** The confidence the stated bounds hold with, per sketch: 1 − KLL_DELTA. */
export const KLL_DELTA = 0.005;

/** An empty KLL sketch. */
export function kllEmpty(k: number = KLL_DEFAULT_K, seed = 0): KllState {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`KLL k must be an integer ≥ 2 (got ${k})`);
  return { k, seed, flips: 0, n: 0, levels: [[]], variance: 0, min: null, max: null, mean: 0, m2: 0 };
}

/**
 * Capacity of level h of a sketch with `depth` levels: ⌈k·(2/3)^(depth−h−1)⌉ + 1, and at least 8
 * (Apache DataSketches' minimum level width), so the low levels are not compacted every other update.
 */
function capacity(k: number, depth: number, h: number): number {
  return Math.max(8, Math.ceil(k * (2 / 3) ** (depth - h - 1)) + 1);
}

const maxSizes = new Map<number, number>();

/** Most items a sketch with `depth` levels holds before it compacts (memoised: it runs per update once level 0 is full). */
function maxSize(k: number, depth: number): number {
  const key = k * 4096 + depth;
  let total = maxSizes.get(key);
  if (total === undefined) {
    total = 0;
    for (let h = 0; h < depth; h++) total += capacity(k, depth, h);
    maxSizes.set(key, total);
  }
  return total;
}

/** Items held, over every level. */
function retained(state: KllState): number {
  let size = 0;
  for (const level of state.levels) size += level.length;
  return size;
}

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);

/** The bits of a double folded into 32. */
function hashDouble(x: number): number {
  bits[0] = x;
  return (words[0] ^ Math.imul(words[1], 0x9e3779b9)) >>> 0;
}

/** Sorts level h and moves every other item up a level; returns nothing, mutates the state. */
function compactLevel(state: KllState, h: number): void {
  if (h + 1 >= state.levels.length) state.levels.push([]);
  const level = Float64Array.from(state.levels[h]).sort();
  const m = level.length;
  const seed =
    (state.seed ^
      Math.imul(state.flips + 1, 0x85ebca6b) ^
      hashDouble(level[0]) ^
      hashDouble(level[m - 1])) >>>
    0;
  const offset = seededRandom(seed)() < 0.5 ? 0 : 1;
  state.flips++;
  // An odd level keeps its largest item where it is; the rest are paired.
  const paired = m - (m % 2);
  const up = state.levels[h + 1];
  for (let i = offset; i < paired; i += 2) up.push(level[i]);
  state.levels[h] = m % 2 === 1 ? [level[m - 1]] : [];
  const w = 2 ** h;
  state.variance += w * w;
}

/**
 * Compacts the lowest full levels until the sketch is below its size limit (Liberty's lazy KLL).
 * The limit is never below 3k, the steady-state size, so a sketch of fewer than 3k values holds
 * them all (and is exact) instead of compacting early at k + 1.
 */
function compress(state: KllState): void {
  while (retained(state) >= sizeLimit(state)) {
    const depth = state.levels.length;
    let h = 0;
    while (h < depth && state.levels[h].length < capacity(state.k, depth, h)) h++;
    // The sketch is full, so some level is at its capacity; the guard only protects the loop.
    if (h === depth) h = depth - 1;
    compactLevel(state, h);
  }
  compressAt.delete(state.levels[0]);
}

/** The number of items at which a sketch compacts: its levels' capacities, and never below 3k. */
function sizeLimit(state: KllState): number {
  return Math.max(3 * state.k, maxSize(state.k, state.levels.length));
}

/**
 * The length of level 0 at which `kllUpdate` must compress, per level-0 array: the other levels
 * change only when it is compressed (which replaces or forgets the entry), so updates in between
 * compare one length instead of summing every level. A cache, not state: a sketch read back from
 * JSON computes it again.
 */
const compressAt = new WeakMap<number[], number>();

/**
 * Adds one value (finite: callers count NaN and infinities as invalid). Amortised O(log k).
 *
 * @example
 * const s = kllEmpty(200, 1);
 * for (let i = 0; i < 1000; i++) kllUpdate(s, i);
 * s.n // 1000
 */
export function kllUpdate(state: KllState, value: number): void {
  state.levels[0].push(value);
  state.n++;
  const delta = value - state.mean;
  state.mean += delta / state.n;
  state.m2 += delta * (value - state.mean);
  if (state.min === null || value < state.min) state.min = value;
  if (state.max === null || value > state.max) state.max = value;
  const level0 = state.levels[0];
  let at = compressAt.get(level0);
  if (at === undefined) {
    at = Math.max(
      2,
      capacity(state.k, state.levels.length, 0),
      sizeLimit(state) - (retained(state) - level0.length),
    );
    compressAt.set(level0, at);
  }
  if (level0.length >= at) compress(state);
}

/**
 * The sketch of both inputs: their levels concatenated, then compacted to the size limit. The
 * error bound holds for the union (the variances add); the result takes a's k, seed and coin
 * count plus b's. Inputs are not changed.
 *
 * Edge cases: sketches of different k throw a RangeError (their capacities differ).
 */
export function kllMerge(a: KllState, b: KllState): KllState {
  if (a.k !== b.k) throw new RangeError(`cannot merge KLL sketches of k ${a.k} and ${b.k}`);
  const depth = Math.max(a.levels.length, b.levels.length);
  const levels: number[][] = [];
  for (let h = 0; h < depth; h++) levels.push([...(a.levels[h] ?? []), ...(b.levels[h] ?? [])]);
  const n = a.n + b.n;
  const delta = b.mean - a.mean;
  const merged: KllState = {
    k: a.k,
    seed: a.seed,
    flips: a.flips + b.flips,
    n,
    levels,
    variance: a.variance + b.variance,
    min: a.min === null ? b.min : b.min === null ? a.min : Math.min(a.min, b.min),
    max: a.max === null ? b.max : b.max === null ? a.max : Math.max(a.max, b.max),
    mean: n === 0 ? 0 : a.mean + (delta * b.n) / n,
    m2: n === 0 ? 0 : a.m2 + b.m2 + (delta * delta * a.n * b.n) / n,
  };
  compress(merged);
  return merged;
}

/**
 * The normalised rank error ε that holds with probability ≥ 1 − δ for every x at once:
 * sup_x |R̂(x) − R(x)| / n ≤ √(2V·ln(2(n+1)/δ)) / n, V the state's `variance` (module comment).
 * 0 while the sketch has never compacted (it then holds every value).
 *
 * @example
 * kllRankError(kllEmpty()) // 0
 */
export function kllRankError(state: KllState, delta: number = KLL_DELTA): number {
  if (state.n === 0 || state.variance === 0) return 0;
  return Math.min(1, Math.sqrt(2 * state.variance * Math.log((2 * (state.n + 1)) / delta)) / state.n);
}

/**
 * What the sketch-mode statistics read of one side: ascending distinct-position items with the
 * cumulative weight at each (the approximate count of values ≤ item), the total, the bound on the
 * normalised rank error, the exact range and the population standard deviation.
 */
export interface CdfView {
  readonly values: Float64Array;
  /** cumulative[i] = total weight of items ≤ values[i] (ties summed on the last of them). */
  readonly cumulative: Float64Array;
  readonly n: number;
  /** Normalised rank error bound (0 for an exact view). */
  readonly rankError: number;
  readonly min: number;
  readonly max: number;
  /** Population standard deviation (ddof 0). */
  readonly std: number;
}

/**
 * The approximate CDF of a sketch. Edge cases: an empty sketch throws a RangeError (callers skip
 * columns without values).
 */
export function kllView(state: KllState, delta: number = KLL_DELTA): CdfView {
  if (state.n === 0 || state.min === null || state.max === null)
    throw new RangeError("CDF of an empty sketch");
  if (state.variance === 0 && state.levels.length === 1) {
    // Never compacted: every value with weight 1, sorted as `sortFloat64` sorts (−0 before 0).
    const values = Float64Array.from(state.levels[0]).sort();
    return {
      values,
      cumulative: Float64Array.from(values, (_, i) => i + 1),
      n: state.n,
      rankError: 0,
      min: state.min,
      max: state.max,
      std: Math.sqrt(Math.max(state.m2, 0) / state.n),
    };
  }
  const size = retained(state);
  const order = new Float64Array(size);
  const weight = new Float64Array(size);
  let at = 0;
  for (let h = 0; h < state.levels.length; h++)
    for (const x of state.levels[h]) {
      order[at] = x;
      weight[at++] = 2 ** h;
    }
  const index = Array.from({ length: size }, (_, i) => i).sort((i, j) => order[i] - order[j]);
  const values = new Float64Array(size);
  const cumulative = new Float64Array(size);
  let total = 0;
  for (let i = 0; i < size; i++) {
    values[i] = order[index[i]];
    total += weight[index[i]];
    cumulative[i] = total;
  }
  return {
    values,
    cumulative,
    n: state.n,
    rankError: kllRankError(state, delta),
    min: state.min,
    max: state.max,
    std: Math.sqrt(Math.max(state.m2, 0) / state.n),
  };
}

/**
 * Whether a view holds every value with weight 1 (a sketch that never compacted, or an exact view):
 * its `values` are then the sorted sample itself, and the exact statistics apply.
 */
export function isExactView(view: CdfView): boolean {
  return view.rankError === 0 && view.values.length === view.n;
}

/**
 * The exact CDF of an ascending sample as a view (a reference loaded from a file in sketch mode):
 * rank error 0, so the statistics are exact on that side.
 */
export function exactView(sorted: SortedSample): CdfView {
  const n = sorted.length;
  if (n === 0) throw new RangeError("CDF of an empty sample");
  const cumulative = new Float64Array(n);
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < n; i++) {
    cumulative[i] = i + 1;
    const d = sorted[i] - mean;
    mean += d / (i + 1);
    m2 += d * (sorted[i] - mean);
  }
  return {
    values: sorted,
    cumulative,
    n,
    rankError: 0,
    min: sorted[0],
    max: sorted[n - 1],
    std: Math.sqrt(m2 / n),
  };
}

/** Approximate count of values ≤ x: the cumulative weight of the last item ≤ x. */
export function viewRank(view: CdfView, x: number): number {
  let lo = 0;
  let hi = view.values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (view.values[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? 0 : view.cumulative[lo - 1];
}

/** Value at 0-based position p of the (approximate) sorted sample: the first item whose cumulative weight exceeds p. */
function valueAt(view: CdfView, p: number): number {
  let lo = 0;
  let hi = view.values.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (view.cumulative[mid] > p) hi = mid;
    else lo = mid + 1;
  }
  return view.values[lo];
}

/**
 * Quantile q by numpy's `method="linear"` on the view's (approximate) sorted sample, with the
 * interpolation of `quantileLinear` in `bins.ts`: on an exact view it is `np.quantile` bit for bit;
 * on a sketch its rank is within ε·n of the exact one.
 */
export function viewQuantile(view: CdfView, q: number): number {
  const h = (view.n - 1) * q;
  if (h >= view.n - 1) return valueAt(view, view.n - 1);
  const lo = Math.floor(h);
  const a = valueAt(view, lo);
  const b = valueAt(view, lo + 1);
  const t = h - lo;
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/**
 * Two-sample KS from two CDF views: D = max over the union of their items of |F_ref(x) − F_cur(x)|
 * (each counting values ≤ x); |D − D_exact| ≤ ε_ref + ε_cur with probability ≥ 1 − 2δ. The p-value
 * is scipy's `method='asymp'` one, `kstwo.sf(D, round(n1·n2/(n1+n2)))` with the true sizes.
 * `details`: `{ method: "sketch", d_error_bound, n_effective }`.
 *
 * @example
 * const v = exactView(Float64Array.of(1, 2, 3));
 * ksFromViews(v, exactView(Float64Array.of(4, 5, 6))).statistic // 1
 */
export function ksFromViews(reference: CdfView, current: CdfView): TestResult {
  const a = reference;
  const b = current;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < a.values.length || j < b.values.length) {
    const x =
      i === a.values.length
        ? b.values[j]
        : j === b.values.length
          ? a.values[i]
          : Math.min(a.values[i], b.values[j]);
    while (i < a.values.length && a.values[i] <= x) i++;
    while (j < b.values.length && b.values[j] <= x) j++;
    const fa = i === 0 ? 0 : a.cumulative[i - 1] / a.n;
    const fb = j === 0 ? 0 : b.cumulative[j - 1] / b.n;
    d = Math.max(d, Math.abs(fa - fb));
  }
  const asymptotic = ksAsymptotic(d, a.n, b.n);
  const nEffective = asymptotic.nEffective;
  const p = d === 0 ? 1 : asymptotic.pValue;
  return {
    statistic: d,
    pValue: p,
    details: { method: "sketch", d_error_bound: a.rankError + b.rankError, n_effective: nEffective },
  };
}

/**
 * Wasserstein-1 distance ∫ |F_ref − F_cur| dx from two CDF views, over the union of their items
 * (as `wasserstein` in `distances.ts` on the raw values). The error is at most
 * (ε_ref + ε_cur)·(max − min) and in practice far smaller.
 */
export function wassersteinFromViews(reference: CdfView, current: CdfView): number {
  const a = reference;
  const b = current;
  let i = 0;
  let j = 0;
  let x = Math.min(a.values[0], b.values[0]);
  let sum = 0;
  for (;;) {
    while (i < a.values.length && a.values[i] <= x) i++;
    while (j < b.values.length && b.values[j] <= x) j++;
    if (i === a.values.length && j === b.values.length) break;
    const next =
      i === a.values.length
        ? b.values[j]
        : j === b.values.length
          ? a.values[i]
          : Math.min(a.values[i], b.values[j]);
    const fa = i === 0 ? 0 : a.cumulative[i - 1] / a.n;
    const fb = j === 0 ? 0 : b.cumulative[j - 1] / b.n;
    sum += Math.abs(fa - fb) * (next - x);
    x = next;
  }
  return sum;
}

/** Shared bins of two views: the reference's deciles as cuts, the proportions from each CDF. */
export interface ViewBins {
  readonly cuts: number[];
  readonly range: [number, number];
  readonly reference: number[];
  readonly current: number[];
}

/**
 * The numeric shared bins of `sharedBins` (`bins.ts`) from two views: interior cuts at the
 * reference's deciles (numpy linear, repeats dropped), right-closed bins with open outer ends,
 * each side's proportion in bin i being F(c_i) − F(c_{i−1}). On exact views these are exactly
 * the bins of `sharedBins`; on sketches each proportion is within 2ε of the exact one.
 */
export function binsFromViews(reference: CdfView, current: CdfView): ViewBins {
  const cuts: number[] = [];
  for (let q = 1; q <= 9; q++) {
    const c = viewQuantile(reference, q / 10);
    if (cuts.length === 0 || c > cuts[cuts.length - 1]) cuts.push(c);
  }
  const proportions = (view: CdfView): number[] => {
    const out: number[] = [];
    let below = 0;
    for (const c of cuts) {
      const atOrBelow = viewRank(view, c);
      out.push((atOrBelow - below) / view.n);
      below = atOrBelow;
    }
    out.push((view.n - below) / view.n);
    return out;
  };
  return {
    cuts,
    range: [Math.min(reference.min, current.min), Math.max(reference.max, current.max)],
    reference: proportions(reference),
    current: proportions(current),
  };
}

/** The report histogram of view bins. */
export function viewHistogram(bins: ViewBins): ColumnHistogram {
  return {
    kind: "numeric",
    cuts: bins.cuts,
    range: bins.range,
    reference: bins.reference,
    current: bins.current,
  };
}
