/**
 * The score above which an event is an outlier: either a percentile of the reference rows' own
 * scores (so about 1 % of reference-like events are flagged at the default), or a value given
 * in the config.
 */

import type { JSONSchemaType } from "ajv";
import { UserError } from "../errors.js";
import { quantileLinear } from "../stats/bins.js";
import type { OutlierScorerKind, Row } from "./types.js";

/** The reference percentile used when the config gives neither a percentile nor a value. */
export const DEFAULT_PERCENTILE = 99;

/** How the threshold is chosen: at most one of `percentile` and `value`. */
export interface ThresholdParams {
  /** Percentile (0–100) of the reference scores (default 99). */
  readonly percentile?: number | null;
  /** An explicit threshold in the scorer's own units. */
  readonly value?: number | null;
}

/** JSON Schema of the threshold params; giving both keys is an error. */
export const thresholdSchema: JSONSchemaType<ThresholdParams> = {
  type: "object",
  additionalProperties: false,
  description: "outlier threshold: a percentile of the reference scores (default 99), or an explicit value",
  properties: {
    percentile: {
      type: "number",
      minimum: 0,
      maximum: 100,
      nullable: true,
      description: "percentile of the reference rows' scores, numpy 'linear' method (default 99)",
    },
    value: {
      type: "number",
      nullable: true,
      description: "explicit threshold in the scorer's units (robust z: sigmas; iqr: IQRs; ...)",
    },
  },
  required: [],
  not: { required: ["percentile", "value"] },
};

/**
 * The outlier threshold: `value` when given, else numpy.percentile(scores, percentile) with the
 * default 'linear' method (bit for bit, via quantileLinear). An event is an outlier when its score
 * is strictly above the threshold, so at the default about 1 % of reference rows are.
 *
 * Edge cases: an empty score list with no explicit value throws a UserError; scores may be in any
 * order (they are copied and sorted).
 *
 * @example
 * referenceThreshold([1, 2, 3, 4, 5]) // 4.96 (np.percentile([1, 2, 3, 4, 5], 99))
 * referenceThreshold([1, 2, 3], { value: 3.5 }) // 3.5
 */
export function referenceThreshold(scores: ArrayLike<number>, params: ThresholdParams = {}): number {
  if (params.value !== undefined && params.value !== null) return params.value;
  if (scores.length === 0) throw new UserError("no reference scores to take a percentile of");
  const sorted = Float64Array.from(scores).sort();
  return quantileLinear(sorted, (params.percentile ?? DEFAULT_PERCENTILE) / 100);
}

/** A fitted model with its threshold: everything a monitor needs to score and flag events. */
export interface CalibratedScorer<M> {
  readonly model: M;
  readonly threshold: number;
}

/**
 * Fits a scorer on the reference and sets its threshold from the reference's own scores (or the
 * explicit value). The reference scores are in-sample, as the usual practice for a contamination
 * threshold is (scikit-learn's IsolationForest sets its offset_ the same way).
 *
 * @example
 * const { model, threshold } = calibrate(robustZ, reference, {}, { percentile: 99.5 });
 * robustZ.score(model, row) > threshold // an outlier
 */
export function calibrate<P, M>(
  kind: OutlierScorerKind<P, M>,
  reference: readonly Row[],
  params: P,
  threshold: ThresholdParams = {},
): CalibratedScorer<M> {
  const model = kind.fit(reference, params);
  if (threshold.value !== undefined && threshold.value !== null) return { model, threshold: threshold.value };
  const scores = reference.map((row) => kind.score(model, row));
  return { model, threshold: referenceThreshold(scores, threshold) };
}
