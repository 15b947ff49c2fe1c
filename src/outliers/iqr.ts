/**
 * Tukey's fences: how far, in interquartile ranges, a row's most extreme feature lies outside
 * [Q1 − k·IQR, Q3 + k·IQR] of the reference.
 */

import type { JSONSchemaType } from "ajv";
import { quantileLinear } from "../stats/bins.js";
import { checkRowLength, referenceDimension, sortedColumns } from "./features.js";
import { CONSTANT_DEPARTURE_SCORE } from "./robust-z.js";
import { isMissing, type OutlierScorerKind, type Row } from "./types.js";

/** Tukey's fence multiplier when the params give none. */
export const DEFAULT_FENCE_K = 1.5;

/** Params of the IQR fences. */
export interface IqrParams {
  /** Fence multiplier k (default 1.5; Tukey's "far out" fences use 3). */
  readonly k?: number | null;
}

/** The fitted IQR fences, per feature. */
export interface IqrModel {
  /** Lower fence Q1 − k·IQR of each feature. */
  readonly lower: number[];
  /** Upper fence Q3 + k·IQR of each feature. */
  readonly upper: number[];
  /**
   * The unit distances are measured in: the IQR, or the reference range (max − min) when the IQR
   * is 0, or 0 when the feature was constant in the reference.
   */
  readonly unit: number[];
}

const schema: JSONSchemaType<IqrParams> = {
  type: "object",
  additionalProperties: false,
  description: "distance outside Tukey's fences [Q1 − k·IQR, Q3 + k·IQR] in IQR units, max over features",
  properties: {
    k: {
      type: "number",
      minimum: 0,
      nullable: true,
      description: "fence multiplier (default 1.5; 3 gives Tukey's far-out fences)",
    },
  },
  required: [],
};

/**
 * Fits per-feature quartiles and fences on the reference's non-missing values.
 *
 * Formula: Q1, Q3 = numpy.quantile(x, [0.25, 0.75]) (method "linear", bit for bit), IQR = Q3 − Q1,
 * fences Q1 − k·IQR and Q3 + k·IQR (Tukey 1977, "Exploratory Data Analysis", ch. 2).
 * Edge cases: IQR = 0 (half the values tied) measures distances in units of the reference range
 * instead; a constant feature has unit 0.
 */
export function fitIqr(reference: readonly Row[], params: IqrParams = {}): IqrModel {
  const k = params.k ?? DEFAULT_FENCE_K;
  const d = referenceDimension(reference, 1, "iqr");
  const columns = sortedColumns(reference, d, "iqr");
  const lower: number[] = [];
  const upper: number[] = [];
  const unit: number[] = [];
  for (const column of columns) {
    const q1 = quantileLinear(column, 0.25);
    const q3 = quantileLinear(column, 0.75);
    const iqr = q3 - q1;
    lower.push(q1 - k * iqr);
    upper.push(q3 + k * iqr);
    unit.push(iqr > 0 ? iqr : column[column.length - 1] - column[0]);
  }
  return { lower, upper, unit };
}

/**
 * IQR-fence score of a row: max_j dist(x_j, [lower_j, upper_j]) / unit_j over the features present,
 * where dist is 0 inside the fences. A score of 0 means every feature is within its fences; 1 means
 * the worst one is one IQR beyond its fence.
 *
 * Edge cases: missing features are skipped, and a row with every feature missing scores 0; a
 * departure from a feature that was constant in the reference scores CONSTANT_DEPARTURE_SCORE.
 *
 * @example
 * const model = fitIqr([[1], [2], [3], [4], [5]]); // Q1 2, Q3 4, fences [-1, 7]
 * iqrScore(model, [9]) // 1: (9 − 7) / 2, one IQR beyond the upper fence
 */
export function iqrScore(model: IqrModel, row: Row): number {
  const d = model.unit.length;
  checkRowLength(row, d);
  let score = 0;
  for (let j = 0; j < d; j++) {
    const x = row[j];
    if (isMissing(x)) continue;
    const outside = x < model.lower[j] ? model.lower[j] - x : x > model.upper[j] ? x - model.upper[j] : 0;
    if (outside === 0) continue;
    const u = model.unit[j];
    const s = u > 0 ? Math.min(outside / u, CONSTANT_DEPARTURE_SCORE) : CONSTANT_DEPARTURE_SCORE;
    if (s > score) score = s;
  }
  return score;
}

/** The IQR-fence scorer (`type: iqr`). */
export const iqr: OutlierScorerKind<IqrParams, IqrModel> = {
  schema,
  example: { k: 1.5 },
  description: "max over features of the distance outside [Q1 − k·IQR, Q3 + k·IQR], in IQR units",
  missing: "skip",
  fit: fitIqr,
  score: iqrScore,
};
