/**
 * The classifier two-sample drift test (Lopez-Paz & Oquab 2017, "Revisiting Classifier
 * Two-Sample Tests", ICLR), as alibi-detect's `ClassifierDrift` runs it with its scikit-learn
 * backend, `preds_type='probs'`, `binarize_preds=False` and `n_folds` set: label reference rows 0
 * and current rows 1, train a classifier on K − 1 stratified folds, predict the held-out fold, and
 * test whether the out-of-fold probabilities of class 1 are larger for the current rows than for
 * the reference rows with a one-sided two-sample KS test. If the two samples come from one
 * distribution no classifier can tell them apart, and the two sets of probabilities are
 * exchangeable.
 *
 * The classifier is an L2-regularised logistic regression on standardised features, solved to a
 * tight tolerance by Newton's method, so that the result is the optimum of a convex problem and
 * not an artefact of a solver; its coefficients on all rows name the features that separate.
 */

import { CholeskyDecomposition, Matrix } from "ml-matrix";
import { type KsAlternative, ks2sampOneSided } from "../ks-one-sided.js";
import { seededRandom } from "../prng.js";
import type { TestResult } from "../types.js";
import { refuseUnknownOptions } from "./options.js";
import type { MultivariateTest, Rows } from "./types.js";

/** Options of the `classifier` test (config `options`), with defaults filled in. */
export interface ClassifierOptions {
  /**
   * Number of stratified folds, each predicted by a model trained on the others (2..20); null for
   * one held-out split of `train_size` (the default, as alibi-detect's).
   */
  readonly folds: number | null;
  /** Share of each side's rows the model is trained on when there are no `folds` (0 < t < 1). */
  readonly train_size: number;
  /** Inverse L2 regularisation strength, as scikit-learn's `C` (> 0). */
  readonly C: number;
}

/** What `fit` learns from the reference: nothing; every window trains its own models. */
export type ClassifierFitted = Readonly<Record<string, never>>;

/** A logistic regression on standardised features: p(current | x) = σ(w · (x − mean)/scale + b). */
export interface LogisticModel {
  /** Per-feature mean of the rows the scaler was fitted on. */
  readonly mean: Float64Array;
  /** Per-feature population standard deviation, 1 for constant features (as StandardScaler). */
  readonly scale: Float64Array;
  /** Coefficients on the standardised features (scikit-learn's `coef_`). */
  readonly coef: Float64Array;
  /** Intercept (scikit-learn's `intercept_`). */
  readonly intercept: number;
  /** Iterations taken: Newton steps and steps that reuse an earlier Hessian. */
  readonly iterations: number;
  /** Largest absolute component of the objective's gradient at the solution. */
  readonly gradientNorm: number;
}

/** The out-of-fold evaluation behind the `classifier` test. */
export interface ClassifierOutOfFold {
  /** Out-of-fold probability of class 1 for each pooled row: reference rows first, then current. */
  readonly probabilities: Float64Array;
  /** The model of each fold, in the order of the folds given. */
  readonly models: readonly LogisticModel[];
  /** ROC AUC of the out-of-fold probabilities with current as the positive class. */
  readonly auc: number;
  /** `ks_2samp(probs_ref, probs_cur, alternative='greater')`, as alibi-detect calls it. */
  readonly ks: TestResult;
}

/** alibi-detect's default `train_size` when `n_folds` is not given. */
const DEFAULT_TRAIN_SIZE = 0.75;
const DEFAULT_C = 1.0;
const MIN_FOLDS = 2;
const MAX_FOLDS = 20;
const IMPORTANCE_TOP = 10;
/** alibi-detect's one-sided alternative: the current rows get larger probabilities of class 1. */
const ALTERNATIVE: KsAlternative = "greater";

/* ------------------------------------------------------------------------------------------------
 * Standardisation.
 * ---------------------------------------------------------------------------------------------- */

/**
 * Mean and scale of the rows `index` of `x`, as scikit-learn's `StandardScaler().fit`: mean Σx/n,
 * variance (Σ(x − mean)² − (Σ(x − mean))²/n)/n (its corrected two-pass formula), scale √variance,
 * and scale 1 for a feature whose variance is within rounding of 0 (var ≤ n·ε·var + (n·mean·ε)²,
 * scikit-learn's `_is_constant_feature`), so a constant column stays finite and becomes all zeros.
 */
function standardScaler(x: Rows, index: Int32Array): { mean: Float64Array; scale: Float64Array } {
  const { dim, data } = x;
  const n = index.length;
  const mean = new Float64Array(dim);
  for (const i of index) {
    const off = i * dim;
    for (let j = 0; j < dim; j++) mean[j] += data[off + j];
  }
  for (let j = 0; j < dim; j++) mean[j] /= n;
  const correction = new Float64Array(dim);
  const squares = new Float64Array(dim);
  for (const i of index) {
    const off = i * dim;
    for (let j = 0; j < dim; j++) {
      const t = data[off + j] - mean[j];
      correction[j] += t;
      squares[j] += t * t;
    }
  }
  const scale = new Float64Array(dim);
  const eps = Number.EPSILON;
  for (let j = 0; j < dim; j++) {
    const variance = (squares[j] - (correction[j] * correction[j]) / n) / n;
    const bound = n * eps * variance + (n * mean[j] * eps) ** 2;
    scale[j] = variance <= bound ? 1 : Math.sqrt(variance);
  }
  return { mean, scale };
}

/** The rows `index` of `x`, standardised, transposed: feature j of row r at `[j * n + r]`. */
function standardisedColumns(
  x: Rows,
  index: Int32Array,
  mean: Float64Array,
  scale: Float64Array,
): Float64Array {
  const { dim, data } = x;
  const n = index.length;
  const out = new Float64Array(dim * n);
  for (let r = 0; r < n; r++) {
    const off = index[r] * dim;
    for (let j = 0; j < dim; j++) out[j * n + r] = (data[off + j] - mean[j]) / scale[j];
  }
  return out;
}

/* ------------------------------------------------------------------------------------------------
 * L2-regularised logistic regression by Newton's method.
 * ---------------------------------------------------------------------------------------------- */

/** Largest number of iterations (Newton steps and steps with an earlier Hessian). */
const MAX_NEWTON_ITERATIONS = 1000;
/** Stop once every gradient component is this small (the objective is C·Σ log-loss + ½‖w‖²). */
const GRADIENT_TOLERANCE = 1e-12;
/** Iterations without a new smallest gradient after which it is taken to be at its rounding floor. */
const MAX_STALLED = 20;
/** Backtracking halvings before a Newton step is taken as rounding noise and the solve stops. */
const MAX_HALVINGS = 60;

/** log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/** The logistic function 1/(1 + e^−z), as scipy's expit. */
function expit(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** z = Xw + b for standardised columns `xt` (d × n). */
function linearPredictor(
  xt: Float64Array,
  n: number,
  d: number,
  w: Float64Array,
  b: number,
  z: Float64Array,
): void {
  z.fill(b);
  for (let j = 0; j < d; j++) {
    const wj = w[j];
    if (wj === 0) continue;
    const off = j * n;
    for (let r = 0; r < n; r++) z[r] += wj * xt[off + r];
  }
}

/** Objective C·Σ (softplus(z) − y·z) + ½‖w‖² at the linear predictor z. */
function objective(z: Float64Array, y: Uint8Array, w: Float64Array, C: number): number {
  let loss = 0;
  // softplus(z) − z is softplus(−z), which does not cancel for large z.
  for (let r = 0; r < z.length; r++) loss += y[r] === 1 ? softplus(-z[r]) : softplus(z[r]);
  let penalty = 0;
  for (let j = 0; j < w.length; j++) penalty += w[j] * w[j];
  return C * loss + 0.5 * penalty;
}

/** Gradient (d + 1 entries, the intercept last) from the residuals p − y; returns its max norm. */
function gradient(
  xt: Float64Array,
  n: number,
  d: number,
  residual: Float64Array,
  w: Float64Array,
  C: number,
  g: Float64Array,
): number {
  let norm = 0;
  for (let j = 0; j < d; j++) {
    const off = j * n;
    let s = 0;
    for (let r = 0; r < n; r++) s += xt[off + r] * residual[r];
    g[j] = C * s + w[j];
    norm = Math.max(norm, Math.abs(g[j]));
  }
  let s = 0;
  for (let r = 0; r < n; r++) s += residual[r];
  g[d] = C * s;
  return Math.max(norm, Math.abs(g[d]));
}

/**
 * The Hessian C·X̃ᵀSX̃ + diag(1, …, 1, 0) with X̃ = [X 1] and S = diag(p(1 − p)), as a symmetric
 * (d + 1) × (d + 1) ml-matrix. Its cost, n·d²/2 multiply-adds, dominates a fit: entries are
 * computed two rows by four columns at a time over contiguous columns, so each loaded value
 * serves several products.
 */
function hessian(xt: Float64Array, n: number, d: number, s: Float64Array, C: number): Matrix {
  const k = d + 1;
  const h = new Float64Array(k * k);
  // Weighted columns: ws[j] = S · x_j, and the weighted column of ones, s itself.
  const ws = new Float64Array(d * n);
  for (let j = 0; j < d; j++) {
    const off = j * n;
    for (let r = 0; r < n; r++) ws[off + r] = s[r] * xt[off + r];
  }
  let j = 0;
  for (; j + 1 < d; j += 2) {
    const a0 = j * n;
    const a1 = a0 + n;
    let c = j;
    for (; c + 3 < d; c += 4) {
      const b0 = c * n;
      const b1 = b0 + n;
      const b2 = b1 + n;
      const b3 = b2 + n;
      let s00 = 0;
      let s01 = 0;
      let s02 = 0;
      let s03 = 0;
      let s10 = 0;
      let s11 = 0;
      let s12 = 0;
      let s13 = 0;
      for (let r = 0; r < n; r++) {
        const u0 = ws[a0 + r];
        const u1 = ws[a1 + r];
        const v0 = xt[b0 + r];
        const v1 = xt[b1 + r];
        const v2 = xt[b2 + r];
        const v3 = xt[b3 + r];
        s00 += u0 * v0;
        s01 += u0 * v1;
        s02 += u0 * v2;
        s03 += u0 * v3;
        s10 += u1 * v0;
        s11 += u1 * v1;
        s12 += u1 * v2;
        s13 += u1 * v3;
      }
      h[j * k + c] = s00;
      h[j * k + c + 1] = s01;
      h[j * k + c + 2] = s02;
      h[j * k + c + 3] = s03;
      h[(j + 1) * k + c] = s10;
      h[(j + 1) * k + c + 1] = s11;
      h[(j + 1) * k + c + 2] = s12;
      h[(j + 1) * k + c + 3] = s13;
    }
    for (; c < d; c++) {
      const b0 = c * n;
      let s0 = 0;
      let s1 = 0;
      for (let r = 0; r < n; r++) {
        s0 += ws[a0 + r] * xt[b0 + r];
        s1 += ws[a1 + r] * xt[b0 + r];
      }
      h[j * k + c] = s0;
      h[(j + 1) * k + c] = s1;
    }
  }
  for (; j < d; j++) {
    const a0 = j * n;
    for (let c = j; c < d; c++) {
      const b0 = c * n;
      let s0 = 0;
      for (let r = 0; r < n; r++) s0 += ws[a0 + r] * xt[b0 + r];
      h[j * k + c] = s0;
    }
  }
  // The intercept's row: Σ s·x_j and Σ s.
  for (let c = 0; c < d; c++) {
    const a0 = c * n;
    let s0 = 0;
    for (let r = 0; r < n; r++) s0 += ws[a0 + r];
    h[c * k + d] = s0;
  }
  let total = 0;
  for (let r = 0; r < n; r++) total += s[r];
  h[d * k + d] = total;
  // Scale, add the penalty's identity (the intercept is not penalised) and mirror the upper
  // triangle: ml-matrix's Cholesky checks exact symmetry.
  const m = new Matrix(k, k);
  for (let a = 0; a < k; a++) {
    for (let c = a; c < k; c++) {
      const v = C * h[a * k + c] + (a === c && a < d ? 1 : 0);
      m.set(a, c, v);
      m.set(c, a, v);
    }
  }
  return m;
}

/**
 * Fits L2-regularised logistic regression with an unpenalised intercept to standardised columns
 * `xt` (d × n, feature-major) and labels `y`, minimising scikit-learn's objective
 * C·Σᵢ [log(1 + e^{zᵢ}) − yᵢzᵢ] + ½‖w‖², zᵢ = xᵢ·w + b (for which `LogisticRegression(C=C)`
 * minimises the same function divided by C·n).
 *
 * Newton's method (iteratively reweighted least squares) with a Cholesky solve of the (d + 1)²
 * Hessian and a backtracking line search, to a gradient below 1e-12 in every component. For large
 * d the Hessian dominates the cost (n·d²/2), so a factor is reused for further steps while they
 * converge fast enough to be cheaper than a new one (the chord method); for small d every step is
 * a full Newton step. The
 * problem is strictly convex (the penalty makes the w-block at least the identity, and Σ p(1 − p)
 * > 0 the intercept's), so the optimum is unique and finite even when the classes are perfectly
 * separable, and any solver that reaches it gives the same model. scikit-learn's default solver
 * (L-BFGS-B) also stops on a relative decrease of the objective below 64·ε, which leaves its
 * coefficients about 1e-8 from this optimum; no JavaScript package reproduces its iterations, and
 * none is needed to reach the optimum it approximates.
 *
 * `init` (weights then intercept) warm-starts the iterations; it changes the path, not the optimum.
 */
function fitLogistic(
  xt: Float64Array,
  n: number,
  d: number,
  y: Uint8Array,
  C: number,
  init?: Float64Array,
): { coef: Float64Array; intercept: number; iterations: number; gradientNorm: number } {
  const w = new Float64Array(d);
  let b = 0;
  if (init) {
    w.set(init.subarray(0, d));
    b = init[d];
  }
  const z = new Float64Array(n);
  const residual = new Float64Array(n);
  const weight = new Float64Array(n);
  const g = new Float64Array(d + 1);
  const wTrial = new Float64Array(d);
  const zTrial = new Float64Array(n);

  const evaluate = (): number => {
    for (let r = 0; r < n; r++) {
      // p − 1 = −σ(−z) and 1 − p = σ(−z): formed directly, they keep their relative precision
      // when p is within rounding of 1 (well-separated rows), where p − 1 would be all noise.
      const p1 = expit(z[r]);
      const p0 = expit(-z[r]);
      residual[r] = y[r] === 1 ? -p0 : p1;
      weight[r] = p1 * p0;
    }
    return gradient(xt, n, d, residual, w, C, g);
  };

  linearPredictor(xt, n, d, w, b, z);
  let f = objective(z, y, w, C);
  let gNorm = evaluate();
  // Rough costs in multiply-adds: the Hessian's products and ml-matrix's Cholesky (whose element
  // accessors make each of its d³/6 steps cost about twenty), and one step (predictor, objective,
  // gradient; exp and log counted as twenty).
  const hessianCost = (n * d * d) / 2 + 4 * d * d * d;
  const stepCost = 3 * n * d + 60 * n;
  let iterations = 0;
  let factor: CholeskyDecomposition | null = null;
  let fresh = false;
  let best = gNorm;
  let sinceBest = 0;
  while (gNorm > GRADIENT_TOLERANCE && iterations < MAX_NEWTON_ITERATIONS && sinceBest < MAX_STALLED) {
    iterations++;
    if (factor === null) {
      factor = new CholeskyDecomposition(hessian(xt, n, d, weight, C));
      fresh = true;
      if (!factor.isPositiveDefinite()) break; // only when rounding destroys the penalty's identity
    }
    const step = factor.solve(Matrix.columnVector(g)).to1DArray();
    let slope = 0;
    for (let j = 0; j <= d; j++) slope -= g[j] * step[j];
    // Backtracking on the objective (Armijo). Near the optimum the decrease falls below the
    // objective's rounding, so there a step that leaves the objective equal within a few ulps is
    // taken if it shrinks the gradient, which is what the stopping rule measures.
    const gBefore = gNorm;
    let t = 1;
    let accepted = false;
    for (let halving = 0; halving <= MAX_HALVINGS && !accepted; halving++, t /= 2) {
      for (let j = 0; j < d; j++) wTrial[j] = w[j] - t * step[j];
      const bTrial = b - t * step[d];
      linearPredictor(xt, n, d, wTrial, bTrial, zTrial);
      const fTrial = objective(zTrial, y, wTrial, C);
      const sufficient = fTrial <= f - 1e-4 * t * slope;
      if (!sufficient && Math.abs(fTrial - f) > 8 * Number.EPSILON * Math.abs(f)) continue;
      const saved = { w: Float64Array.from(w), b, z: Float64Array.from(z) };
      w.set(wTrial);
      b = bTrial;
      z.set(zTrial);
      const gTrial = evaluate();
      if (sufficient || gTrial < gNorm) {
        f = fTrial;
        gNorm = gTrial;
        accepted = true;
      } else {
        w.set(saved.w);
        b = saved.b;
        z.set(saved.z);
        evaluate();
      }
    }
    if (!accepted && fresh) break; // the gradient is at its rounding floor
    if (gNorm < best) {
      best = gNorm;
      sinceBest = 0;
    } else {
      sinceBest++;
    }
    // A factor from an earlier iterate still gives a descent direction and, near the optimum,
    // linear convergence (the chord method) at the rate the last step showed. It is kept while
    // the steps still needed at that rate cost less than a new Hessian and its factorisation.
    const rate = gNorm / gBefore;
    const stepsLeft =
      rate < 1 ? Math.log(GRADIENT_TOLERANCE / gNorm) / Math.log(rate) : Number.POSITIVE_INFINITY;
    if (!accepted || stepsLeft * stepCost > hessianCost) factor = null;
    fresh = false;
  }
  return { coef: w, intercept: b, iterations, gradientNorm: gNorm };
}

/** A fitted model's probabilities of class 1 for standardised columns `xt` (d × n). */
function predictProbabilities(
  xt: Float64Array,
  n: number,
  d: number,
  coef: Float64Array,
  b: number,
): Float64Array {
  const z = new Float64Array(n);
  linearPredictor(xt, n, d, coef, b, z);
  for (let r = 0; r < n; r++) z[r] = expit(z[r]);
  return z;
}

/* ------------------------------------------------------------------------------------------------
 * Pooling, folds and the out-of-fold evaluation.
 * ---------------------------------------------------------------------------------------------- */

/** The reference rows followed by the current rows, and their labels (0 reference, 1 current). */
function pool(reference: Rows, current: Rows): { x: Rows; y: Uint8Array } {
  if (reference.dim !== current.dim) {
    throw new RangeError(
      `classifier needs rows of one dimension (got ${reference.dim} reference and ${current.dim} current)`,
    );
  }
  const n = reference.n + current.n;
  const data = new Float64Array(n * reference.dim);
  data.set(reference.data.subarray(0, reference.n * reference.dim));
  data.set(current.data.subarray(0, current.n * current.dim), reference.n * reference.dim);
  const y = new Uint8Array(n);
  y.fill(1, reference.n);
  return { x: { n, dim: reference.dim, data }, y };
}

/**
 * Seeded stratified K-fold assignment of `nReference + nCurrent` pooled rows (reference first):
 * the fold of each row, 0..k−1. Per-fold class counts follow scikit-learn's `StratifiedKFold`
 * (deal the labels, sorted, round-robin to the folds), so every fold holds ⌊n/k⌋ or ⌈n/k⌉ rows of
 * each side; which rows go to which fold is a Fisher–Yates shuffle per side drawn from
 * `seededRandom(seed)`. (scikit-learn shuffles with numpy's generator, so its folds differ.)
 *
 * Edge cases: throws a RangeError when a side has fewer rows than folds, as some fold would
 * then train or test without it.
 *
 * @example
 * stratifiedFolds(4, 4, 2, 7) // Int32Array [0, 1, 1, 0, 0, 1, 1, 0]: two rows of each side per fold
 */
export function stratifiedFolds(nReference: number, nCurrent: number, k: number, seed: number): Int32Array {
  if (nReference < k || nCurrent < k) {
    throw new RangeError(
      `classifier needs at least as many rows on each side as folds (${k} folds, got ${nReference} reference and ${nCurrent} current rows)`,
    );
  }
  const n = nReference + nCurrent;
  const random = seededRandom(seed);
  const folds = new Int32Array(n);
  const side = (start: number, count: number): void => {
    // Labels sorted are nReference zeros then nCurrent ones; position t goes to fold t mod k.
    const labels = new Int32Array(count);
    let at = 0;
    for (let t = start; t < start + count; t++) labels[at++] = t % k;
    labels.sort();
    for (let i = count - 1; i > 0; i--) {
      const r = Math.floor(random() * (i + 1));
      const tmp = labels[i];
      labels[i] = labels[r];
      labels[r] = tmp;
    }
    folds.set(labels, start);
  };
  side(0, nReference);
  side(nReference, nCurrent);
  return folds;
}

/**
 * ROC AUC of `scores` with `positives` the rows labelled 1: the Mann–Whitney U of the positive
 * scores over n₊·n₋, with ties counted ½ (mid-ranks), which is `sklearn.metrics.roc_auc_score`.
 * (`src/performance` has the metric for labelled predictions; stats may not import from it.)
 */
function rocAuc(scores: Float64Array, labels: Uint8Array): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSum = 0;
  let positives = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && scores[order[end]] === scores[order[start]]) end++;
    const midRank = (start + 1 + end) / 2; // ranks start + 1 … end share their mean
    for (let i = start; i < end; i++) {
      if (labels[order[i]] === 1) {
        rankSum += midRank;
        positives++;
      }
    }
    start = end;
  }
  const negatives = n - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Indices 0..n−1 in fold `f` (test) or not in it (train). */
function foldIndex(folds: Int32Array, f: number, test: boolean): Int32Array {
  let count = 0;
  for (let i = 0; i < folds.length; i++) if ((folds[i] === f) === test) count++;
  const out = new Int32Array(count);
  let at = 0;
  for (let i = 0; i < folds.length; i++) if ((folds[i] === f) === test) out[at++] = i;
  return out;
}

/** Fits the scaler and the model on rows `index` of `x`, optionally warm-started from `start`. */
function fitModel(
  x: Rows,
  y: Uint8Array,
  index: Int32Array,
  C: number,
  start?: LogisticModel,
): LogisticModel {
  const { mean, scale } = standardScaler(x, index);
  const xt = standardisedColumns(x, index, mean, scale);
  const labels = new Uint8Array(index.length);
  for (let r = 0; r < index.length; r++) labels[r] = y[index[r]];
  let init: Float64Array | undefined;
  if (start) {
    // The same linear function of the raw features in this scaler's coordinates.
    const d = x.dim;
    init = new Float64Array(d + 1);
    let b = start.intercept;
    for (let j = 0; j < d; j++) {
      const raw = start.coef[j] / start.scale[j];
      init[j] = raw * scale[j];
      b += raw * (mean[j] - start.mean[j]);
    }
    init[d] = b;
  }
  const fit = fitLogistic(xt, index.length, x.dim, labels, C, init);
  return { mean, scale, ...fit };
}

/**
 * A seeded stratified split of `nReference + nCurrent` pooled rows (reference first) into training
 * rows (0) and held-out rows (1): round(`trainSize` · n) of each side, at least one of each side on
 * either part, a Fisher–Yates shuffle per side drawn from `seededRandom(seed)` (as scikit-learn's
 * `train_test_split(stratify=y)`, with another generator).
 */
export function heldOutSplit(
  nReference: number,
  nCurrent: number,
  trainSize: number,
  seed: number,
): Int32Array {
  if (nReference < 2 || nCurrent < 2) {
    throw new RangeError(
      `classifier needs at least 2 rows on each side to train and test (got ${nReference} reference and ${nCurrent} current rows)`,
    );
  }
  const random = seededRandom(seed);
  const split = new Int32Array(nReference + nCurrent);
  const side = (start: number, count: number): void => {
    const train = Math.min(count - 1, Math.max(1, Math.round(trainSize * count)));
    const labels = new Int32Array(count).fill(1, train);
    for (let i = count - 1; i > 0; i--) {
      const r = Math.floor(random() * (i + 1));
      const tmp = labels[i];
      labels[i] = labels[r];
      labels[r] = tmp;
    }
    split.set(labels, start);
  };
  side(0, nReference);
  side(nReference, nCurrent);
  return split;
}

/**
 * The held-out evaluation: one model trained on the rows `split` marks 0, the AUC and alibi-detect's
 * KS test on its probabilities for the rows marked 1. Every held-out probability comes from the
 * same model, which saw none of them: given the model they are independent, so the KS p-value is
 * valid (the out-of-fold one is not quite: a fold's rows share a model).
 */
function heldOut(
  x: Rows,
  y: Uint8Array,
  split: Int32Array,
  C: number,
  start?: LogisticModel,
): { auc: number; ks: TestResult; held_out: number } {
  const train = foldIndex(split, 0, true);
  const test = foldIndex(split, 1, true);
  const model = fitModel(x, y, train, C, start);
  const xt = standardisedColumns(x, test, model.mean, model.scale);
  const p = predictProbabilities(xt, test.length, x.dim, model.coef, model.intercept);
  const labels = new Uint8Array(test.length);
  const ref: number[] = [];
  const cur: number[] = [];
  for (let r = 0; r < test.length; r++) {
    labels[r] = y[test[r]];
    (labels[r] === 0 ? ref : cur).push(p[r]);
  }
  return {
    auc: rocAuc(p, labels),
    ks: ks2sampOneSided(Float64Array.from(ref).sort(), Float64Array.from(cur).sort(), ALTERNATIVE),
    held_out: test.length,
  };
}

/** The out-of-fold evaluation, from explicit folds and an optional model on all rows to start from. */
function outOfFold(
  x: Rows,
  y: Uint8Array,
  folds: Int32Array,
  k: number,
  C: number,
  start?: LogisticModel,
): ClassifierOutOfFold {
  const probabilities = new Float64Array(x.n);
  const models: LogisticModel[] = [];
  for (let f = 0; f < k; f++) {
    const train = foldIndex(folds, f, false);
    const test = foldIndex(folds, f, true);
    const model = fitModel(x, y, train, C, start);
    const xt = standardisedColumns(x, test, model.mean, model.scale);
    const p = predictProbabilities(xt, test.length, x.dim, model.coef, model.intercept);
    for (let r = 0; r < test.length; r++) probabilities[test[r]] = p[r];
    models.push(model);
  }
  let nRef = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === 0) nRef++;
  const ref = new Float64Array(nRef);
  const cur = new Float64Array(y.length - nRef);
  let a = 0;
  let c = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] === 0) ref[a++] = probabilities[i];
    else cur[c++] = probabilities[i];
  }
  ref.sort();
  cur.sort();
  return {
    probabilities,
    models,
    auc: rocAuc(probabilities, y),
    ks: ks2sampOneSided(ref, cur, ALTERNATIVE),
  };
}

/**
 * The out-of-fold evaluation of the classifier test with explicit folds: `testFolds[f]` lists the
 * pooled rows (reference rows 0..n_ref−1, then current rows) that fold f predicts; every row must
 * be in exactly one fold. For each fold a scaler and a logistic regression (see the `classifier`
 * test) are fitted on the other rows and predict the fold; the out-of-fold probabilities of class
 * 1 give the AUC and alibi-detect's KS test. `run` draws the folds itself; this entry point lets a
 * caller reproduce a split made elsewhere (scikit-learn's `StratifiedKFold`).
 *
 * @example
 * const reference = { n: 6, dim: 2, data: Float64Array.of(0, 1, 1, 0, 2, 1, 1, 2, 0, 0, 2, 2) };
 * const current = { n: 6, dim: 2, data: Float64Array.of(3, 1, 4, 0, 5, 1, 4, 2, 3, 0, 5, 2) };
 * const folds = [[0, 1, 6, 7], [2, 3, 8, 9], [4, 5, 10, 11]];
 * classifierOutOfFold(reference, current, folds, 1).ks
 * // { statistic: 1, pValue: 0.001082251082251082, details: { method: "exact", alternative: "greater" } }
 */
export function classifierOutOfFold(
  reference: Rows,
  current: Rows,
  testFolds: readonly (readonly number[])[],
  C: number,
): ClassifierOutOfFold {
  const { x, y } = pool(reference, current);
  const folds = new Int32Array(x.n).fill(-1);
  testFolds.forEach((rows, f) => {
    for (const i of rows) {
      if (!Number.isInteger(i) || i < 0 || i >= x.n || folds[i] !== -1) {
        throw new RangeError(`classifier folds must partition rows 0..${x.n - 1} (row ${i} in fold ${f})`);
      }
      folds[i] = f;
    }
  });
  const missing = folds.indexOf(-1);
  if (missing !== -1)
    throw new RangeError(`classifier folds must partition rows 0..${x.n - 1} (row ${missing} in none)`);
  return outOfFold(x, y, folds, testFolds.length, C);
}

/**
 * A logistic regression fitted to all `reference` (class 0) and `current` (class 1) rows, on
 * features standardised with the mean and scale of all rows: the model whose coefficients say
 * which features separate the samples, and from which `run` warm-starts the fold models.
 */
export function classifierFullModel(reference: Rows, current: Rows, C: number): LogisticModel {
  const { x, y } = pool(reference, current);
  return fitAll(x, y, C);
}

/** {@link classifierFullModel} on pooled rows. */
function fitAll(x: Rows, y: Uint8Array, C: number): LogisticModel {
  const all = new Int32Array(x.n);
  for (let i = 0; i < x.n; i++) all[i] = i;
  return fitModel(x, y, all, C);
}

/* ------------------------------------------------------------------------------------------------
 * The registered test.
 * ---------------------------------------------------------------------------------------------- */

const optionsSchema = {
  type: "object",
  description:
    "domain-classifier two-sample test: a logistic regression between reference and current rows on a held-out split (or out of fold), one-sided KS test on its probabilities (Lopez-Paz & Oquab 2017), as alibi-detect's ClassifierDrift",
  additionalProperties: false,
  properties: {
    train_size: {
      type: "number",
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      default: DEFAULT_TRAIN_SIZE,
      description:
        "share of each side's rows the model is trained on; the others are predicted and tested (alibi-detect's train_size; the default, 0.75, when there are no folds)",
    },
    folds: {
      type: "integer",
      minimum: MIN_FOLDS,
      maximum: MAX_FOLDS,
      description:
        "stratified folds instead of one held-out split (alibi-detect's n_folds): every row is predicted by a model trained on the other folds, more power, but the KS p-value then flags about 9 % of stationary windows at alpha 0.05 (a fold's rows share one model); each side needs at least this many rows",
    },
    C: {
      type: "number",
      exclusiveMinimum: 0,
      default: DEFAULT_C,
      description:
        "inverse L2 regularisation strength of the logistic regression on standardised features, as scikit-learn's C: smaller is a simpler model",
    },
  },
} as const;

/**
 * The `classifier` multivariate drift test (domain classifier; Lopez-Paz & Oquab 2017, as
 * alibi-detect's `ClassifierDrift` with `backend='sklearn'`, `preds_type='probs'`,
 * `binarize_preds=False`, `n_folds=folds`).
 *
 * Reference rows are labelled 0 and current rows 1 and split into `folds` stratified folds drawn
 * from `context.seed`. For each fold, features are standardised with the mean and population
 * standard deviation of the training rows (scikit-learn's `StandardScaler`; constant features get
 * scale 1) and an L2-regularised logistic regression (scikit-learn's objective with `C`, intercept
 * unpenalised) is fitted to them by Newton's method; it predicts the held-out fold. The p-value is
 * alibi-detect's: `scipy.stats.ks_2samp(probs_ref, probs_cur, alternative='greater')` on the
 * out-of-fold probabilities of class 1, so drift means the current rows are recognisably more
 * "current" than the reference rows are; drift when p < alpha. The statistic is the out-of-fold
 * ROC AUC (0.5 when the samples are indistinguishable, 1 when perfectly separated).
 *
 * Standardising is a choice of this test, not alibi-detect's (which fits the model it is given to
 * the raw rows): an L2 penalty on raw features penalises each feature by its units, and embeddings,
 * counts and amounts have very different ones. On standardised features the penalty treats every
 * feature alike and the coefficients are comparable, so they can rank the features.
 *
 * `details`: `auc`, `folds`, `C`, `ks_statistic` (alibi-detect's `distance`), `ks_method`,
 * `n_reference`, `n_current`, and `importance`: the standardised coefficients of a model fitted to
 * all rows, as `{ name, weight }` sorted by |weight| descending, the top 10 (a positive weight:
 * larger values look current).
 *
 * Calibration: like alibi-detect's, the KS test treats the out-of-fold probabilities as two
 * independent samples, which they are not (the rows of a fold share one model), so with no drift
 * it rejects somewhat more often than alpha: 9.0% of 1000 simulated windows at alpha 0.05 with 50
 * Gaussian features and 200 + 200 rows, and alibi-detect's own detector 8.7% on the same setting.
 *
 * Edge cases: a side with fewer rows than folds throws a RangeError; perfectly separable samples
 * keep finite weights (the penalty bounds them) and give AUC 1; the result is the same for the
 * same rows and seed.
 *
 * @example
 * // config: { test: classifier, options: { folds: 3 } }; current rows shifted in x by 3
 * const reference = { n: 6, dim: 2, data: Float64Array.of(0, 1, 1, 0, 2, 1, 1, 2, 0, 0, 2, 2) };
 * const current = { n: 6, dim: 2, data: Float64Array.of(3, 1, 4, 0, 5, 1, 4, 2, 3, 0, 5, 2) };
 * const options = classifierTest.options({ folds: 3 });
 * const context = { alpha: 0.05, seed: 0, names: ["x", "y"] };
 * const result = classifierTest.run(classifierTest.fit(reference, options, context), reference, current, options, context);
 * result.statistic // 1 (AUC: perfectly separated)
 * result.pValue // 0.001082251082251082 (scipy: ks_2samp(6 zeros, 6 ones, alternative='greater'))
 * result.details.importance
 * // [{ name: "x", weight: 1.6494832249106806 }, { name: "y", weight: -0.2565002054329057 }]
 * // (scikit-learn, newton-cholesky on the standardised rows: 1.64948322, -0.25650021)
 */
export const classifierTest: MultivariateTest<ClassifierOptions, ClassifierFitted> = {
  name: "classifier",
  description:
    "domain-classifier two-sample test: logistic regression on a held-out split (or out of fold), one-sided KS on its probabilities (alibi-detect ClassifierDrift)",
  decision: "p_value",
  optionsSchema,
  options(partial) {
    refuseUnknownOptions("classifier", partial, Object.keys(optionsSchema.properties));
    if (partial.folds !== undefined && partial.train_size !== undefined)
      throw new RangeError("classifier takes folds or train_size, not both");
    const folds = partial.folds ?? null;
    if (
      folds !== null &&
      (typeof folds !== "number" || !Number.isInteger(folds) || folds < MIN_FOLDS || folds > MAX_FOLDS)
    ) {
      throw new RangeError(
        `classifier folds must be an integer from ${MIN_FOLDS} to ${MAX_FOLDS} (got ${String(folds)})`,
      );
    }
    const trainSize = partial.train_size ?? DEFAULT_TRAIN_SIZE;
    if (typeof trainSize !== "number" || !(trainSize > 0 && trainSize < 1))
      throw new RangeError(`classifier train_size must be above 0 and below 1 (got ${String(trainSize)})`);
    const C = partial.C ?? DEFAULT_C;
    if (typeof C !== "number" || !(C > 0) || !Number.isFinite(C)) {
      throw new RangeError(`classifier C must be a positive number (got ${String(C)})`);
    }
    return { folds, train_size: trainSize, C };
  },
  fit() {
    return {};
  },
  run(_fitted, reference, current, options, context) {
    const { x, y } = pool(reference, current);
    const full = fitAll(x, y, options.C);
    const result =
      options.folds === null
        ? heldOut(
            x,
            y,
            heldOutSplit(reference.n, current.n, options.train_size, context.seed),
            options.C,
            full,
          )
        : outOfFold(
            x,
            y,
            stratifiedFolds(reference.n, current.n, options.folds, context.seed),
            options.folds,
            options.C,
            full,
          );
    const order = Array.from(full.coef.keys()).sort(
      (a, b) => Math.abs(full.coef[b]) - Math.abs(full.coef[a]) || a - b,
    );
    const importance = order
      .slice(0, IMPORTANCE_TOP)
      .map((j) => ({ name: context.names[j] ?? `${j}`, weight: full.coef[j] }));
    const pValue = result.ks.pValue ?? 1;
    return {
      statistic: result.auc,
      pValue,
      threshold: context.alpha,
      drift: pValue < context.alpha,
      details: {
        auc: result.auc,
        ...(options.folds === null
          ? { train_size: options.train_size, held_out: (result as { held_out: number }).held_out }
          : { folds: options.folds }),
        C: options.C,
        ks_statistic: result.ks.statistic,
        ks_method: result.ks.details?.method,
        n_reference: reference.n,
        n_current: current.n,
        importance,
      },
    };
  },
};
