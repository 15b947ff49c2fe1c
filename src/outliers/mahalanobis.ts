/**
 * Mahalanobis distance from the reference mean, under the reference covariance: a multivariate
 * score that sees a row whose features are each ordinary but whose combination is not.
 */

import type { JSONSchemaType } from "ajv";
import { numpySum } from "../stats/bins.js";
import { checkRowLength, imputedMatrix, median, referenceDimension, sortedColumns } from "./features.js";
import { pseudoInverseSymmetric } from "./linalg.js";
import { isMissing, type OutlierScorerKind, type Row } from "./types.js";

/**
 * The relative eigenvalue cutoff when the params give none. numpy.linalg.pinv's default, 1e-15, is
 * below the rounding noise of an eigendecomposition (about n·ε·λ_max), so an exactly singular
 * covariance (one feature the sum of two others) could keep a noise eigenvalue and blow a distance
 * up by 1e7; 1e-12 drops that noise with a wide margin and still keeps any direction whose
 * correlation-scale variance is above 1e-12 of the largest.
 */
export const DEFAULT_RCOND = 1e-12;

/**
 * A feature whose standard deviation is at most this fraction of its mean is constant: the spread is
 * rounding in the mean (about ε·log2 n relative), not data. So is one whose variance is subnormal.
 */
export const CONSTANT_RELATIVE_SD = 1e-12;

/** The smallest normal double (C's DBL_MIN). */
const DBL_MIN = 2.2250738585072014e-308;

/** Params of the Mahalanobis scorer. */
export interface MahalanobisParams {
  /** Relative cutoff for eigenvalues of the correlation matrix (default 1e-12). */
  readonly rcond?: number | null;
}

/** The fitted Mahalanobis scorer. */
export interface MahalanobisModel {
  /** Reference mean of each feature (after imputation). */
  readonly mean: number[];
  /** Reference median of each feature: the value a missing feature takes. */
  readonly median: number[];
  /**
   * Standard deviation of each feature (ddof 1), or 1 for a constant feature: the D in the
   * pseudo-inverse covariance P = D⁻¹ R⁺ D⁻¹.
   */
  readonly scale: number[];
  /**
   * R⁺, the pseudo-inverse of the correlation matrix R = D⁻¹ Σ D⁻¹, one array per row. P itself is
   * not stored: its entries are 1/σ² and overflow for features on a scale of 1e-150, where R⁺'s
   * stay bounded.
   */
  readonly inverse_correlation: number[][];
  /** Numerical rank of the covariance: fewer than the features when it is singular. */
  readonly rank: number;
}

const schema: JSONSchemaType<MahalanobisParams> = {
  type: "object",
  additionalProperties: false,
  description: "Mahalanobis distance from the reference mean under the reference (pseudo-)inverse covariance",
  properties: {
    rcond: {
      type: "number",
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      nullable: true,
      description:
        "eigenvalues of the correlation matrix at or below rcond × the largest are treated as 0 (default 1e-12)",
    },
  },
  required: [],
};

/**
 * Fits the mean and the pseudo-inverse covariance of the reference.
 *
 * Formula: Σ = numpy.cov(X, rowvar=False) (ddof = 1; sums in numpy's pairwise order); with
 * D = diag(sqrt(Σ_ii)) and the correlation matrix R = D⁻¹ Σ D⁻¹, the precision is
 * P = D⁻¹ R⁺ D⁻¹, R⁺ the eigen-based pseudo-inverse with cutoff rcond·λ_max (numpy.linalg.pinv's
 * rule). Going through R makes the cutoff blind to units: a feature in bytes beside one in
 * fractions would otherwise put the fractions' variance under the cutoff. For an invertible Σ,
 * P = Σ⁻¹; for a singular one, P equals numpy.linalg.pinv(Σ) on every deviation inside the span
 * of the reference data (where all reference rows lie).
 *
 * Edge cases: missing reference values take the feature's reference median before Σ is computed;
 * a constant feature (sqrt(Σ_ii) ≤ 1e-12·|μ_i|, rounding only) has a zero row and column in P, so
 * it never adds to a distance;
 * needs 2 rows (ddof = 1).
 */
export function fitMahalanobis(reference: readonly Row[], params: MahalanobisParams = {}): MahalanobisModel {
  const rcond = params.rcond ?? DEFAULT_RCOND;
  const d = referenceDimension(reference, 2, "mahalanobis");
  const med = sortedColumns(reference, d, "mahalanobis").map(median);
  const { mean, cov } = covariance(imputedMatrix(reference, d, med), d);
  const sd = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt(cov[j * d + j]);
    // A constant column whose mean rounds (0.1 × 7 / 7) has deviations of ~1e-17, not 0: dividing by
    // that would make rounding noise a direction of tiny variance. It is left unscaled, so its
    // ~1e-34 variance falls under the cutoff like an exact 0.
    sd[j] = s > CONSTANT_RELATIVE_SD * Math.abs(mean[j]) && s * s >= DBL_MIN ? s : 1;
  }
  const corr = new Float64Array(d * d);
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) corr[a * d + b] = cov[a * d + b] / (sd[a] * sd[b]);
  const { inverse, rank } = pseudoInverseSymmetric(corr, d, rcond);
  const inverseCorrelation: number[][] = [];
  for (let a = 0; a < d; a++) inverseCorrelation.push(Array.from(inverse.subarray(a * d, (a + 1) * d)));
  return { mean, median: med, scale: Array.from(sd), inverse_correlation: inverseCorrelation, rank };
}

/** A sample mean and covariance matrix. */
export interface Covariance {
  readonly mean: number[];
  /** The d×d covariance, row-major. */
  readonly cov: Float64Array;
}

/**
 * Mean and sample covariance of dense rows, as `numpy.cov(X, rowvar=False)` (ddof = 1): the
 * columns are centred on their means, then Σ_ab = Σ_i (x_ia − μ_a)(x_ib − μ_b) / (n − 1), every sum
 * in numpy's pairwise order (numpySum), which keeps the error near ε·log n rather than ε·n.
 *
 * Edge cases: needs n ≥ 2 (numpy returns NaN for n = 1); callers check.
 *
 * @example
 * covariance([Float64Array.of(0, 0), Float64Array.of(2, 2)], 2).cov // [2, 2, 2, 2]
 */
export function covariance(rows: readonly Float64Array[], d: number): Covariance {
  const n = rows.length;
  const centred: Float64Array[] = [];
  const mean: number[] = [];
  for (let j = 0; j < d; j++) {
    const column = new Float64Array(n);
    for (let i = 0; i < n; i++) column[i] = rows[i][j];
    const m = numpySum(column) / n;
    for (let i = 0; i < n; i++) column[i] -= m;
    mean.push(m);
    centred.push(column);
  }
  const cov = new Float64Array(d * d);
  const products = new Float64Array(n);
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      for (let i = 0; i < n; i++) products[i] = centred[a][i] * centred[b][i];
      const c = numpySum(products) / (n - 1);
      cov[a * d + b] = c;
      cov[b * d + a] = c;
    }
  }
  return { mean, cov };
}

/**
 * Mahalanobis distance of a row: sqrt((x − μ)ᵀ P (x − μ)) (Mahalanobis 1936), as
 * `scipy.spatial.distance.mahalanobis(x, mean, P)`, computed as sqrt(zᵀ R⁺ z) with the
 * standardised deviation z = D⁻¹(x − μ).
 *
 * Edge cases: a missing feature takes the reference median (flag such rows with `countMissing`);
 * a rounding-negative quadratic form gives 0, and one that overflows gives the largest double;
 * with a singular covariance, a deviation along a
 * direction the reference never varied in is not seen (the pseudo-inverse ignores it).
 *
 * @example
 * const model = fitMahalanobis([[0, 0], [2, 0], [0, 2], [2, 2]]); // mean (1, 1), Σ = (4/3)·I
 * mahalanobisScore(model, [3, 1]) // 1.7320508075688774 ≈ 2 / sqrt(4/3)
 */
export function mahalanobisScore(model: MahalanobisModel, row: Row): number {
  const d = model.mean.length;
  checkRowLength(row, d);
  const z = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const x = row[j];
    z[j] = ((isMissing(x) ? model.median[j] : x) - model.mean[j]) / model.scale[j];
  }
  let q = 0;
  for (let a = 0; a < d; a++) {
    const ra = model.inverse_correlation[a];
    let s = 0;
    for (let b = 0; b < d; b++) s += ra[b] * z[b];
    q += z[a] * s;
  }
  if (!Number.isFinite(q)) return Number.MAX_VALUE; // a departure of ~1e154 standard deviations
  return q > 0 ? Math.sqrt(q) : 0;
}

/** The Mahalanobis scorer (`type: mahalanobis`). */
export const mahalanobis: OutlierScorerKind<MahalanobisParams, MahalanobisModel> = {
  schema,
  example: { rcond: 1e-12 },
  description: "Mahalanobis distance from the reference mean, pseudo-inverse covariance when singular",
  missing: "impute_median",
  fit: fitMahalanobis,
  score: mahalanobisScore,
};
