/**
 * Robust z-score: how many robust standard deviations a row's most extreme feature lies from the
 * reference median.
 */

import type { JSONSchemaType } from "ajv";
import { numpySum } from "../stats/bins.js";
import { checkRowLength, median, referenceDimension, sortedColumns } from "./features.js";
import { isMissing, type OutlierScorerKind, type Row } from "./types.js";

/**
 * Φ⁻¹(3/4), the normal upper quartile: MAD / Φ⁻¹(3/4) ≈ 1.4826·MAD estimates a normal standard
 * deviation consistently (scipy.stats.median_abs_deviation's `scale="normal"`, which divides by
 * this same literal).
 */
export const NORMAL_UPPER_QUARTILE = 0.6744897501960817;

/**
 * sqrt(π/2), the factor that makes the mean absolute deviation a consistent estimator of a normal
 * standard deviation; the fallback scale when the MAD is 0 (Iglewicz & Hoaglin 1993, as IBM SPSS's
 * modified z-score does).
 */
export const MEAN_AD_NORMAL_SCALE = 1.2533141373155001;

/**
 * The score of a departure from a feature that was constant in the reference: the largest finite
 * double, so it exceeds every threshold yet stays finite (JSON has no Infinity).
 */
export const CONSTANT_DEPARTURE_SCORE = Number.MAX_VALUE;

/** Params of the robust z-score: none. */
export type RobustZParams = Record<string, never>;

/** The fitted robust z-score: per feature, the reference median and the robust scale. */
export interface RobustZModel {
  /** Reference median of each feature (numpy.median of its non-missing values). */
  readonly median: number[];
  /**
   * Robust standard deviation of each feature: MAD / 0.67449 (≈ 1.4826·MAD), or
   * 1.253314·mean |x − median| when the MAD is 0, or 0 when the feature was constant.
   */
  readonly scale: number[];
}

const schema: JSONSchemaType<RobustZParams> = {
  type: "object",
  additionalProperties: false,
  properties: {},
  required: [],
  description: "robust z-score of each feature, combined as the maximum over features; no params",
};

/**
 * Fits per-feature medians and MADs on the reference's non-missing values.
 *
 * Formula: MAD_j = median_i |x_ij − median_j| (scipy.stats.median_abs_deviation), robust
 * σ_j = MAD_j / Φ⁻¹(3/4) ≈ 1.4826·MAD_j (scipy's `scale="normal"`, bit for bit).
 * Edge cases: MAD_j = 0 (half the values or more tied) falls back to
 * σ_j = 1.253314·mean_i |x_ij − median_j|; if that is 0 too the feature was constant and σ_j = 0.
 */
export function fitRobustZ(reference: readonly Row[], _params: RobustZParams = {}): RobustZModel {
  const d = referenceDimension(reference, 1, "robust_z");
  const columns = sortedColumns(reference, d, "robust_z");
  const med: number[] = [];
  const scale: number[] = [];
  for (const column of columns) {
    const m = median(column);
    const deviations = column.map((x) => Math.abs(x - m)).sort();
    const mad = median(deviations);
    let s = mad / NORMAL_UPPER_QUARTILE;
    if (s === 0) {
      s = MEAN_AD_NORMAL_SCALE * (numpySum(deviations) / deviations.length);
    }
    med.push(m);
    scale.push(s);
  }
  return { median: med, scale };
}

/**
 * Robust z-score of a row: max_j |x_j − median_j| / σ_j over the features present (Rousseeuw &
 * Croux 1993; Iglewicz & Hoaglin 1993). The maximum, rather than a sum, keeps the score in the
 * familiar "how many sigmas" unit whatever the number of features, and names one culprit.
 *
 * Edge cases: missing features are skipped, and a row with every feature missing scores 0; a
 * departure from a feature that was constant in the reference scores CONSTANT_DEPARTURE_SCORE,
 * and a value equal to that constant adds nothing.
 *
 * @example
 * const model = fitRobustZ([[1], [2], [3], [4], [100]]);
 * robustZScore(model, [7]) // 2.697959000784327: median 3, MAD 1, so (7 − 3) / 1.4826
 */
export function robustZScore(model: RobustZModel, row: Row): number {
  const d = model.median.length;
  checkRowLength(row, d);
  let score = 0;
  for (let j = 0; j < d; j++) {
    const x = row[j];
    if (isMissing(x)) continue;
    const dev = Math.abs(x - model.median[j]);
    const s = model.scale[j];
    // min(): a subnormal scale or a huge departure would overflow to Infinity, which JSON cannot carry.
    const z = s > 0 ? Math.min(dev / s, CONSTANT_DEPARTURE_SCORE) : dev > 0 ? CONSTANT_DEPARTURE_SCORE : 0;
    if (z > score) score = z;
  }
  return score;
}

/** The robust z-score scorer (`type: robust_z`). */
export const robustZ: OutlierScorerKind<RobustZParams, RobustZModel> = {
  schema,
  example: {},
  description: "max over features of |x − median| / (1.4826·MAD) from the reference",
  missing: "skip",
  fit: fitRobustZ,
  score: robustZScore,
};
