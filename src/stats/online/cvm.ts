/**
 * The online Cramér–von Mises detector (Ross & Adams 2012, "Two nonparametric control charts for
 * detecting arbitrary distribution changes", J. Quality Technology 44(2): 102–116), as
 * alibi-detect 0.13's `CVMDriftOnline` on one numeric feature: at every event, the two-sample CVM
 * statistic between the reference and each sliding window of the last events, normalised by its
 * null mean and variance (Anderson 1962), against thresholds simulated for the expected run time.
 */

import { type Random, seededRandom } from "../prng.js";
import type { OnlineCalibrationCommon, OnlineDetector, OnlineOptionsCommon, OnlineUpdate } from "./types.js";

/**
 * How the statistic treats equal values. `count` is alibi-detect's: the ECDFs count ≤, so equal
 * values share one ECDF step. `break` orders equal values by seeded uniform keys, one per
 * reference value and per event (randomised tie-breaking), as if the data were continuous: the
 * statistic is then a function of ranks that are exchangeable under the null whatever the data,
 * so the thresholds (simulated for continuous data, as alibi-detect does) hold the ERT on data with
 * ties too. With `count`, a value holding a large share q of the data gets too many false alarms: a
 * window entirely on one side of it has probability q^w or (1 − q)^w, not the continuous one
 * (measured, ert 150, windows [10, 20, 40], n = 300: mean run length 0.94·ert at q = 0.1, 0.74 at
 * 0.2, 0.53 at 0.3, 0.30 for Seattle's daily precipitation, 57 % zeros). Breaking ties costs
 * some power, since equal values carry information; on data without ties the two agree.
 */
export type CvmTies = "count" | "break";

/** The share of the reference above which `auto` breaks ties: one value held by more than a tenth. */
export const AUTO_TIES_SHARE = 0.1;

/** Options of `calibrate` for the online CVM detector. */
export interface CvmOnlineOptions extends OnlineOptionsCommon {
  readonly type: "cvm";
  /**
   * How equal values are treated; `auto` (the default) breaks ties when one value holds more than
   * `AUTO_TIES_SHARE` of the reference, and otherwise counts them as alibi-detect does.
   */
  readonly ties?: CvmTies | "auto";
}

/**
 * Thresholds of the online CVM detector. They depend only on the reference size, the options and
 * the seed: the statistic is a function of ranks, so alibi-detect simulates any continuous data.
 */
export interface CvmOnlineCalibration extends OnlineCalibrationCommon {
  readonly type: "cvm";
  /** How equal values are treated (`auto` resolved against the reference). */
  readonly ties: CvmTies;
}

/** The online CVM detector's state: events since the start or last detection, and the last values. */
export interface CvmOnlineState {
  readonly t: number;
  /** The last min(t, max(window_sizes)) values, oldest first. */
  readonly values: readonly number[];
  /** Events seen since the detector was created (detections included): numbers the tie-breaking keys. */
  readonly events: number;
}

/** A reference sorted, with the prefix sums of its ECDF counts that every window reuses. */
export interface CvmReference {
  readonly n: number;
  readonly sorted: Float64Array;
  /** p1[k] = Σ_{i<k} U_i and p2[k] = Σ_{i<k} U_i², where U_i = #{reference ≤ sorted[i]}. */
  readonly p1: Float64Array;
  readonly p2: Float64Array;
  /** The most reference values that are equal to one another (1 without ties). */
  readonly largestTie: number;
}

/** Sorts a reference and tabulates what the statistic needs; throws a RangeError for an empty or non-finite one. */
export function cvmReference(reference: ArrayLike<number>): CvmReference {
  const n = reference.length;
  if (n === 0) throw new RangeError("cvm_online: the reference is empty");
  const sorted = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = reference[i];
    if (typeof x !== "number" || !Number.isFinite(x)) {
      throw new RangeError(`cvm_online: reference values must be finite numbers (got ${String(x)} at ${i})`);
    }
    sorted[i] = x;
  }
  sorted.sort();
  const p1 = new Float64Array(n + 1);
  const p2 = new Float64Array(n + 1);
  let largestTie = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && sorted[end] === sorted[start]) end++;
    largestTie = Math.max(largestTie, end - start);
    // Every value of a run of ties has the same ECDF count: the end of the run.
    for (let i = start; i < end; i++) {
      p1[i + 1] = p1[i] + end;
      p2[i + 1] = p2[i] + end * end;
    }
    start = end;
  }
  return { n, sorted, p1, p2, largestTie };
}

/** `auto` resolved for a reference (`CvmOnlineOptions.ties`). */
export function resolveTies(ties: CvmTies | "auto", reference: CvmReference): CvmTies {
  if (ties !== "auto") return ties;
  return reference.largestTie > AUTO_TIES_SHARE * reference.n ? "break" : "count";
}

/** Prefix sums of the ECDF counts 1 … n of a reference without ties (closed form). */
function distinctPrefixSums(n: number): { p1: Float64Array; p2: Float64Array } {
  const p1 = new Float64Array(n + 1);
  const p2 = new Float64Array(n + 1);
  for (let k = 0; k <= n; k++) {
    p1[k] = (k * (k + 1)) / 2;
    p2[k] = (k * (k + 1) * (2 * k + 1)) / 6;
  }
  return { p1, p2 };
}

/**
 * n²w² times the CVM sum of squared ECDF differences between a reference of n values and a window
 * of w values, S = Σ_{x ∈ ref} (F_ref(x) − F_win(x))² + Σ_{x ∈ win} (F_ref(x) − F_win(x))², with the
 * ECDFs counting ≤ as alibi-detect's do (so ties are handled the same way).
 *
 * The window is given sorted: for its b-th value, `lower[b]` and `upper[b]` are the numbers of
 * reference values < and ≤ it, `rank[b]` the number of window values ≤ it. The reference values
 * between two consecutive window values all see the same F_win, so their part is summed in O(1)
 * from the prefix sums p1, p2 (see `CvmReference`), and the whole sum costs O(w), not O(n + w).
 * Every term is an integer, so the result is exact while (n + w)·(n·w)²·4 < 2^53 (n = 1000 with
 * w = 100, say); beyond, it rounds like any float sum.
 */
export function cvmScaledSum(
  lower: Int32Array,
  upper: Int32Array,
  rank: Int32Array,
  w: number,
  n: number,
  p1: Float64Array,
  p2: Float64Array,
): number {
  let s = 0;
  const ww = w * w;
  let lo = 0;
  for (let j = 0; j <= w; j++) {
    // Reference values with exactly j window values ≤ them: sorted indices [lower[j−1], lower[j]).
    const hi = j === w ? n : lower[j];
    if (hi > lo) {
      const c = n * j;
      s += ww * (p2[hi] - p2[lo]) - 2 * w * c * (p1[hi] - p1[lo]) + c * c * (hi - lo);
    }
    lo = hi;
  }
  for (let b = 0; b < w; b++) {
    const d = upper[b] * w - rank[b] * n;
    s += d * d;
  }
  return s;
}

/**
 * The normalised CVM statistic from `cvmScaledSum`: (T − μ) / σ with T = S·n·w/(n + w)², and the
 * null mean μ = 1/6 + 1/(6(n + w)) and variance σ² = (n + w + 1)(4nw(n + w) − 3(n² + w²) − 2nw) /
 * (45(n + w)²·4nw) of Anderson (1962, "On the distribution of the two-sample Cramér–von Mises
 * criterion", Ann. Math. Statist. 33, eqs. 3 and 14), as alibi-detect's `_normalise_stats`, so
 * windows of different sizes share one threshold.
 */
export function cvmNormalise(scaledSum: number, n: number, w: number): number {
  const m = n + w;
  const mu = 1 / 6 + 1 / (6 * m);
  const varNum = (m + 1) * (4 * n * w * m - 3 * (n * n + w * w) - 2 * n * w);
  const varDenom = 45 * m * m * 4 * n * w;
  return (scaledSum / (n * w * m * m) - mu) / Math.sqrt(varNum / varDenom);
}

function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function lowerBoundInt(sorted: Int32Array, count: number, x: number): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inserts x into the ascending first `count` entries of `a`. */
function insertSorted(a: Int32Array, count: number, x: number): void {
  let i = count;
  while (i > 0 && a[i - 1] > x) {
    a[i] = a[i - 1];
    i--;
  }
  a[i] = x;
}

/** Removes one x from the ascending first `count` entries of `a` (x is there). */
function removeSorted(a: Int32Array, count: number, x: number): void {
  const i = lowerBoundInt(a, count, x);
  a.copyWithin(i, i + 1, count);
}

/**
 * Simulates `nBootstraps` null streams of `tMax` events against references of n values, as
 * alibi-detect does (reference and stream drawn afresh from one continuous distribution), and
 * returns, for stream b and event t (0-based), the largest normalised statistic over the full
 * windows at `[b·tMax + t]` (NaN while no window is full), for `calibrate`.
 *
 * Only ranks matter, so instead of drawing n + tMax Gaussians and comparing all pairs (alibi-detect
 * holds a boolean matrix of (n + tMax)² per stream), it draws the stream's ranks among the n + tMax
 * values (a uniformly random ordered subset) and from them, for each stream value, the count of
 * reference values below it; each window is kept sorted as it slides and scored in O(w) by
 * `cvmScaledSum`. Cost O(nBootstraps · tMax · (log tMax + Σw)), independent of n; no allocation
 * per step.
 *
 * One difference from alibi-detect 0.13: its `_ids_to_stats` evaluates the window half of the sum
 * at the w stream values before the newest one (`xs[n+t-w : n+t]`; at t = w − 1 that takes in the
 * last reference value), where `score` evaluates it at the window's own values. This simulates the
 * statistic the detector computes; the thresholds differ from alibi-detect's by far less than
 * their Monte-Carlo error (test/fixtures/online/online.py records both).
 */
export function simulateCvm(
  n: number,
  windowSizes: readonly number[],
  tMax: number,
  nBootstraps: number,
  random: Random,
): Float64Array {
  const out = new Float64Array(nBootstraps * tMax).fill(Number.NaN);
  const maxWs = Math.max(...windowSizes);
  const win = new Int32Array(maxWs + 1);
  const pos = new Int32Array(tMax);
  const { p1, p2 } = distinctPrefixSums(n);
  const combined = n + tMax;
  const taken = new Uint8Array(combined);
  const ranks = new Int32Array(tMax);
  const sortedRanks = new Int32Array(tMax);
  const identity = new Int32Array(maxWs);
  for (let b = 0; b < maxWs; b++) identity[b] = b + 1;

  for (let boot = 0; boot < nBootstraps; boot++) {
    for (let s = 0; s < tMax; s++) {
      let r: number;
      do r = Math.floor(random() * combined);
      while (taken[r] === 1);
      taken[r] = 1;
      ranks[s] = r;
    }
    sortedRanks.set(ranks);
    sortedRanks.sort();
    for (let s = 0; s < tMax; s++) {
      // Values below this stream value that belong to the reference.
      pos[s] = ranks[s] - lowerBoundInt(sortedRanks, tMax, ranks[s]);
      taken[ranks[s]] = 0;
    }
    for (const w of windowSizes) {
      let count = 0;
      for (let t = 0; t < tMax; t++) {
        if (t >= w) removeSorted(win, count--, pos[t - w]);
        insertSorted(win, count++, pos[t]);
        if (t < w - 1) continue;
        // Two stream values between the same two reference values may be taken in either order:
        // both sums are symmetric in them, so the positions alone decide the statistic.
        const stat = cvmNormalise(cvmScaledSum(win, win, identity, w, n, p1, p2), n, w);
        const at = boot * tMax + t;
        const current = out[at];
        if (Number.isNaN(current) || stat > current) out[at] = stat;
      }
    }
  }
  return out;
}

/**
 * The seed of the tie-breaking keys: the calibration's seed mixed with a hash (FNV-1a) of the
 * sorted reference's bits, so that two features, or two references, never share a pattern of keys
 * (with one pattern, equal values would be ordered alike in every one of them).
 */
function keySeed(seed: number, sorted: Float64Array): number {
  const words = new Uint32Array(sorted.buffer, sorted.byteOffset, sorted.length * 2);
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], 0x01000193);
  return h >>> 0;
}

/**
 * The tie-breaking key of reference value i or of event e (e ≥ 0: events; the reference uses
 * −1 − i): a uniform from `seededRandom`, one seed per key, so that the state needs only a count.
 */
function tieKey(seed: number, index: number): number {
  return seededRandom(((seed >>> 0) ^ 0x6a09e667 ^ Math.imul(index, 0x9e3779b1)) >>> 0)();
}

class CvmOnlineDetector implements OnlineDetector<CvmOnlineState, number> {
  private readonly windowSizes: readonly number[];
  private readonly maxWs: number;
  private readonly thresholds: readonly (number | null)[];
  private readonly breakTies: boolean;
  /** The seed of the tie-breaking keys (`keySeed`). */
  private readonly seed: number;
  /** With ties broken: the reference's keys, ascending within each run of equal values. */
  private readonly refKeys: Float64Array;
  /** With ties broken: the ECDF prefix sums of a reference without ties. */
  private readonly distinct: { p1: Float64Array; p2: Float64Array } | null;
  private readonly ring: Float64Array;
  private readonly ringKeys: Float64Array;
  private readonly scratch: Float64Array;
  private readonly scratchKeys: Float64Array;
  private readonly order: Int32Array;
  private readonly lower: Int32Array;
  private readonly upper: Int32Array;
  private readonly rank: Int32Array;
  /** Where the next value goes in `ring`. */
  private head = 0;
  private t = 0;
  private events = 0;

  constructor(
    private readonly ref: CvmReference,
    calibration: CvmOnlineCalibration,
    state: CvmOnlineState | undefined,
  ) {
    this.windowSizes = [...calibration.window_sizes];
    this.maxWs = Math.max(...this.windowSizes);
    this.thresholds = calibration.thresholds;
    this.breakTies = calibration.ties === "break";
    this.seed = keySeed(calibration.seed, ref.sorted);
    this.refKeys = new Float64Array(this.breakTies ? ref.n : 0);
    this.distinct = this.breakTies ? distinctPrefixSums(ref.n) : null;
    if (this.breakTies) {
      for (let i = 0; i < ref.n; i++) this.refKeys[i] = tieKey(this.seed, -1 - i);
      for (let start = 0; start < ref.n; ) {
        let end = start + 1;
        while (end < ref.n && ref.sorted[end] === ref.sorted[start]) end++;
        if (end - start > 1) this.refKeys.subarray(start, end).sort();
        start = end;
      }
    }
    this.ring = new Float64Array(this.maxWs);
    this.ringKeys = new Float64Array(this.maxWs);
    this.scratch = new Float64Array(this.maxWs);
    this.scratchKeys = new Float64Array(this.maxWs);
    this.order = new Int32Array(this.maxWs);
    this.lower = new Int32Array(this.maxWs);
    this.upper = new Int32Array(this.maxWs);
    this.rank = new Int32Array(this.maxWs);
    if (state !== undefined) this.restore(state);
  }

  private restore(state: CvmOnlineState): void {
    const { t, values, events } = state;
    if (!Number.isInteger(t) || t < 0) throw new RangeError(`cvm_online: state.t must be a count (got ${t})`);
    if (!Number.isInteger(events) || events < t) {
      throw new RangeError(`cvm_online: state.events must be a count of at least t (got ${events})`);
    }
    if (!Array.isArray(values) || values.length !== Math.min(t, this.maxWs)) {
      throw new RangeError(
        `cvm_online: state.values must hold the last ${Math.min(t, this.maxWs)} values (got ${values?.length})`,
      );
    }
    this.events = events - values.length;
    for (const x of values) {
      if (typeof x !== "number" || !Number.isFinite(x)) {
        throw new RangeError(`cvm_online: state.values must be finite numbers (got ${String(x)})`);
      }
      this.push(x);
    }
    this.t = t;
  }

  private push(x: number): void {
    this.ring[this.head] = x;
    if (this.breakTies) this.ringKeys[this.head] = tieKey(this.seed, this.events);
    this.events++;
    this.head = this.head + 1 === this.maxWs ? 0 : this.head + 1;
  }

  update(value: number): OnlineUpdate {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new RangeError(`cvm_online: values must be finite numbers (got ${String(value)})`);
    }
    this.push(value);
    this.t++;
    const t = this.t;
    const threshold = this.thresholds[Math.min(t, this.thresholds.length) - 1] ?? null;
    const statistics: (number | null)[] = [];
    const thresholds: (number | null)[] = [];
    let drift = false;
    for (const w of this.windowSizes) {
      if (t < w) {
        statistics.push(null);
        thresholds.push(null);
        continue;
      }
      const stat = this.breakTies ? this.statisticTiesBroken(w) : this.statistic(w);
      statistics.push(stat);
      thresholds.push(threshold);
      if (threshold !== null && stat > threshold) drift = true;
    }
    if (drift) this.reset();
    return { t, statistics, thresholds, drift };
  }

  /** Copies the last w values (and keys) into the scratch arrays, oldest first. */
  private window(w: number): void {
    let at = this.head - w;
    if (at < 0) at += this.maxWs;
    for (let b = 0; b < w; b++) {
      this.scratch[b] = this.ring[at];
      this.scratchKeys[b] = this.ringKeys[at];
      at = at + 1 === this.maxWs ? 0 : at + 1;
    }
  }

  /** The normalised statistic of the window of the last w values, equal values counted as alibi-detect does. */
  private statistic(w: number): number {
    const { lower, upper, rank, ref } = this;
    this.window(w);
    const sorted = this.scratch.subarray(0, w).sort();
    for (let b = w - 1; b >= 0; b--) {
      const x = sorted[b];
      lower[b] = lowerBound(ref.sorted, x);
      upper[b] = upperBound(ref.sorted, x);
      rank[b] = b < w - 1 && sorted[b + 1] === x ? rank[b + 1] : b + 1;
    }
    return cvmNormalise(cvmScaledSum(lower, upper, rank, w, ref.n, ref.p1, ref.p2), ref.n, w);
  }

  /** The same with equal values ordered by their keys: every value has its own rank. */
  private statisticTiesBroken(w: number): number {
    const { lower, rank, ref, scratch, scratchKeys, refKeys } = this;
    this.window(w);
    const order = this.order.subarray(0, w);
    for (let b = 0; b < w; b++) order[b] = b;
    order.sort((i, j) => scratch[i] - scratch[j] || scratchKeys[i] - scratchKeys[j]);
    for (let b = 0; b < w; b++) {
      const x = scratch[order[b]];
      const key = scratchKeys[order[b]];
      // Reference values below x, and of those equal to x, the ones with a smaller key.
      let lo = lowerBound(ref.sorted, x);
      let hi = upperBound(ref.sorted, x);
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (refKeys[mid] < key) lo = mid + 1;
        else hi = mid;
      }
      lower[b] = lo;
      rank[b] = b + 1;
    }
    const { p1, p2 } = this.distinct as { p1: Float64Array; p2: Float64Array };
    return cvmNormalise(cvmScaledSum(lower, lower, rank, w, ref.n, p1, p2), ref.n, w);
  }

  reset(): void {
    this.t = 0;
  }

  get state(): CvmOnlineState {
    const k = Math.min(this.t, this.maxWs);
    const values: number[] = [];
    let at = this.head - k;
    if (at < 0) at += this.maxWs;
    for (let i = 0; i < k; i++) {
      values.push(this.ring[at]);
      at = at + 1 === this.maxWs ? 0 : at + 1;
    }
    return { t: this.t, values, events: this.events };
  }
}

/**
 * The online Cramér–von Mises drift detector on one numeric feature (Ross & Adams 2012), matching
 * alibi-detect's `CVMDriftOnline` with one feature statistic for statistic: at event t, for each
 * window of the last w values, S = Σ_{x ∈ ref ∪ win} (F_ref(x) − F_win(x))² (ECDFs counting ≤),
 * normalised as (S·nw/(n+w)² − μ)/σ (`cvmNormalise`); drift when the largest over the full windows
 * exceeds `thresholds[min(t, t_max) − 1]` of the calibration. The detector then starts over (t = 0).
 * The ERT is counted from t = min(window_sizes), as alibi-detect counts it.
 *
 * With `ties: "break"` in the calibration, equal values are ordered by seeded keys (`CvmTies`), so
 * the statistic is the one of continuous data and the ERT holds on data with ties.
 *
 * `calibration` must come from `calibrate(reference, { type: "cvm", … }, seed)` for a reference of
 * the same size; `state`, from this detector's `state`, resumes it. Throws a RangeError for a
 * reference or state it cannot use, and `update` for a non-finite value.
 *
 * @example
 * const reference = Array.from({ length: 200 }, (_, i) => Math.sin(i * 12.9898) * 10);
 * const calibration = calibrate(reference, { type: "cvm", ert: 150, window_sizes: [10, 20, 40] }, 7);
 * const detector = cvmOnline(reference, calibration);
 * detector.update(3.2) // { t: 1, statistics: [null, null, null], thresholds: [null, null, null], drift: false }
 * for (let i = 0; i < 8; i++) detector.update(20 + (i % 3));
 * detector.update(21) // { t: 10, statistics: [16.58…, null, null], thresholds: [4.337…, null, null], drift: true }
 * detector.state // { t: 0, values: [], events: 10 }: it starts over
 */
export function cvmOnline(
  reference: ArrayLike<number>,
  calibration: CvmOnlineCalibration,
  state?: CvmOnlineState,
): OnlineDetector<CvmOnlineState, number> {
  if (calibration.type !== "cvm")
    throw new RangeError(`cvm_online: not a cvm calibration (${calibration.type})`);
  const ref = cvmReference(reference);
  if (ref.n !== calibration.n_reference) {
    throw new RangeError(
      `cvm_online: the calibration is for a reference of ${calibration.n_reference} values, got ${ref.n}`,
    );
  }
  return new CvmOnlineDetector(ref, calibration, state);
}
