/**
 * Linear reductions fitted on reference rows, for the multivariate tests that compare two samples
 * in fewer dimensions than they have (Rabanser, Günnemann & Lipton 2019, "Failing Loudly: An
 * Empirical Study of Methods for Detecting Dataset Shift", NeurIPS): principal components of the
 * reference (scikit-learn's `PCA`, optionally after `StandardScaler`) and a seeded Gaussian random
 * projection (scikit-learn's `GaussianRandomProjection`; the paper's "untrained autoencoder" idea
 * without a deep-learning runtime). Fitted reductions are plain JSON, so they are cached with the
 * reference and checkpointed like any fitted state.
 */

import { EigenvalueDecomposition, Matrix, SingularValueDecomposition } from "ml-matrix";
import { seededRandom } from "../prng.js";
import type { Rows } from "./types.js";

/** What every fitted reduction holds: how a row is scaled, then the rows it is multiplied by. */
interface FittedLinearMap {
  /** Number of input columns. */
  readonly dim: number;
  /** Reference mean of each column, subtracted before projecting. */
  readonly mean: number[];
  /**
   * Reference standard deviation of each column (ddof 0, as `StandardScaler`), each centred value
   * is divided by; null when the reduction does not standardise. Constant columns get 1.
   */
  readonly scale: number[] | null;
  /** k × dim: reduced coordinate c of a row z (centred, scaled) is Σ_j components[c][j]·z[j]. */
  readonly components: number[][];
}

/** Principal components of the reference rows. */
export interface PcaReduction extends FittedLinearMap {
  /** Principal components, k chosen by count or variance share. */
  readonly type: "pca";
  /** Variance of the reference along each kept component (ddof 1, as scikit-learn's `explained_variance_`). */
  readonly explained_variance: number[];
  /** Share of the total variance along each kept component (`explained_variance_ratio_`). */
  readonly explained_variance_ratio: number[];
}

/** A Gaussian random projection, drawn from a seed. */
export interface RandomProjection extends FittedLinearMap {
  /** Independent N(0, 1/k) entries. */
  readonly type: "random";
  /** The seed the entries were drawn from (recorded; the entries themselves are stored). */
  readonly seed: number;
}

/** A fitted reduction: what `project` applies to the reference and to each window alike. */
export type Reduction = PcaReduction | RandomProjection;

/** How many principal components `fitPca` keeps. */
export interface PcaOptions {
  /**
   * A fixed number of components (integer ≥ 1); when absent, the count reaching `variance`. At
   * most the number of components of non-zero variance (min(n − 1, dim) for n distinct rows).
   */
  readonly components?: number | null;
  /** The variance share (0 < v < 1) the kept components must exceed, when `components` is absent. */
  readonly variance?: number | null;
  /** Standardise each column first (z-scores with the reference mean and standard deviation). */
  readonly standardize: boolean;
}

/** How `fitRandomProjection` draws its projection. */
export interface RandomProjectionOptions {
  /** Output dimensions k (integer ≥ 1). */
  readonly components: number;
  /** Seed of the Gaussian entries. */
  readonly seed: number;
  /** Standardise each column with the reference mean and standard deviation first. */
  readonly standardize: boolean;
}

/**
 * The number of principal components keeping more than `share` of the variance: the smallest k
 * whose cumulative explained-variance ratio is strictly greater than `share`, which is
 * scikit-learn's rule for `PCA(n_components=share)`, `np.searchsorted(cumsum, share,
 * side="right") + 1`, capped at the number of ratios. The cumulative sum runs left to right, as
 * numpy's `cumsum` does, so ties with `share` resolve the same way.
 *
 * @example
 * componentsForVariance([0.5, 0.3, 0.2], 0.8) // 3: 0.5 + 0.3 is not more than 0.8
 */
export function componentsForVariance(ratio: ArrayLike<number>, share: number): number {
  let cumulative = 0;
  let below = 0;
  for (let i = 0; i < ratio.length; i++) {
    cumulative += ratio[i];
    if (cumulative <= share) below = i + 1;
    else break;
  }
  return Math.min(below + 1, ratio.length);
}

/**
 * Column means and, when asked, scales of the reference, as scikit-learn's `StandardScaler`:
 * scale = √(population variance), and 1 for a column scikit-learn deems constant (variance within
 * the rounding error of the two-pass algorithm, `var ≤ n·ε·var + (n·mean·ε)²`), so that a column
 * constant in the reference is centred but not blown up.
 */
function columnMoments(rows: Rows, standardize: boolean): { mean: number[]; scale: number[] | null } {
  const { n, dim, data } = rows;
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] += data[i * dim + j];
  for (let j = 0; j < dim; j++) mean[j] /= n;
  if (!standardize) return { mean: Array.from(mean), scale: null };
  const variance = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) {
      const d = data[i * dim + j] - mean[j];
      variance[j] += d * d;
    }
  }
  const scale: number[] = [];
  for (let j = 0; j < dim; j++) {
    const v = variance[j] / n;
    const bound = n * Number.EPSILON * v + (n * mean[j] * Number.EPSILON) ** 2;
    scale.push(v <= bound ? 1 : Math.sqrt(v));
  }
  return { mean: Array.from(mean), scale };
}

/** The rows centred (and scaled), row-major: what the components are applied to. */
function centred(rows: Rows, mean: readonly number[], scale: readonly number[] | null): Float64Array {
  const { n, dim, data } = rows;
  const z = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    const at = i * dim;
    for (let j = 0; j < dim; j++) {
      const c = data[at + j] - mean[j];
      z[at + j] = scale === null ? c : c / scale[j];
    }
  }
  return z;
}

function checkRows(rows: Rows, what: string): void {
  if (!Number.isInteger(rows.dim) || rows.dim < 1) {
    throw new RangeError(`${what} rows need at least 1 column (got ${rows.dim})`);
  }
  if (rows.data.length !== rows.n * rows.dim) {
    throw new RangeError(
      `${what} rows hold ${rows.data.length} values, not n × dim = ${rows.n} × ${rows.dim}`,
    );
  }
}

/**
 * Eigenvalues (descending, negatives from rounding clipped to 0, as scikit-learn clips them) and
 * unit eigenvectors of the covariance of the centred rows z (n × dim, ddof 1). With at least as
 * many rows as columns this is scikit-learn's "covariance_eigh" solver: the dim × dim covariance,
 * then a symmetric eigendecomposition (ml-matrix's tred2/tql2). With fewer rows it is the SVD of
 * z itself ("full" solver), cheaper then and without squaring the condition number.
 */
function principalAxes(z: Float64Array, n: number, dim: number): { values: number[]; vectors: number[][] } {
  let values: number[];
  let column: (c: number) => number[];
  if (n >= dim) {
    // Upper triangle of zᵀz row by row (row a of the product is contiguous), then mirrored.
    const c = new Float64Array(dim * dim);
    for (let i = 0; i < n; i++) {
      const at = i * dim;
      for (let a = 0; a < dim; a++) {
        const za = z[at + a];
        if (za === 0) continue;
        const row = a * dim;
        for (let b = a; b < dim; b++) c[row + b] += za * z[at + b];
      }
    }
    for (let a = 0; a < dim; a++) {
      for (let b = a; b < dim; b++) {
        const v = c[a * dim + b] / (n - 1);
        c[a * dim + b] = v;
        c[b * dim + a] = v;
      }
    }
    const evd = new EigenvalueDecomposition(Matrix.from1DArray(dim, dim, c), { assumeSymmetric: true });
    values = evd.realEigenvalues;
    const vectors = evd.eigenvectorMatrix;
    column = (k) => vectors.getColumn(k);
  } else {
    const svd = new SingularValueDecomposition(Matrix.from1DArray(n, dim, z), {
      computeLeftSingularVectors: false,
      computeRightSingularVectors: true,
      autoTranspose: true,
    });
    values = svd.diagonal.map((s) => (s * s) / (n - 1));
    const vectors = svd.rightSingularVectors;
    column = (k) => vectors.getColumn(k);
  }
  const order = values.map((_, i) => i).sort((a, b) => values[b] - values[a]);
  return {
    values: order.map((i) => Math.max(values[i], 0)),
    vectors: order.map((i) => column(i)),
  };
}

/**
 * Flips a component so that its entry of largest magnitude (the first one, on ties) is positive:
 * scikit-learn's `svd_flip(u_based_decision=False)`, so that the same reference gives the same
 * signs here on every run, and the signs scikit-learn gives.
 */
function signed(vector: number[]): number[] {
  let at = 0;
  for (let j = 1; j < vector.length; j++) if (Math.abs(vector[j]) > Math.abs(vector[at])) at = j;
  return vector[at] < 0 ? vector.map((v) => -v) : vector;
}

/**
 * Principal components of the reference rows, as scikit-learn's `PCA(n_components)` (after
 * `StandardScaler()` when `standardize`): the rows are centred on their mean (and divided by their
 * standard deviation), the components are the unit eigenvectors of their covariance (ddof 1) by
 * decreasing variance, each signed as scikit-learn signs it, and k is `components` or
 * `componentsForVariance(ratios, variance)`.
 *
 * Edge cases: components of zero variance (beyond the rank of the centred rows, numerically:
 * variance at most max(n, dim)·ε times the largest) are never kept, so a window is never compared
 * along a direction in which the reference does not vary, and `components` is capped at the
 * others; a constant column is centred but keeps scale 1 (scikit-learn's rule), so under
 * standardisation it contributes nothing in the reference and its raw deviation in a window.
 * Throws a RangeError for fewer than 2 rows, for a reference without variance (every column
 * constant), and for `components` below 1 or `variance` outside (0, 1).
 *
 * @example
 * const rows = { n: 3, dim: 2, data: Float64Array.of(0, 0, 1, 1, 2, 2.5) };
 * fitPca(rows, { components: 1, standardize: false }).explained_variance_ratio // [0.99686…], as scikit-learn
 */
export function fitPca(reference: Rows, options: PcaOptions): PcaReduction {
  checkRows(reference, "reference");
  const { n, dim } = reference;
  if (n < 2) throw new RangeError(`pca needs at least 2 reference rows (got ${n})`);
  const components = options.components ?? null;
  const variance = options.variance ?? null;
  if (components !== null && (!Number.isInteger(components) || components < 1)) {
    throw new RangeError(`pca components must be an integer ≥ 1 (got ${components})`);
  }
  if (components === null && (variance === null || !(variance > 0 && variance < 1))) {
    throw new RangeError(`pca variance must be in (0, 1) (got ${variance})`);
  }
  const { mean, scale } = columnMoments(reference, options.standardize);
  const z = centred(reference, mean, scale);
  const { values, vectors } = principalAxes(z, n, dim);
  const total = values.reduce((s, v) => s + v, 0);
  if (!(total > 0)) throw new RangeError("pca needs reference rows that vary: every column is constant");
  const tolerance = values[0] * Math.max(n, dim) * Number.EPSILON;
  let rank = 0;
  while (rank < values.length && values[rank] > tolerance) rank++;
  const ratio = values.map((v) => v / total);
  const k = Math.min(components ?? componentsForVariance(ratio, variance as number), rank);
  return {
    type: "pca",
    dim,
    mean,
    scale,
    components: vectors.slice(0, k).map(signed),
    explained_variance: values.slice(0, k),
    explained_variance_ratio: ratio.slice(0, k),
  };
}

/**
 * A k × dim matrix of independent N(0, 1/k) entries, scikit-learn's `GaussianRandomProjection`
 * (Johnson–Lindenstrauss: squared distances are preserved in expectation, and within a factor
 * 1 ± ε with high probability once k ≳ 4 ln n / ε²). Entries come from `seededRandom(seed)` by
 * the Box–Muller transform, row by row, so the same seed, dim and k give the same matrix on every
 * machine; scikit-learn's numpy stream is not reproduced. When `standardize`, rows are first
 * turned into z-scores with the reference moments (so that columns in large units do not dominate
 * every projected coordinate); otherwise they are only centred, which shifts both samples alike.
 *
 * Throws a RangeError for fewer than 2 reference rows or `components` below 1.
 *
 * @example
 * const r = fitRandomProjection(rows, { components: 16, seed: 7, standardize: true });
 * project(r, window).dim // 16
 */
export function fitRandomProjection(reference: Rows, options: RandomProjectionOptions): RandomProjection {
  checkRows(reference, "reference");
  const { n, dim } = reference;
  if (n < 2) throw new RangeError(`random projection needs at least 2 reference rows (got ${n})`);
  const k = options.components;
  if (!Number.isInteger(k) || k < 1) {
    throw new RangeError(`random projection components must be an integer ≥ 1 (got ${k})`);
  }
  const { mean, scale } = columnMoments(reference, options.standardize);
  const random = seededRandom(options.seed);
  const sd = 1 / Math.sqrt(k);
  let spare: number | null = null;
  const normal = (): number => {
    if (spare !== null) {
      const z = spare;
      spare = null;
      return z;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - random())); // 1 − u ∈ (0, 1]: the log stays finite
    const angle = 2 * Math.PI * random();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
  const components: number[][] = [];
  for (let c = 0; c < k; c++) {
    const row: number[] = [];
    for (let j = 0; j < dim; j++) row.push(normal() * sd);
    components.push(row);
  }
  return { type: "random", dim, mean, scale, components, seed: options.seed };
}

function checkDim(reduction: Reduction, rows: Rows): void {
  checkRows(rows, "projected");
  if (rows.dim !== reduction.dim) {
    throw new RangeError(`rows have ${rows.dim} columns; the reduction was fitted on ${reduction.dim}`);
  }
}

/**
 * The rows in the reduced coordinates: y = components · z with z the row centred on the reference
 * mean (and scaled), scikit-learn's `transform` (of the scaler, then the PCA). Returns k columns.
 *
 * @example
 * project(fitPca(reference, { variance: 0.9, standardize: true }), window) // { n, dim: k, data }
 */
export function project(reduction: Reduction, rows: Rows): Rows {
  checkDim(reduction, rows);
  const { n, dim } = rows;
  const k = reduction.components.length;
  const w = Float64Array.from(reduction.components.flat());
  const z = centred(rows, reduction.mean, reduction.scale);
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const at = i * dim;
    for (let c = 0; c < k; c++) {
      const wc = c * dim;
      let s = 0;
      for (let j = 0; j < dim; j++) s += w[wc + j] * z[at + j];
      out[i * k + c] = s;
    }
  }
  return { n, dim: k, data: out };
}

/**
 * Rows back from principal coordinates to the input units: x̂ = mean + scale ⊙ (componentsᵀ · y),
 * scikit-learn's `inverse_transform` of the PCA (then of the scaler). `reconstruct(p, project(p,
 * rows))` is the orthogonal projection of the rows onto the kept components.
 */
export function reconstruct(reduction: PcaReduction, projected: Rows): Rows {
  const k = reduction.components.length;
  if (projected.dim !== k || projected.data.length !== projected.n * k) {
    throw new RangeError(`projected rows have ${projected.dim} columns; the pca keeps ${k}`);
  }
  const { dim, mean, scale } = reduction;
  const w = Float64Array.from(reduction.components.flat());
  const out = new Float64Array(projected.n * dim);
  for (let i = 0; i < projected.n; i++) {
    const row = out.subarray(i * dim, (i + 1) * dim);
    for (let c = 0; c < k; c++) {
      const y = projected.data[i * k + c];
      for (let j = 0; j < dim; j++) row[j] += y * w[c * dim + j];
    }
    for (let j = 0; j < dim; j++) row[j] = mean[j] + (scale === null ? row[j] : row[j] * scale[j]);
  }
  return { n: projected.n, dim, data: out };
}

/**
 * The reconstruction error of each row: the Euclidean distance between the row as the PCA sees it
 * (centred, and scaled when the PCA standardises) and its projection onto the kept components,
 * ‖z − componentsᵀ·components·z‖, as NannyML's `DataReconstructionDriftCalculator` measures it
 * (`np.linalg.norm(X_scaled − pca.inverse_transform(pca.transform(X_scaled)), axis=1)`). The
 * residual is formed explicitly rather than as √(‖z‖² − ‖y‖²), which would cancel when it is small.
 */
export function reconstructionErrors(reduction: PcaReduction, rows: Rows): Float64Array {
  checkDim(reduction, rows);
  const { n, dim } = rows;
  const k = reduction.components.length;
  const w = Float64Array.from(reduction.components.flat());
  const z = centred(rows, reduction.mean, reduction.scale);
  const y = new Float64Array(k);
  const errors = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const at = i * dim;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += w[c * dim + j] * z[at + j];
      y[c] = s;
    }
    let sum = 0;
    for (let j = 0; j < dim; j++) {
      let r = z[at + j];
      for (let c = 0; c < k; c++) r -= y[c] * w[c * dim + j];
      sum += r * r;
    }
    errors[i] = Math.sqrt(sum);
  }
  return errors;
}
