/**
 * Isotonic calibration of scores into probabilities, and the test NannyML runs to decide whether
 * a model's scores need it, both as NannyML 0.13 does them: scikit-learn's
 * `IsotonicRegression(out_of_bounds="clip")` and `nannyml.calibration.needs_calibration`, with
 * its `StratifiedShuffleSplit(n_splits=10, test_size=0.1, random_state=42)` folds drawn from
 * numpy's legacy MT19937 `RandomState`.
 *
 * Written here rather than taken from a package: no maintained JavaScript library reproduces
 * scikit-learn's isotonic regression (its merge of near-equal x, its tie averaging, scipy's
 * block arithmetic and numpy's interpolation), and CBPE's numbers move with every one of them.
 *
 * @example
 * const cal = fitIsotonic([0.1, 0.3, 0.2, 0.8, 0.6], [0, 0, 1, 1, 0]);
 * // { x_thresholds: [0.1, 0.2, 0.6, 0.8], y_thresholds: [0, 1/3, 1/3, 1] }: 0.2, 0.3 and 0.6 pooled
 * calibrateIsotonic(cal, 0.7) // 0.6666666666666665, as scikit-learn's predict
 * calibrateIsotonic(cal, 0.95) // 1, clipped to the fitted range
 */

import { numpySum } from "../stats/bins.js";
import { addScore, emptyScoreCounts, rocAucFromCounts } from "./roc-auc.js";

/**
 * A fitted isotonic calibrator: the increasing step points scikit-learn keeps after fitting
 * (`X_thresholds_`, `y_thresholds_`), between which it interpolates linearly. Plain JSON.
 */
export interface IsotonicCalibrator {
  /** Distinct scores, strictly increasing; the first and last are the clip bounds. */
  readonly x_thresholds: number[];
  /** Fitted probability at each of `x_thresholds`, non-decreasing. */
  readonly y_thresholds: number[];
}

/** numpy's `np.finfo(np.float64).resolution`: scikit-learn pools scores closer than this. */
const RESOLUTION = 1e-15;

/**
 * Fits an increasing isotonic regression of `labels` (0/1, or any numbers) on `scores`, as
 * scikit-learn's `IsotonicRegression(out_of_bounds="clip", increasing=True).fit(scores, labels)`:
 *
 * 1. sort by score, then label;
 * 2. pool runs of scores each less than 1e-15 above the run's first score into that first score
 *    (scikit-learn's `_make_unique`), the label of the pooled point being the run's mean and its
 *    weight the run's length;
 * 3. pool adjacent violators (Busing 2022, "Monotone regression: a simple and fast O(n) PAVA
 *    implementation", J. Stat. Softw. 102, Algorithm 1, with ≥ in place of > so that equal
 *    block values share a block, as scipy's `optimize.isotonic_regression` does): a block's sum
 *    is carried as weight × mean, in the same order as scipy, so the fitted values agree bit for
 *    bit;
 * 4. keep the first and last points and every point whose fitted value differs from a neighbour's.
 *
 * Edge cases: one distinct score gives a constant calibrator; an empty input throws a RangeError.
 */
export function fitIsotonic(scores: ArrayLike<number>, labels: ArrayLike<number>): IsotonicCalibrator {
  const n = scores.length;
  if (n === 0 || labels.length !== n)
    throw new RangeError(`isotonic regression needs as many labels as scores, at least one (got ${n})`);
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (i, j) => scores[i] - scores[j] || labels[i] - labels[j] || i - j,
  );
  const xs: number[] = [];
  const means: number[] = [];
  const weights: number[] = [];
  let runX = scores[order[0]];
  let runSum = 0;
  let runWeight = 0;
  for (const i of order) {
    const x = scores[i];
    if (x - runX >= RESOLUTION) {
      xs.push(runX);
      means.push(runSum / runWeight);
      weights.push(runWeight);
      runX = x;
      runSum = labels[i];
      runWeight = 1;
    } else {
      runSum += labels[i];
      runWeight += 1;
    }
  }
  xs.push(runX);
  means.push(runSum / runWeight);
  weights.push(runWeight);

  const fitted = poolAdjacentViolators(means, weights);
  const keptX: number[] = [];
  const keptY: number[] = [];
  const last = fitted.length - 1;
  for (let j = 0; j <= last; j++) {
    if (j === 0 || j === last || fitted[j] !== fitted[j - 1] || fitted[j] !== fitted[j + 1]) {
      keptX.push(xs[j]);
      keptY.push(fitted[j]);
    }
  }
  return { x_thresholds: keptX, y_thresholds: keptY };
}

/**
 * The increasing least-squares fit of `values` with `weights` (both per point, in order):
 * Busing's (2022) single pass. The blocks live at the front of the working arrays: block b has
 * value `value[b]`, weight `weight[b]` and ends before point `end[b + 1]`. A new point that does
 * not rise above the last block joins it, absorbs the following points that do not rise above
 * the merged mean, then merges backwards while the previous block is not below it.
 */
function poolAdjacentViolators(values: readonly number[], weights: readonly number[]): number[] {
  const m = values.length;
  const value = values.slice();
  const weight = weights.slice();
  const end = new Array<number>(m + 1).fill(0);
  end[1] = 1;
  let b = 0;
  let lastValue = value[0];
  let lastWeight = weight[0];
  for (let i = 1; i < m; i++) {
    b++;
    let v = value[i];
    let w = weight[i];
    if (lastValue >= v) {
      b--;
      let sum = lastWeight * lastValue + w * v;
      w += lastWeight;
      v = sum / w;
      while (i < m - 1 && v >= value[i + 1]) {
        i++;
        sum += weight[i] * value[i];
        w += weight[i];
        v = sum / w;
      }
      while (b > 0 && value[b - 1] >= v) {
        b--;
        sum += weight[b] * value[b];
        w += weight[b];
        v = sum / w;
      }
    }
    value[b] = lastValue = v;
    weight[b] = lastWeight = w;
    end[b + 1] = i + 1;
  }
  const out = new Array<number>(m);
  for (let k = 0; k <= b; k++) for (let i = end[k]; i < end[k + 1]; i++) out[i] = value[k];
  return out;
}

/**
 * The calibrated probability of a score: the score clipped to the fitted range, then linearly
 * interpolated between the calibrator's points, as scikit-learn's `predict` (scipy's `interp1d`,
 * which hands the work to `numpy.interp`: a score on a point returns that point's value, others
 * slope·(s − x_j) + y_j with slope (y_{j+1} − y_j)/(x_{j+1} − x_j)).
 *
 * Edge cases: a one-point calibrator returns its value for every score; NaN returns NaN.
 */
export function calibrateIsotonic(cal: IsotonicCalibrator, score: number): number {
  const x = cal.x_thresholds;
  const y = cal.y_thresholds;
  const last = x.length - 1;
  if (last === 0) return y[0];
  if (Number.isNaN(score)) return score;
  const s = Math.min(Math.max(score, x[0]), x[last]);
  if (s >= x[last]) return y[last];
  // The last point at or below s.
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (x[mid] <= s) lo = mid;
    else hi = mid;
  }
  if (x[lo] === s) return y[lo];
  const slope = (y[lo + 1] - y[lo]) / (x[lo + 1] - x[lo]);
  return slope * (s - x[lo]) + y[lo];
}

// --- numpy's legacy RandomState --------------------------------------------------------------

const MT_N = 624;
const MT_M = 397;

/** The state of a 32-bit Mersenne Twister (Matsumoto & Nishimura 1998). */
interface Mt19937 {
  readonly key: Uint32Array;
  pos: number;
}

/** `np.random.RandomState(seed)` for an integer seed: Knuth's linear initialisation. */
function seedMt19937(seed: number): Mt19937 {
  const key = new Uint32Array(MT_N);
  key[0] = seed >>> 0;
  for (let i = 1; i < MT_N; i++) {
    const prev = key[i - 1];
    key[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
  }
  return { key, pos: MT_N };
}

function twist(key: Uint32Array): void {
  for (let i = 0; i < MT_N; i++) {
    const y = (key[i] & 0x80000000) | (key[(i + 1) % MT_N] & 0x7fffffff);
    key[i] = key[(i + MT_M) % MT_N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
  }
}

function nextUint32(mt: Mt19937): number {
  if (mt.pos === MT_N) {
    twist(mt.key);
    mt.pos = 0;
  }
  let y = mt.key[mt.pos++];
  y ^= y >>> 11;
  y ^= (y << 7) & 0x9d2c5680;
  y ^= (y << 15) & 0xefc60000;
  y ^= y >>> 18;
  return y >>> 0;
}

/** numpy's `random_interval(max)`: a uniform integer in [0, max] by masked rejection. */
function randomInterval(mt: Mt19937, max: number): number {
  if (max === 0) return 0;
  if (max > 0xffffffff) throw new RangeError(`cannot draw below ${max}: more than 2^32 values`);
  let mask = max;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  mask >>>= 0;
  let value: number;
  do value = (nextUint32(mt) & mask) >>> 0;
  while (value > max);
  return value;
}

/** `RandomState.shuffle` of a 1-d array: Fisher–Yates from the end, in place. */
function shuffle<T>(mt: Mt19937, values: T[]): T[] {
  for (let i = values.length - 1; i >= 1; i--) {
    const j = randomInterval(mt, i);
    const t = values[j];
    values[j] = values[i];
    values[i] = t;
  }
  return values;
}

const permutation = (mt: Mt19937, n: number): number[] =>
  shuffle(
    mt,
    Array.from({ length: n }, (_, i) => i),
  );

/**
 * scikit-learn's `_approximate_mode`: how many of `draws` to take from each class, the floor of
 * the proportional share, the remaining draws going to the largest remainders, ties among them
 * broken by `RandomState.choice(…, replace=False)` (a permutation's prefix).
 */
function approximateMode(mt: Mt19937, counts: readonly number[], draws: number): number[] {
  const total = counts.reduce((a, c) => a + c, 0);
  const continuous = counts.map((c) => (c / total) * draws);
  const floored = continuous.map(Math.floor);
  let need = Math.trunc(draws - numpySum(floored));
  if (need > 0) {
    const remainder = continuous.map((c, i) => c - floored[i]);
    const levels = [...new Set(remainder)].sort((a, b) => b - a);
    for (const level of levels) {
      const tied = remainder.flatMap((r, i) => (r === level ? [i] : []));
      const take = Math.min(tied.length, need);
      for (const k of permutation(mt, tied.length).slice(0, take)) floored[tied[k]] += 1;
      need -= take;
      if (need === 0) break;
    }
  }
  return floored;
}

/** One train/test split of row indices. */
export interface Split {
  /** Rows to fit on, in scikit-learn's order. */
  readonly train: number[];
  /** Rows held out, in scikit-learn's order. */
  readonly test: number[];
}

/**
 * The folds of scikit-learn's `StratifiedShuffleSplit(n_splits, test_size, random_state=seed)`
 * over class codes `labels` (numbers), in scikit-learn's order of rows within each fold: per
 * split, the class shares of the train and test sizes by `approximateMode`, each class's rows
 * permuted, then the train and test lists permuted, all from one numpy `RandomState(seed)`.
 * Test size is ⌈test_size·n⌉, train size the rest.
 *
 * Edge cases: a class with fewer than two rows, or fewer train or test rows than classes, throws
 * a RangeError, as scikit-learn raises a ValueError.
 */
export function stratifiedShuffleSplit(
  labels: ArrayLike<number>,
  splits = 10,
  testSize = 0.1,
  seed = 42,
): Split[] {
  const n = labels.length;
  const nTest = Math.ceil(testSize * n);
  const nTrain = n - nTest;
  const classes = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  const rows = classes.map(() => [] as number[]);
  const index = new Map(classes.map((c, i) => [c, i]));
  for (let i = 0; i < n; i++) rows[index.get(labels[i]) as number].push(i);
  const counts = rows.map((r) => r.length);
  if (Math.min(...counts) < 2)
    throw new RangeError("the least populated class has only 1 member; stratified folds need at least 2");
  if (nTrain < classes.length || nTest < classes.length)
    throw new RangeError(
      `stratified folds of ${n} rows have ${nTrain} train and ${nTest} test rows, fewer than the ${classes.length} classes`,
    );
  const mt = seedMt19937(seed);
  const out: Split[] = [];
  for (let s = 0; s < splits; s++) {
    const trainShare = approximateMode(mt, counts, nTrain);
    const testShare = approximateMode(
      mt,
      counts.map((c, i) => c - trainShare[i]),
      nTest,
    );
    const train: number[] = [];
    const test: number[] = [];
    rows.forEach((classRows, i) => {
      const perm = permutation(mt, classRows.length).map((k) => classRows[k]);
      train.push(...perm.slice(0, trainShare[i]));
      test.push(...perm.slice(trainShare[i], trainShare[i] + testShare[i]));
    });
    out.push({ train: shuffle(mt, train), test: shuffle(mt, test) });
  }
  return out;
}

// --- NannyML's calibration test ----------------------------------------------------------------

/** The outcome of the calibration test, with the two errors it compared (null when not run). */
export interface CalibrationCheck {
  /** Whether isotonic calibration lowered the expected calibration error. */
  readonly needed: boolean;
  /** ECE of the scores on the pooled test folds; null when the test stopped early. */
  readonly ece_before: number | null;
  /** ECE of the calibrated scores on the same rows. */
  readonly ece_after: number | null;
}

/**
 * NannyML's equal-count bins (`_get_bin_index_edges`): `bins` bins of ⌊n/bins⌋ rows, the last
 * taking the remainder; with n ≤ 2·bins, ⌊n/2⌋ bins. Fewer than two bins throws a RangeError.
 */
function binEdges(n: number, bins: number): number[] {
  let count = bins;
  if (n <= 2 * count) {
    count = Math.floor(n / 2);
    if (count < 2) throw new RangeError(`cannot split ${n} scores into 2 calibration bins`);
  }
  const width = Math.floor(n / count);
  const edges: number[] = [];
  for (let e = 0; e <= n; e += width) edges.push(e);
  edges[edges.length - 1] = n;
  return edges;
}

/**
 * NannyML's expected calibration error over equal-count bins of the scores sorted ascending:
 * Σ_bins (rows/n)·|mean score − mean label|, each mean a numpy pairwise sum over the bin, the
 * terms summed by numpy's pairwise sum too.
 *
 * The sort is stable (equal scores keep their order). NannyML sorts with numpy's default
 * quicksort, which is not stable and orders equal values differently by CPU (AVX-512 and AVX2
 * sorting networks, or the generic introsort); isotonic calibration makes long runs of equal
 * scores, so when one straddles a bin edge NannyML's ECE after calibration is not reproducible
 * from one machine to the next, while this one is.
 */
function expectedCalibrationError(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  edges: readonly number[],
): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => scores[i] - scores[j] || i - j);
  const terms: number[] = [];
  for (let b = 0; b + 1 < edges.length; b++) {
    const lo = edges[b];
    const hi = edges[b + 1];
    const p = new Float64Array(hi - lo);
    const y = new Float64Array(hi - lo);
    for (let k = lo; k < hi; k++) {
      p[k - lo] = scores[order[k]];
      y[k - lo] = labels[order[k]];
    }
    const meanScore = numpySum(p) / p.length;
    const meanLabel = numpySum(y) / y.length;
    terms.push(((hi - lo) / n) * Math.abs(meanScore - meanLabel));
  }
  return numpySum(terms);
}

/**
 * Whether isotonic calibration improves `scores` for the 0/1 `labels`, as NannyML's
 * `needs_calibration(y_true, y_pred_proba, IsotonicCalibrator())`: no when only one label
 * occurs or the ROC AUC exceeds 0.999; otherwise, over the ten stratified folds of
 * `stratifiedShuffleSplit` (10%, seed 42), fit an isotonic calibrator on each train part, pool
 * the test parts, and answer yes when the ECE over ten equal-count bins is strictly lower after
 * calibration than before. See `expectedCalibrationError` for the one place this can differ
 * from NannyML (the order of equal calibrated scores).
 *
 * Edge cases: scores must be numbers (NannyML raises on NaN); a class with a single row, or
 * fewer than eleven rows, throws a RangeError where scikit-learn's split raises.
 */
export function needsCalibration(labels: ArrayLike<number>, scores: ArrayLike<number>): CalibrationCheck {
  const skip: CalibrationCheck = { needed: false, ece_before: null, ece_after: null };
  if (new Set(Array.from(labels)).size <= 1) return skip;
  const counts = emptyScoreCounts();
  for (let i = 0; i < scores.length; i++) addScore(counts, scores[i], labels[i] === 1);
  const auc = rocAucFromCounts(counts).value;
  if (auc !== null && auc > 0.999) return skip;

  const testLabels: number[] = [];
  const before: number[] = [];
  const after: number[] = [];
  for (const { train, test } of stratifiedShuffleSplit(labels)) {
    const cal = fitIsotonic(
      train.map((i) => scores[i]),
      train.map((i) => labels[i]),
    );
    for (const i of test) {
      testLabels.push(labels[i]);
      before.push(scores[i]);
      after.push(calibrateIsotonic(cal, scores[i]));
    }
  }
  const edges = binEdges(before.length, 10);
  const eceBefore = expectedCalibrationError(testLabels, before, edges);
  const eceAfter = expectedCalibrationError(testLabels, after, edges);
  return { needed: eceBefore > eceAfter, ece_before: eceBefore, ece_after: eceAfter };
}
