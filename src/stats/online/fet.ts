/**
 * The online Fisher exact test detector for a binary feature (Ross, Tasoulis & Adams 2012,
 * "Sequential monitoring of a Bernoulli sequence when the pre-change parameter is unknown",
 * Computational Statistics 28), as alibi-detect 0.13's `FETDriftOnline` on one feature: at every
 * event, one minus the one-sided Fisher exact test p-value of the proportion of ones in each
 * sliding window against the reference's, smoothed by an exponential moving average, against
 * thresholds simulated for the expected run time.
 */

import { type Random, seededRandom } from "../prng.js";
import type { OnlineCalibrationCommon, OnlineDetector, OnlineOptionsCommon, OnlineUpdate } from "./types.js";

/** The change looked for: a rise (`greater`) or a fall (`less`) of the proportion of ones. */
export type FetAlternative = "greater" | "less";

/**
 * How the streams behind the FET thresholds are simulated. `conditional` is alibi-detect's: the
 * reference held fixed and the stream drawn at its rate p̂ = sum/n, which sets the false alarm rate
 * for a stream whose true rate is exactly p̂. `marginal` also draws, for every simulated stream, a
 * reference count from Binomial(n, p̂), as alibi-detect's CVM draws a fresh reference: since the
 * true rate is only known to about ±√(p̂(1−p̂)/n), this sets the rate averaged over the references
 * the data could have given, which is what a run length measured over many references averages.
 * Measured on shuffled replays of real data (bench/online, ert 150, windows [10, 20, 40]), the mean
 * run length over references is 1.21·ert (Seattle rain, n = 300) and 1.10·ert (late flights,
 * n = 500) with `conditional`, 1.03 and 1.09 with `marginal` and t_max = 2·ert: conditional is
 * long (fewer false alarms than asked) because a reference whose rate happens to be off makes the
 * run shorter or longer, and the longer ones weigh more in the mean.
 */
export type FetSimulation = "conditional" | "marginal";

/** Options of `calibrate` for the online FET detector. */
export interface FetOnlineOptions extends OnlineOptionsCommon {
  readonly type: "fet";
  /** The simulation behind the thresholds (default `conditional`, alibi-detect's). */
  readonly simulation?: FetSimulation;
  /**
   * Length of the simulated streams, at least 2·max(window_sizes) − 1 (the default). With the
   * `marginal` simulation, simulate for longer (about 2·ert, while n_bootstraps·e^(−t_max/ert)
   * streams stay well above ert): streams then differ in their alarm rates, the survivors of a
   * long run are those with low ones, and the thresholds keep moving after the windows are full.
   */
  readonly t_max?: number;
  /** The alternative hypothesis (default `greater`). */
  readonly alternative?: FetAlternative;
  /**
   * Weight of the newest statistic in the moving average s_t = (1 − lam)·s_{t−1} + lam·(1 − p_t)
   * (default 0.99): a little smoothing makes the discrete statistic nearly continuous, so that the
   * (1 − 1/ert) quantile can be targeted. In (0, 1].
   */
  readonly lam?: number;
}

/** Thresholds of the online FET detector for one reference (its size and its count of ones). */
export interface FetOnlineCalibration extends OnlineCalibrationCommon {
  readonly type: "fet";
  readonly alternative: FetAlternative;
  readonly lam: number;
  readonly simulation: FetSimulation;
  /** Ones in the reference the thresholds were simulated for. */
  readonly sum_reference: number;
  /**
   * At a statistic equal to the threshold (ties are common: the statistic is discrete), no drift
   * with this probability, chosen so that the rate of false alarms is 1/ert exactly; per event as
   * `thresholds`, null where it is.
   */
  readonly permit_probabilities: readonly (number | null)[];
}

/** The online FET detector's state. */
export interface FetOnlineState {
  /** Events since the start or the last detection. */
  readonly t: number;
  /** The last min(t, max(window_sizes)) values, oldest first. */
  readonly values: readonly (0 | 1)[];
  /** Each window's smoothed statistic at the previous event; null while that window was not full. */
  readonly smoothed: readonly (number | null)[];
  /** Uniform draws made so far to break ties with the threshold (each from its own seed). */
  readonly tie_draws: number;
}

/**
 * P(X > k) for X hypergeometric: `draws` taken without replacement from `total` items of which
 * `successes` are successes, as 1 − scipy.stats.hypergeom.cdf(k, total, successes, draws). The
 * probabilities are built from the mode outwards by the ratio of consecutive terms, with no
 * factorial or gamma function, and the tail is summed directly, not as 1 − cdf, so small tails
 * keep their relative precision.
 */
export function hypergeomSf(k: number, total: number, successes: number, draws: number): number {
  const lo = Math.max(0, draws - (total - successes));
  const hi = Math.min(draws, successes);
  if (k < lo) return 1;
  if (k >= hi) return 0;
  const failures = total - successes;
  const mode = Math.min(hi, Math.max(lo, Math.floor(((draws + 1) * (successes + 1)) / (total + 2))));
  let all = 1;
  let tail = mode > k ? 1 : 0;
  let term = 1;
  for (let x = mode; x < hi; x++) {
    term *= ((successes - x) * (draws - x)) / ((x + 1) * (failures - draws + x + 1));
    all += term;
    if (x + 1 > k) tail += term;
  }
  term = 1;
  for (let x = mode; x > lo; x--) {
    term *= (x * (failures - draws + x)) / ((successes - x + 1) * (draws - x + 1));
    all += term;
    if (x - 1 > k) tail += term;
  }
  return tail / all;
}

/**
 * The unsmoothed statistic 1 − p for every count s = 0 … w of ones in a window of w, against a
 * reference of n values with `sumReference` ones, as alibi-detect computes it: for `greater`,
 * p = hypergeom.cdf(sum_ref, n + w, sum_ref + s, n) (few ones in the reference given the total);
 * for `less`, p = hypergeom.cdf(s, n + w, sum_ref + s, w).
 */
export function fetStatistics(
  n: number,
  sumReference: number,
  w: number,
  alternative: FetAlternative,
): Float64Array {
  const out = new Float64Array(w + 1);
  for (let s = 0; s <= w; s++) {
    out[s] =
      alternative === "greater"
        ? hypergeomSf(sumReference, n + w, sumReference + s, n)
        : hypergeomSf(s, n + w, sumReference + s, w);
  }
  return out;
}

/**
 * Simulates `nBootstraps` null streams of `tMax` Bernoulli(sum_ref / n) events and returns, for
 * stream b and event t (0-based), the largest smoothed statistic over the full windows at
 * `[b·tMax + t]` (NaN while no window is full), for `calibrate`. `conditional` (alibi-detect's)
 * holds the reference fixed; `marginal` draws a reference count from Binomial(n, sum_ref / n) for
 * every stream (`FetSimulation`). The statistic depends on a window only through its count of
 * ones, so it is looked up in `fetStatistics` tables, one per reference count met.
 */
export function simulateFet(
  n: number,
  sumReference: number,
  windowSizes: readonly number[],
  tMax: number,
  nBootstraps: number,
  alternative: FetAlternative,
  lam: number,
  random: Random,
  simulation: FetSimulation = "conditional",
): Float64Array {
  const out = new Float64Array(nBootstraps * tMax).fill(Number.NaN);
  const p = sumReference / n;
  const tablesBySum = new Map<number, Float64Array[]>();
  const tablesFor = (sum: number) => {
    let tables = tablesBySum.get(sum);
    if (tables === undefined) {
      tables = windowSizes.map((w) => fetStatistics(n, sum, w, alternative));
      tablesBySum.set(sum, tables);
    }
    return tables;
  };
  const cum = new Int32Array(tMax + 1);
  for (let boot = 0; boot < nBootstraps; boot++) {
    let sum = sumReference;
    if (simulation === "marginal") {
      sum = 0;
      for (let i = 0; i < n; i++) if (random() < p) sum++;
    }
    const tables = tablesFor(sum);
    for (let s = 0; s < tMax; s++) cum[s + 1] = cum[s] + (random() < p ? 1 : 0);
    for (let k = 0; k < windowSizes.length; k++) {
      const w = windowSizes[k];
      const table = tables[k];
      let smoothed = 0;
      for (let t = w - 1; t < tMax; t++) {
        const raw = table[cum[t + 1] - cum[t + 1 - w]];
        smoothed = t === w - 1 ? raw : (1 - lam) * smoothed + lam * raw;
        const at = boot * tMax + t;
        const current = out[at];
        if (Number.isNaN(current) || smoothed > current) out[at] = smoothed;
      }
    }
  }
  return out;
}

/** Sum and size of a binary reference; throws a RangeError unless it holds only 0/1/false/true, both. */
export function fetReference(reference: ArrayLike<number | boolean>): { n: number; sum: number } {
  const n = reference.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = reference[i];
    if (x === 1 || x === true) sum++;
    else if (x !== 0 && x !== false) {
      throw new RangeError(
        `fet_online: reference values must be 0, 1, false or true (got ${String(x)} at ${i})`,
      );
    }
  }
  if (n === 0) throw new RangeError("fet_online: the reference is empty");
  if (sum === 0 || sum === n) {
    throw new RangeError(
      `fet_online: the reference is all ${sum === 0 ? 0 : 1}s; thresholds cannot be simulated`,
    );
  }
  return { n, sum };
}

/** The uniform that decides a tie with the threshold: its own seed per draw, so the state is one counter. */
function tieUniform(seed: number, draw: number): number {
  return seededRandom((((seed >>> 0) ^ 0x2545f491) + draw) >>> 0)();
}

class FetOnlineDetector implements OnlineDetector<FetOnlineState, number | boolean> {
  private readonly windowSizes: readonly number[];
  private readonly maxWs: number;
  private readonly tables: readonly Float64Array[];
  private readonly ring: Uint8Array;
  private readonly smoothed: (number | null)[];
  private head = 0;
  private t = 0;
  private tieDraws = 0;

  constructor(
    private readonly calibration: FetOnlineCalibration,
    n: number,
    state: FetOnlineState | undefined,
  ) {
    this.windowSizes = [...calibration.window_sizes];
    this.maxWs = Math.max(...this.windowSizes);
    this.tables = this.windowSizes.map((w) =>
      fetStatistics(n, calibration.sum_reference, w, calibration.alternative),
    );
    this.ring = new Uint8Array(this.maxWs);
    this.smoothed = this.windowSizes.map(() => null);
    if (state !== undefined) this.restore(state);
  }

  private restore(state: FetOnlineState): void {
    const { t, values, smoothed, tie_draws } = state;
    if (!Number.isInteger(t) || t < 0) throw new RangeError(`fet_online: state.t must be a count (got ${t})`);
    if (!Array.isArray(values) || values.length !== Math.min(t, this.maxWs)) {
      throw new RangeError(
        `fet_online: state.values must hold the last ${Math.min(t, this.maxWs)} values (got ${values?.length})`,
      );
    }
    if (!Array.isArray(smoothed) || smoothed.length !== this.windowSizes.length) {
      throw new RangeError(
        `fet_online: state.smoothed must hold one entry per window (got ${smoothed?.length})`,
      );
    }
    if (!Number.isInteger(tie_draws) || tie_draws < 0) {
      throw new RangeError(`fet_online: state.tie_draws must be a count (got ${tie_draws})`);
    }
    for (const x of values) {
      if (x !== 0 && x !== 1)
        throw new RangeError(`fet_online: state.values must be 0 or 1 (got ${String(x)})`);
      this.push(x);
    }
    smoothed.forEach((s, k) => {
      if (s !== null && (typeof s !== "number" || !Number.isFinite(s))) {
        throw new RangeError(`fet_online: state.smoothed must be numbers or null (got ${String(s)})`);
      }
      this.smoothed[k] = s;
    });
    this.t = t;
    this.tieDraws = tie_draws;
  }

  private push(x: 0 | 1): void {
    this.ring[this.head] = x;
    this.head = this.head + 1 === this.maxWs ? 0 : this.head + 1;
  }

  /** Ones among the last w values. */
  private ones(w: number): number {
    let at = this.head - w;
    if (at < 0) at += this.maxWs;
    let sum = 0;
    for (let b = 0; b < w; b++) {
      sum += this.ring[at];
      at = at + 1 === this.maxWs ? 0 : at + 1;
    }
    return sum;
  }

  update(value: number | boolean): OnlineUpdate {
    let x: 0 | 1;
    if (value === 1 || value === true) x = 1;
    else if (value === 0 || value === false) x = 0;
    else throw new RangeError(`fet_online: values must be 0, 1, false or true (got ${String(value)})`);
    this.push(x);
    this.t++;
    const t = this.t;
    const { lam, thresholds: calibrated, permit_probabilities: permits } = this.calibration;
    const at = Math.min(t, calibrated.length) - 1;
    const threshold = calibrated[at] ?? null;
    const statistics: (number | null)[] = [];
    const thresholds: (number | null)[] = [];
    let max = Number.NEGATIVE_INFINITY;
    this.windowSizes.forEach((w, k) => {
      if (t < w) {
        statistics.push(null);
        thresholds.push(null);
        return;
      }
      const raw = this.tables[k][this.ones(w)];
      const previous = this.smoothed[k];
      const stat = previous === null ? raw : (1 - lam) * previous + lam * raw;
      this.smoothed[k] = stat;
      statistics.push(stat);
      thresholds.push(threshold);
      if (stat > max) max = stat;
    });
    let drift = false;
    if (threshold !== null) {
      if (max > threshold) drift = true;
      else if (max === threshold) {
        // A tie: alibi-detect flags drift with probability 1 − permit, which makes the rate exact.
        drift = tieUniform(this.calibration.seed, this.tieDraws++) > (permits[at] ?? 1);
      }
    }
    if (drift) this.reset();
    return { t, statistics, thresholds, drift };
  }

  reset(): void {
    this.t = 0;
    this.head = 0;
    this.smoothed.fill(null);
  }

  get state(): FetOnlineState {
    const k = Math.min(this.t, this.maxWs);
    const values: (0 | 1)[] = [];
    let at = this.head - k;
    if (at < 0) at += this.maxWs;
    for (let i = 0; i < k; i++) {
      values.push(this.ring[at] as 0 | 1);
      at = at + 1 === this.maxWs ? 0 : at + 1;
    }
    return { t: this.t, values, smoothed: [...this.smoothed], tie_draws: this.tieDraws };
  }
}

/**
 * The online Fisher exact test drift detector on one binary feature (Ross et al. 2012), matching
 * alibi-detect's `FETDriftOnline` with one feature: at event t, for each full window of the last w
 * values with s ones, the statistic 1 − p of the one-sided Fisher exact test of the window's
 * proportion against the reference's (`fetStatistics`), smoothed as (1 − lam)·previous + lam·(1 − p)
 * from the event the window fills; drift when the largest over the full windows exceeds
 * `thresholds[min(t, t_max) − 1]`, or equals it and a seeded uniform exceeds the permit
 * probability. The detector then starts over (t = 0, no smoothing history).
 *
 * `calibration` must come from `calibrate(reference, { type: "fet", … }, seed)` for a reference of
 * the same size and count of ones; `state`, from this detector's `state`, resumes it. Throws a
 * RangeError for a reference or state it cannot use, and `update` for anything but 0, 1, false, true.
 *
 * @example
 * const reference = Array.from({ length: 300 }, (_, i) => (i % 5 < 2 ? 1 : 0)); // 40 % ones
 * const calibration = calibrate(reference, { type: "fet", ert: 150, window_sizes: [10, 20, 40] }, 7);
 * const detector = fetOnline(reference, calibration);
 * for (let i = 0; i < 9; i++) detector.update(1);
 * detector.update(1) // { t: 10, statistics: [0.99986…, null, null], thresholds: [0.98603…, null, null], drift: true }
 */
export function fetOnline(
  reference: ArrayLike<number | boolean>,
  calibration: FetOnlineCalibration,
  state?: FetOnlineState,
): OnlineDetector<FetOnlineState, number | boolean> {
  if (calibration.type !== "fet")
    throw new RangeError(`fet_online: not a fet calibration (${calibration.type})`);
  const { n, sum } = fetReference(reference);
  if (n !== calibration.n_reference || sum !== calibration.sum_reference) {
    throw new RangeError(
      `fet_online: the calibration is for a reference of ${calibration.n_reference} values with ` +
        `${calibration.sum_reference} ones, got ${n} with ${sum}`,
    );
  }
  return new FetOnlineDetector(calibration, n, state);
}
