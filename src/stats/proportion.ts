/**
 * The two-proportion z-test for binary categorical columns: is the share of one category the
 * same in the reference and the current sample?
 */

import erfc from "@stdlib/math-base-special-erfc";
import { sharedBins } from "./bins.js";
import type { ColumnSample, DriftTest, TestResult } from "./types.js";

/** A z statistic with its two-sided p-value. */
export interface ZOutcome {
  readonly statistic: number;
  readonly pValue: number;
}

/**
 * Pooled two-proportion z-test: z = (p_cur − p_ref) / sqrt(p̂(1 − p̂)(1/n_ref + 1/n_cur)) with
 * p̂ = (x_ref + x_cur) / (n_ref + n_cur), two-sided p = 2·Φ(−|z|) = erfc(|z|/√2) (erfc from
 * @stdlib), as `2 * scipy.stats.norm.sf(abs(z))`. Agresti (2013), "Categorical Data Analysis",
 * §3.1.
 *
 * Edge cases: p̂ = 0 or 1 (every value is, or none is, a success on both sides) leaves no variance
 * to test against: statistic 0, p 1 rather than 0/0. Empty sides (n = 0) throw a RangeError.
 *
 * @example
 * twoProportionZ(30, 100, 45, 100) // { statistic: 2.1908902300206647, pValue: ≈ 0.028460 }
 */
export function twoProportionZ(
  successReference: number,
  nReference: number,
  successCurrent: number,
  nCurrent: number,
): ZOutcome {
  if (!(nReference > 0)) throw new RangeError("reference sample is empty");
  if (!(nCurrent > 0)) throw new RangeError("current sample is empty");
  const pooled = (successReference + successCurrent) / (nReference + nCurrent);
  if (pooled === 0 || pooled === 1) return { statistic: 0, pValue: 1 };
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / nReference + 1 / nCurrent));
  const statistic = (successCurrent / nCurrent - successReference / nReference) / se;
  return { statistic, pValue: erfc(Math.abs(statistic) * Math.SQRT1_2) };
}

/**
 * The `z` drift test for binary columns: `twoProportionZ` where "success" is the first category
 * in the shared-bin order (the reference's most frequent category, ties by name; see
 * `categoryOrder`), so the sign of z says whether that category grew (+) or shrank (−).
 * Details: `success` (the category), `p_reference`, `p_current`.
 *
 * Edge cases: more than 2 categories over both samples throws a RangeError naming the count (the
 * caller reports it as a user error: the column is not binary); a single category over both
 * samples gives statistic 0, p 1.
 *
 * @example
 * zTest.run({ kind: "categorical", counts: new Map([["no", 70], ["yes", 30]]) },
 *           { kind: "categorical", counts: new Map([["no", 55], ["yes", 45]]) })
 * // statistic ≈ −2.19089, pValue ≈ 0.028460, details { success: "no", p_reference: 0.7, p_current: 0.55 }
 */
export const zTest: DriftTest = {
  name: "z",
  kinds: ["categorical"],
  decision: "p_value",
  description:
    "two-proportion z-test (pooled) for binary columns; success is the most frequent reference category",
  /** The absolute difference of the two proportions, |p_current − p_reference|. */
  effectSize(result) {
    const d = result.details ?? {};
    return typeof d.p_reference === "number" && typeof d.p_current === "number"
      ? Math.abs(d.p_current - d.p_reference)
      : null;
  },
  run(reference: ColumnSample, current: ColumnSample): TestResult {
    const bins = sharedBins(reference, current);
    if (bins.kind !== "categorical") throw new TypeError("z needs categorical samples");
    if (bins.categories.length > 2) {
      throw new RangeError(
        `two-proportion z-test needs a binary column, found ${bins.categories.length} categories over both samples`,
      );
    }
    const r = twoProportionZ(
      bins.referenceCounts[0],
      bins.referenceTotal,
      bins.currentCounts[0],
      bins.currentTotal,
    );
    return {
      statistic: r.statistic,
      pValue: r.pValue,
      details: { success: bins.categories[0], p_reference: bins.reference[0], p_current: bins.current[0] },
    };
  },
};
