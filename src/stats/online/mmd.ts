/**
 * The online maximum mean discrepancy (MMD) detector (Cobb, Van Looveren & Klaise 2022,
 * "Sequential multivariate change detection with calibrated and memoryless false detection rates",
 * AISTATS), as alibi-detect 0.13's `MMDDriftOnline`: at every event, the unbiased MMD² with a
 * Gaussian kernel (Gretton et al. 2012) between a fixed subset of the reference and a sliding window
 * of the last `window_size` rows, against thresholds simulated from the reference for the expected
 * run time. An event is a whole row (an embedding, or numeric features together).
 *
 * The reference of n rows is split once, at calibration, into the sub-reference the window is
 * compared with (n − 2W + 1 rows), an initial window of W rows that the stream pushes out one row
 * per event, and W − 1 rows left out (alibi-detect's `ref_inds`, `init_test_inds`). With the kernel
 * sums of the window kept as running sums, an event costs one kernel column against the
 * sub-reference and one against the window, O((n + W)·dim), as the paper's linear-time update.
 */

import { medianBandwidth, rowDistance, squaredDistances } from "../multivariate/mmd.js";
import type { Rows } from "../multivariate/types.js";
import { seededRandom } from "../prng.js";
import { sampleQuantile } from "./calibrate.js";
import type { OnlineCalibrationCommon, OnlineDetector, OnlineOptionsCommon, OnlineUpdate } from "./types.js";

/** alibi-detect's default number of simulated streams for `MMDDriftOnline`. */
export const MMD_DEFAULT_N_BOOTSTRAPS = 1000;

/** Tries at drawing a split of the reference whose initial window is not a detection. */
const MAX_SPLIT_TRIES = 1000;

/** Options of `calibrateMmd`. */
export interface MmdOnlineOptions extends Omit<OnlineOptionsCommon, "window_sizes" | "n_bootstraps"> {
  /**
   * Rows in the sliding window, at least 2 (the MMD² estimate divides by W(W − 1)); the reference
   * must hold at least 2W + 1 rows. One size, as alibi-detect's `window_size`: small windows react
   * quickly to large changes, large ones see small changes.
   */
  readonly window_size: number;
  /**
   * Simulated streams behind the thresholds (alibi-detect's default for this detector, 1000).
   * Ideally at least ten times `ert`: the last threshold is used for ever, so its Monte-Carlo error
   * carries over to every later event. It must be large enough that the (1 − 1/ert) quantile is
   * defined among the streams that have not yet raised a false alarm.
   */
  readonly n_bootstraps?: number;
  /**
   * A fixed bandwidth σ of the kernel exp(−‖x − y‖² / (2σ²)), in the rows' units (alibi-detect's
   * `sigma`); by default inferred from the reference by the median heuristic.
   */
  readonly bandwidth?: number;
}

/**
 * Thresholds and split of the online MMD detector for one reference. Plain JSON: cache it beside
 * the reference it was made for; the detector checks the reference's size and dimension against it.
 */
export interface MmdOnlineCalibration
  extends Omit<OnlineCalibrationCommon, "window_sizes" | "thresholds" | "t_max"> {
  readonly type: "mmd";
  readonly window_size: number;
  /** Numbers per row. */
  readonly dim: number;
  /** The kernel bandwidth σ (median heuristic on the reference, or `bandwidth`). */
  readonly sigma: number;
  /** Whether σ came from the median heuristic or was fixed by the options. */
  readonly bandwidth: "median_heuristic" | "fixed";
  /** W − 1: after event t_max (the window then holds one reference row) the last threshold is used for ever. */
  readonly t_max: number;
  /**
   * `thresholds[t − 1]` is the threshold of event t = 1 … t_max: the conditional (1 − 1/ert)
   * quantile of MMD² at step t among the simulated streams without an earlier alarm (alibi-detect's
   * `thresholds[t]`).
   */
  readonly thresholds: readonly number[];
  /**
   * The quantile at step 0, for the initial window alone (alibi-detect's `thresholds[0]`). Not used
   * at run time: the split was drawn again until its initial window's MMD² did not exceed it, as
   * the simulated streams that set the later thresholds were conditioned on the same.
   */
  readonly initial_threshold: number;
  /** Indices of the reference rows forming the window before the first event, oldest first. */
  readonly initial_window: readonly number[];
  /** Indices of the W − 1 reference rows in neither the sub-reference nor the initial window. */
  readonly held_out: readonly number[];
  /**
   * The mean kernel over ordered pairs of distinct sub-reference rows (alibi-detect's
   * `k_xx_sub_sum`), the constant first term of every statistic. The sub-reference is every row not
   * in `initial_window` or `held_out`, in ascending order.
   */
  readonly reference_kernel_mean: number;
}

/** The online MMD detector's state. */
export interface MmdOnlineState {
  /** Events since the start or the last detection. */
  readonly t: number;
  /**
   * The last min(t, window_size) events, oldest first; before the window is full, the rest of it
   * is the tail of the calibration's initial window.
   */
  readonly rows: readonly (readonly number[])[];
  /** Σ over the window rows of their kernel sums against the sub-reference: k_xy's sum. */
  readonly kernel_sum_cross: number;
  /** Σ of the kernel over ordered pairs of distinct window rows: k_yy's sum without the diagonal. */
  readonly kernel_sum_window: number;
}

/** 1 / (2σ²), the kernel's exponent factor, as alibi-detect's `GaussianRBF` computes it. */
function kernelGamma(sigma: number, kind: string): number {
  const gamma = 1 / (2 * sigma ** 2);
  if (!(sigma > 0) || !Number.isFinite(sigma) || !Number.isFinite(gamma)) {
    throw new RangeError(`${kind}: the kernel bandwidth must be positive with finite 1/(2σ²) (got ${sigma})`);
  }
  return gamma;
}

function checkReference(reference: Rows): void {
  const { n, dim, data } = reference;
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(dim) || dim < 1) {
    throw new RangeError(
      `mmd_online: the reference needs rows of at least 1 number (got n = ${n}, dim = ${dim})`,
    );
  }
  if (data.length !== n * dim) {
    throw new RangeError(`mmd_online: the reference holds ${data.length} numbers, not n × dim = ${n * dim}`);
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new RangeError(
        `mmd_online: reference values must be finite (got ${data[i]} in row ${Math.floor(i / dim)})`,
      );
    }
  }
}

/** The sub-reference size, or a RangeError when the reference is too short for the window. */
function subReferenceSize(n: number, w: number): number {
  const rw = n - (2 * w - 1);
  if (rw < 2) {
    throw new RangeError(
      `mmd_online: window_size ${w} needs a reference of at least 2·${w} + 1 = ${2 * w + 1} rows ` +
        `(a sub-reference of 2 beside the initial window and ${w - 1} held out); got ${n}`,
    );
  }
  return rw;
}

/**
 * The MMD² of `nBootstraps` simulated streams at steps 0 … W − 1, `[b·W + step]`, as alibi-detect's
 * `_configure_thresholds`: each stream permutes the reference into a sub-reference of n − (2W − 1)
 * rows and an extended window of 2W − 1 rows whose windows [step, step + W) are the window after
 * `step` events (step 0: the initial window). Instead of summing the sub-reference block per stream,
 * every sum comes from the kernel's row sums R and the (2W − 1)² block E of the extended window: the
 * cross sum of window row a is R_a − Σ_c E_ac, the sub-reference sum is
 * Σ K − 2·Σ_a R_a + Σ E (alibi-detect: Σ K − Σ E − 2·Σ cross), and the window sums slide in O(W).
 * Cost O(n_bootstraps·W²) after the n × n kernel, whatever n and dim.
 */
function simulateMmd(
  kernel: Float64Array,
  n: number,
  w: number,
  nBootstraps: number,
  perm: Int32Array,
  random: () => number,
): Float64Array {
  const etw = 2 * w - 1;
  const rw = n - etw;
  const rowSums = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    const row = i * n;
    for (let j = 0; j < n; j++) s += kernel[row + j];
    rowSums[i] = s;
    total += s;
  }
  const block = new Float64Array(etw * etw);
  const cross = new Float64Array(etw);
  const y = new Int32Array(etw);
  const out = new Float64Array(nBootstraps * w);
  const cXx = 1 / (rw * (rw - 1));
  const cYy = 1 / (w * (w - 1));
  const cXy = 1 / (rw * w);
  for (let b = 0; b < nBootstraps; b++) {
    // The last etw places of a Fisher–Yates shuffle: a uniform ordered sample without replacement.
    for (let i = n - 1; i >= rw; i--) {
      const j = Math.floor(random() * (i + 1));
      const t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
      y[i - rw] = perm[i];
    }
    // The upper triangle of the block (all that the sums read); `cross` first collects its row sums.
    cross.fill(0);
    for (let a = 0; a < etw; a++) {
      const row = y[a] * n;
      let e = cross[a];
      for (let c = a + 1; c < etw; c++) {
        const k = kernel[row + y[c]];
        block[a * etw + c] = k;
        e += k;
        cross[c] += k;
      }
      cross[a] = e;
    }
    let sumBlock = 0;
    let sumRows = 0;
    for (let a = 0; a < etw; a++) {
      const r = rowSums[y[a]];
      sumBlock += cross[a];
      sumRows += r;
      cross[a] = r - cross[a];
    }
    const kxx = (total - 2 * sumRows + sumBlock) * cXx;
    let sxy = 0;
    let syy = 0;
    for (let a = 0; a < w; a++) {
      sxy += cross[a];
      for (let c = a + 1; c < w; c++) syy += block[a * etw + c];
    }
    syy *= 2;
    for (let step = 0; step < w; step++) {
      out[b * w + step] = kxx + syy * cYy - 2 * (sxy * cXy);
      if (step === w - 1) break;
      // Slide: row `step` leaves, row `step + w` enters; both paired with rows step + 1 … step + w − 1.
      const leaving = step;
      const entering = step + w;
      let pairsOut = 0;
      let pairsIn = 0;
      for (let c = step + 1; c < entering; c++) {
        pairsOut += block[leaving * etw + c];
        pairsIn += block[c * etw + entering];
      }
      syy += 2 * (pairsIn - pairsOut);
      sxy += cross[entering] - cross[leaving];
    }
  }
  return out;
}

/**
 * Per step, the interpolated (type 7) (1 − 1/ert) quantile of the simulated MMD² among the streams
 * that have not alarmed before (alibi-detect's `quantile(mmds, 1 - self.fpr)`); streams at or below
 * it survive. alibi-detect keeps only those strictly below, although its detector alarms only
 * strictly above: the two differ on a tie, which a continuous statistic meets only when the
 * quantile falls exactly on a simulated value; at or below follows the detector.
 */
function mmdThresholds(stats: Float64Array, nBootstraps: number, w: number, ert: number): Float64Array {
  const p = 1 - 1 / ert;
  const thresholds = new Float64Array(w);
  const alive = new Int32Array(nBootstraps);
  for (let b = 0; b < nBootstraps; b++) alive[b] = b;
  let count = nBootstraps;
  const values = new Float64Array(nBootstraps);
  const sorted = new Float64Array(nBootstraps);
  for (let step = 0; step < w; step++) {
    if (!(1 / count <= p && p <= (count - 1) / count)) {
      throw new RangeError(
        `mmd_online: ${count} of ${nBootstraps} simulated streams left at step ${step}: too few for the ` +
          `${p}-quantile; raise n_bootstraps (alibi-detect advises at least 10·ert)`,
      );
    }
    for (let i = 0; i < count; i++) values[i] = stats[alive[i] * w + step];
    sorted.set(values.subarray(0, count));
    const threshold = sampleQuantile(sorted.subarray(0, count).sort(), p, 7, true);
    let kept = 0;
    for (let i = 0; i < count; i++) if (values[i] <= threshold) alive[kept++] = alive[i];
    count = kept;
    thresholds[step] = threshold;
  }
  return thresholds;
}

/** The sub-reference: every row index in neither list, ascending. */
function subReferenceOf(n: number, initialWindow: readonly number[], heldOut: readonly number[]): Int32Array {
  const taken = new Uint8Array(n);
  for (const i of initialWindow) taken[i] = 1;
  for (const i of heldOut) taken[i] = 1;
  const sub = new Int32Array(n - initialWindow.length - heldOut.length);
  let k = 0;
  for (let i = 0; i < n; i++) if (taken[i] === 0) sub[k++] = i;
  return sub;
}

/**
 * Calibrates the online MMD detector for a reference, once, as alibi-detect does when an
 * `MMDDriftOnline` is built (Cobb, Van Looveren & Klaise 2022, AISTATS):
 *
 * 1. σ by the median heuristic on the reference (`medianBandwidth`, alibi-detect's `sigma_median`)
 *    unless `bandwidth` fixes it, and the n × n kernel matrix k(x, y) = exp(−‖x − y‖² / (2σ²)), once.
 * 2. `n_bootstraps` simulated streams, each a random permutation of the reference into a
 *    sub-reference of n − (2W − 1) rows and 2W − 1 stream rows, scored at steps 0 … W − 1 by the
 *    unbiased MMD² between the sub-reference and the window [step, step + W) (`simulateMmd`).
 * 3. Per step, the (1 − 1/ert) quantile among the streams without an earlier alarm
 *    (`mmdThresholds`): each step then alarms with probability 1/ert, so the run length from t = 0
 *    is geometric with mean ert (alibi-detect's ERT for multivariate detectors counts from t = 0).
 * 4. The split the detector keeps: a random permutation, drawn again until the initial window's
 *    MMD² does not exceed the step-0 quantile, as the simulated streams were conditioned on it.
 *
 * Like alibi-detect, the thresholds stop at step W − 1, the last window that still holds a row of
 * the initial window; later events use that threshold. By then every window has its W − 1
 * overlapping predecessors among the conditioned steps, so the conditional law has settled. Measured
 * (a scratch simulation, 4000 Gaussian references of 200 × 3, W = 10, ert 50): the alarm rate among
 * the runs still going was 1.08, 0.98, 0.98 and 1.00 × 1/ert over events 1–9, 10–19, 20–40 and
 * 41–1000; on shuffled real rows (bench/online) the mean run length is within 3 % of ert.
 *
 * Draws come from `seededRandom(seed)`: the streams first, then the split, so the same arguments
 * give the same calibration on every machine (not numpy's or torch's: the thresholds agree with
 * alibi-detect's within Monte-Carlo error). One difference from alibi-detect, at ties only: a
 * simulated stream or a split whose MMD² equals the quantile survives here, as the detector does
 * not alarm on it (alibi-detect's `<` against its `>`). The two differ only where the quantile
 * equals simulated values; at the extreme, a constant reference, every simulated MMD² is 0,
 * alibi-detect drops every stream at step 0 and its quantile then fails on an empty sample, where
 * this gives thresholds of 0 (any row but the reference's alarms).
 *
 * Cost: O(n²·dim) for the kernel matrix (twice: `medianBandwidth` computes its own distances),
 * O(n_bootstraps·W²) for the simulation; memory one n × n matrix. Throws a RangeError for invalid
 * options, a reference with non-finite values or fewer than 2W + 1 rows, or too few bootstraps.
 *
 * @example
 * const reference = { n: 200, dim: 3, data: Float64Array.from({ length: 600 }, (_, i) => Math.sin(i * 12.9898) * 2) };
 * const c = calibrateMmd(reference, { ert: 50, window_size: 10, n_bootstraps: 2000 }, 7);
 * c.thresholds.length // 9: events 1 … 9; event 10 and later use the last
 * c.initial_window.length // 10, c.held_out.length // 9: the sub-reference keeps 181 rows
 */
export function calibrateMmd(reference: Rows, options: MmdOnlineOptions, seed: number): MmdOnlineCalibration {
  const { ert, window_size: w } = options;
  if (typeof ert !== "number" || !(ert > 1) || !Number.isFinite(ert)) {
    throw new RangeError(`mmd_online: ert must be a finite number above 1 (got ${ert})`);
  }
  if (!Number.isInteger(w) || w < 2) {
    throw new RangeError(`mmd_online: window_size must be an integer of at least 2 (got ${w})`);
  }
  const nBootstraps = options.n_bootstraps ?? MMD_DEFAULT_N_BOOTSTRAPS;
  if (!Number.isInteger(nBootstraps) || nBootstraps < 1) {
    throw new RangeError(`mmd_online: n_bootstraps must be a positive integer (got ${nBootstraps})`);
  }
  if (options.bandwidth !== undefined) kernelGamma(options.bandwidth, "mmd_online");
  if (!Number.isInteger(seed)) throw new RangeError(`mmd_online: seed must be an integer (got ${seed})`);
  checkReference(reference);
  const { n, dim } = reference;
  const rw = subReferenceSize(n, w);

  const sigma = options.bandwidth ?? medianBandwidth(reference, reference);
  const gamma = kernelGamma(sigma, "mmd_online");
  // One n × n matrix: the distances, turned into the kernel in place, diagonal 0 (alibi's zero_diag).
  const kernel = squaredDistances(reference, reference);
  for (let i = 0; i < kernel.length; i++) kernel[i] = Math.exp(-(gamma * kernel[i]));
  for (let i = 0; i < n; i++) kernel[i * n + i] = 0;

  const random = seededRandom(seed);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const stats = simulateMmd(kernel, n, w, nBootstraps, perm, random);
  const quantiles = mmdThresholds(stats, nBootstraps, w, ert);

  for (let tries = 0; tries < MAX_SPLIT_TRIES; tries++) {
    for (let i = n - 1; i >= rw; i--) {
      const j = Math.floor(random() * (i + 1));
      const t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    const heldOut = Array.from(perm.subarray(rw, n - w));
    const initialWindow = Array.from(perm.subarray(n - w, n));
    const sub = subReferenceOf(n, initialWindow, heldOut);
    let sxx = 0;
    for (let a = 0; a < rw; a++) {
      const row = sub[a] * n;
      for (let b = 0; b < rw; b++) sxx += kernel[row + sub[b]];
    }
    let sxy = 0;
    let syy = 0;
    for (const j of initialWindow) {
      for (let a = 0; a < rw; a++) sxy += kernel[sub[a] * n + j];
      for (const l of initialWindow) syy += kernel[j * n + l];
    }
    const referenceKernelMean = sxx / (rw * (rw - 1));
    const initial = referenceKernelMean + syy / (w * (w - 1)) - 2 * (sxy / (rw * w));
    if (initial <= quantiles[0]) {
      return {
        type: "mmd",
        ert,
        window_size: w,
        n_bootstraps: nBootstraps,
        seed,
        n_reference: n,
        dim,
        sigma,
        bandwidth: options.bandwidth === undefined ? "median_heuristic" : "fixed",
        t_max: w - 1,
        thresholds: Array.from(quantiles.subarray(1)),
        initial_threshold: quantiles[0],
        initial_window: initialWindow,
        held_out: heldOut,
        reference_kernel_mean: referenceKernelMean,
      };
    }
  }
  throw new RangeError(
    `mmd_online: no split of the reference in ${MAX_SPLIT_TRIES} draws has an initial window below ` +
      `the step-0 threshold ${quantiles[0]} (are most rows equal?)`,
  );
}

class MmdOnlineDetector implements OnlineDetector<MmdOnlineState, ArrayLike<number>> {
  private readonly w: number;
  private readonly dim: number;
  private readonly gamma: number;
  /** Sub-reference rows, contiguous. */
  private readonly sub: Float64Array;
  private readonly rw: number;
  private readonly kxx: number;
  private readonly thresholds: readonly number[];
  /** The window at t = 0, its kernel sums against the sub-reference, its pairs, and their totals. */
  private readonly initRows: Float64Array;
  private readonly initCross: Float64Array;
  private readonly initPairs: Float64Array;
  private readonly initSumCross: number;
  private readonly initSumWindow: number;
  /** The window: W rows in a ring, their kernel sums against the sub-reference, their W × W kernel. */
  private readonly rows: Float64Array;
  private readonly cross: Float64Array;
  private readonly pairs: Float64Array;
  /** The slot of the oldest row, the next to be replaced; window order is head, head + 1, … (mod W). */
  private head = 0;
  private t = 0;
  private sumCross = 0;
  private sumWindow = 0;

  constructor(reference: Rows, calibration: MmdOnlineCalibration, state: MmdOnlineState | undefined) {
    const w = calibration.window_size;
    const { dim } = reference;
    this.w = w;
    this.dim = dim;
    this.gamma = kernelGamma(calibration.sigma, "mmd_online");
    const sub = subReferenceOf(reference.n, calibration.initial_window, calibration.held_out);
    this.rw = sub.length;
    this.sub = new Float64Array(this.rw * dim);
    sub.forEach((i, a) => {
      this.sub.set(reference.data.subarray(i * dim, (i + 1) * dim), a * dim);
    });
    this.kxx = calibration.reference_kernel_mean;
    this.thresholds = calibration.thresholds;
    this.rows = new Float64Array(w * dim);
    this.cross = new Float64Array(w);
    this.pairs = new Float64Array(w * w);
    calibration.initial_window.forEach((i, slot) => {
      this.rows.set(reference.data.subarray(i * dim, (i + 1) * dim), slot * dim);
    });
    for (let slot = 0; slot < w; slot++) {
      this.cross[slot] = this.crossSum(slot);
      for (let other = slot + 1; other < w; other++) {
        const k = this.pairKernel(slot, other);
        this.pairs[slot * w + other] = k;
        this.pairs[other * w + slot] = k;
      }
    }
    let sumCross = 0;
    let sumWindow = 0;
    for (let a = 0; a < w; a++) {
      sumCross += this.cross[a];
      for (let b = 0; b < w; b++) sumWindow += this.pairs[a * w + b];
    }
    this.initRows = this.rows.slice();
    this.initCross = this.cross.slice();
    this.initPairs = this.pairs.slice();
    this.initSumCross = sumCross;
    this.initSumWindow = sumWindow;
    this.reset();
    if (state !== undefined) this.restore(state);
  }

  /** Σ_i k(sub_i, window row in `slot`): the row's column of k_xy, summed. */
  private crossSum(slot: number): number {
    const { sub, rows, dim, gamma, rw } = this;
    const at = slot * dim;
    let s = 0;
    for (let a = 0; a < rw; a++) s += Math.exp(-(gamma * rowDistance(sub, a * dim, rows, at, dim)));
    return s;
  }

  private pairKernel(a: number, b: number): number {
    return Math.exp(-(this.gamma * rowDistance(this.rows, a * this.dim, this.rows, b * this.dim, this.dim)));
  }

  /**
   * Replaces the oldest row by `row` and its kernel entries; with `accumulate`, updates the running
   * sums. The sums over the other rows run in window order, so a restored ring (whose slots may sit
   * elsewhere) adds the same numbers in the same order.
   */
  private push(row: ArrayLike<number>, accumulate: boolean): void {
    const { w, dim, rows, pairs } = this;
    const slot = this.head;
    for (let k = 0; k < dim; k++) rows[slot * dim + k] = row[k];
    const cross = this.crossSum(slot);
    let pairsOut = 0;
    let pairsIn = 0;
    for (let i = 1; i < w; i++) {
      const other = (slot + i) % w;
      const k = this.pairKernel(slot, other);
      pairsOut += pairs[slot * w + other];
      pairsIn += k;
      pairs[slot * w + other] = k;
      pairs[other * w + slot] = k;
    }
    if (accumulate) {
      this.sumCross += cross - this.cross[slot];
      this.sumWindow += 2 * (pairsIn - pairsOut);
    }
    this.cross[slot] = cross;
    this.head = slot + 1 === w ? 0 : slot + 1;
  }

  private restore(state: MmdOnlineState): void {
    const { t, rows, kernel_sum_cross: sumCross, kernel_sum_window: sumWindow } = state;
    if (!Number.isInteger(t) || t < 0) throw new RangeError(`mmd_online: state.t must be a count (got ${t})`);
    const k = Math.min(t, this.w);
    if (!Array.isArray(rows) || rows.length !== k) {
      throw new RangeError(`mmd_online: state.rows must hold the last ${k} rows (got ${rows?.length})`);
    }
    for (const row of rows) this.checkRow(row, "state.rows");
    if (!Number.isFinite(sumCross) || !Number.isFinite(sumWindow)) {
      throw new RangeError(
        `mmd_online: state kernel sums must be finite numbers (got ${sumCross}, ${sumWindow})`,
      );
    }
    for (const row of rows) this.push(row, false);
    this.t = t;
    this.sumCross = sumCross;
    this.sumWindow = sumWindow;
  }

  private checkRow(row: ArrayLike<number>, what: string): void {
    if (row === null || typeof row !== "object" || row.length !== this.dim) {
      throw new RangeError(
        `mmd_online: ${what} must be rows of ${this.dim} numbers (got ${row === null || typeof row !== "object" ? String(row) : `${row.length} numbers`})`,
      );
    }
    for (let k = 0; k < this.dim; k++) {
      const x = row[k];
      if (typeof x !== "number" || !Number.isFinite(x)) {
        throw new RangeError(`mmd_online: ${what} must be finite numbers (got ${String(x)} at ${k})`);
      }
    }
  }

  update(value: ArrayLike<number>): OnlineUpdate {
    this.checkRow(value, "events");
    this.push(value, true);
    this.t++;
    const { w, rw, t } = this;
    const statistic = this.kxx + this.sumWindow / (w * (w - 1)) - 2 * (this.sumCross / (rw * w));
    const threshold = this.thresholds[Math.min(t, this.thresholds.length) - 1];
    const drift = statistic > threshold;
    if (drift) this.reset();
    return { t, statistics: [statistic], thresholds: [threshold], drift };
  }

  reset(): void {
    this.rows.set(this.initRows);
    this.cross.set(this.initCross);
    this.pairs.set(this.initPairs);
    this.head = 0;
    this.t = 0;
    this.sumCross = this.initSumCross;
    this.sumWindow = this.initSumWindow;
  }

  get state(): MmdOnlineState {
    const { w, dim, t } = this;
    const k = Math.min(t, w);
    const rows: number[][] = [];
    for (let i = w - k; i < w; i++) {
      const slot = (this.head + i) % w;
      rows.push(Array.from(this.rows.subarray(slot * dim, (slot + 1) * dim)));
    }
    return { t, rows, kernel_sum_cross: this.sumCross, kernel_sum_window: this.sumWindow };
  }
}

function checkCalibration(reference: Rows, c: MmdOnlineCalibration): void {
  if (c.type !== "mmd") throw new RangeError(`mmd_online: not an mmd calibration (${String(c.type)})`);
  if (reference.n !== c.n_reference || reference.dim !== c.dim) {
    throw new RangeError(
      `mmd_online: the calibration is for a reference of ${c.n_reference} rows of ${c.dim}, ` +
        `got ${reference.n} of ${reference.dim}`,
    );
  }
  const w = c.window_size;
  if (!Number.isInteger(w) || w < 2) {
    throw new RangeError(`mmd_online: calibration window_size must be an integer of at least 2 (got ${w})`);
  }
  subReferenceSize(reference.n, w);
  const indices = [...(c.initial_window ?? []), ...(c.held_out ?? [])];
  const seen = new Set<number>();
  if (c.initial_window?.length !== w || c.held_out?.length !== w - 1) {
    throw new RangeError(
      `mmd_online: the calibration needs ${w} initial_window and ${w - 1} held_out indices ` +
        `(got ${c.initial_window?.length} and ${c.held_out?.length})`,
    );
  }
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= reference.n || seen.has(i)) {
      throw new RangeError(
        `mmd_online: calibration indices must be distinct rows of the reference (got ${i})`,
      );
    }
    seen.add(i);
  }
  if (
    !Array.isArray(c.thresholds) ||
    c.thresholds.length !== w - 1 ||
    c.thresholds.some((x) => typeof x !== "number" || Number.isNaN(x))
  ) {
    throw new RangeError(`mmd_online: the calibration needs ${w - 1} numeric thresholds`);
  }
  if (!Number.isFinite(c.reference_kernel_mean)) {
    throw new RangeError(
      `mmd_online: calibration reference_kernel_mean must be finite (got ${c.reference_kernel_mean})`,
    );
  }
}

/**
 * The online MMD drift detector on rows of `dim` numbers (Cobb, Van Looveren & Klaise 2022,
 * AISTATS), matching alibi-detect 0.13's `MMDDriftOnline` statistic for statistic. At event t the
 * window holds the last W rows, the first W − t of them, while t < W, from the calibration's initial
 * window; its statistic is the unbiased MMD² against the sub-reference X (rw rows):
 *
 *   MMD² = Σ_{i≠j} k(x_i, x_j) / (rw(rw − 1)) + Σ_{a≠b} k(y_a, y_b) / (W(W − 1)) − 2·Σ_{i,a} k(x_i, y_a) / (rw·W)
 *
 * with k(x, y) = exp(−‖x − y‖² / (2σ²)). The first term is the calibration's constant; the other
 * two are running sums: an event adds its kernel column against X and against the window and
 * subtracts the oldest row's, O((rw + W)·dim) per event with no allocation (alibi-detect recomputes
 * the W × W window kernel and sums the rw × W cross block every event). Drift when MMD² exceeds
 * `thresholds[min(t, t_max) − 1]`; the detector then starts over from the initial window (t = 0),
 * as alibi-detect's `reset_state()`. The ERT counts from t = 0.
 *
 * The running sums carry rounding from event to event; the state holds them, so a restored detector
 * continues bit for bit. Their drift is of the order of 1e-16 · rw · W per event, negligible beside
 * the Monte-Carlo error of the thresholds over any run a detection ends.
 *
 * The ERT holds on average over references and splits, as the simulation draws them; one fixed
 * split's run lengths may be longer or shorter, and since the mean of a mixture of geometric run
 * lengths exceeds the run length of the mean rate, the average leans long where references vary
 * much: 0.99·ert on shuffled Seattle weather (n = 300, W = 20; bench/online), 1.09·ert on Gaussian
 * rows with n = 150, dim 5, W = 20 (a scratch simulation over 2000 references).
 *
 * `calibration` must come from `calibrateMmd` for a reference of the same size and dimension;
 * `state`, from this detector's `state`, resumes it. Throws a RangeError for a reference,
 * calibration or state it cannot use, and `update` for a row of the wrong length or with a
 * non-finite number, leaving the state unchanged.
 *
 * @example
 * const reference = { n: 200, dim: 3, data: Float64Array.from({ length: 600 }, (_, i) => Math.sin(i * 12.9898) * 2) };
 * const calibration = calibrateMmd(reference, { ert: 50, window_size: 10, n_bootstraps: 2000 }, 7);
 * const detector = mmdOnline(reference, calibration);
 * detector.update([0.1, -0.4, 0.7]) // { t: 1, statistics: [-0.0352…], thresholds: [0.1199…], drift: false }
 * let u; do u = detector.update([4, 4, 4]); while (!u.drift);
 * u // { t: 4, statistics: [0.1067…], thresholds: [0.1029…], drift: true }
 * detector.state // { t: 0, rows: [], kernel_sum_cross: …, kernel_sum_window: … }: it starts over
 */
export function mmdOnline(
  reference: Rows,
  calibration: MmdOnlineCalibration,
  state?: MmdOnlineState,
): OnlineDetector<MmdOnlineState, ArrayLike<number>> {
  checkReference(reference);
  checkCalibration(reference, calibration);
  return new MmdOnlineDetector(reference, calibration, state);
}
