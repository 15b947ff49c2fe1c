/**
 * Pearson chi-square tests on categorical columns: homogeneity of the 2×K table of both samples
 * (`chi2`) and goodness of fit of the current counts to the reference proportions (`chi2_gof`).
 */

import gammainc from "@stdlib/math-base-special-gammainc";
import { numpySum, sharedBins } from "./bins.js";
import type { ColumnSample, DriftTest, TestResult } from "./types.js";

/** A chi-square statistic with its p-value and degrees of freedom. */
export interface Chi2Outcome {
  readonly statistic: number;
  readonly pValue: number;
  readonly dof: number;
}

/**
 * Survival function of the chi-square distribution, P(X > x) for X ~ χ²(dof): the upper
 * regularized incomplete gamma function Q(dof/2, x/2) from @stdlib (a port of Boost's), the same
 * function as scipy's `chdtrc(dof, x)` / `scipy.stats.chi2.sf(x, dof)`.
 *
 * Edge cases: x ≤ 0 gives 1 (as cephes' `chdtrc`); x = +Infinity gives 0; dof must be > 0
 * (dof = 0 is handled by the callers, where scipy's own conventions differ).
 *
 * @example
 * chi2Sf(3.8414588206941285, 1) // ≈ 0.05 (the 5% critical value of χ²₁)
 */
export function chi2Sf(x: number, dof: number): number {
  if (!(dof > 0)) throw new RangeError(`chi-square degrees of freedom must be > 0 (got ${dof})`);
  if (x <= 0) return 1;
  if (x === Number.POSITIVE_INFINITY) return 0;
  return gammainc(x / 2, dof / 2, true, true);
}

/**
 * Chi-square test of homogeneity of two count vectors over the same K categories, exactly
 * `scipy.stats.chi2_contingency([reference, current], correction=False)`: expected
 * E_ij = row_i · col_j / total, statistic Σ (O_ij − E_ij)² / E_ij summed in numpy's order over the
 * row-major table, dof = K − 1, p = χ²_{K−1}.sf(statistic). Pearson (1900); without Yates'
 * continuity correction, which scipy would otherwise apply when K = 2.
 *
 * Edge cases: a category seen on one side only is a column with one zero, which is fine (its
 * expected counts are positive); K = 1 is scipy's degenerate dof-0 case: statistic 0, p 1. A
 * side with no counts, or a category with 0 on both sides, makes an expected count 0, where
 * scipy raises: this throws a RangeError (`sharedBins` never produces either).
 *
 * @example
 * chi2([10, 20, 30], [15, 15, 30]) // { statistic: 1.7142857142857144, pValue: ≈ 0.424373, dof: 2 }
 */
export function chi2(reference: readonly number[], current: readonly number[]): Chi2Outcome {
  const k = reference.length;
  if (current.length !== k) {
    throw new RangeError(`reference and current have different category counts (${k} and ${current.length})`);
  }
  const nRef = numpySum(reference);
  const nCur = numpySum(current);
  if (!(nRef > 0)) throw new RangeError("reference sample is empty");
  if (!(nCur > 0)) throw new RangeError("current sample is empty");
  const total = nRef + nCur;
  for (let j = 0; j < k; j++) {
    if (!(reference[j] + current[j] > 0)) {
      throw new RangeError(`category at position ${j} has a zero count on both sides`);
    }
  }
  // scipy's degenerate case: with one column observed equals expected, so it skips the test.
  if (k === 1) return { statistic: 0, pValue: 1, dof: 0 };
  // Terms in row-major order (all reference cells, then all current cells) so numpySum adds them as
  // np.sum does over the flattened table; (o − e)² is o·o as numpy's `** 2`.
  const terms = new Float64Array(2 * k);
  for (let j = 0; j < k; j++) {
    const col = reference[j] + current[j];
    const eRef = (nRef * col) / total;
    const eCur = (nCur * col) / total;
    const dRef = reference[j] - eRef;
    const dCur = current[j] - eCur;
    terms[j] = (dRef * dRef) / eRef;
    terms[k + j] = (dCur * dCur) / eCur;
  }
  const statistic = numpySum(terms);
  const dof = k - 1;
  return { statistic, pValue: chi2Sf(statistic, dof), dof };
}

/**
 * Chi-square goodness of fit of observed counts to the proportions of reference counts over the
 * same K categories: expected E_j = (reference_j / Σ reference) · Σ observed, then exactly
 * `scipy.stats.chisquare(f_obs=observed, f_exp=E)` — statistic Σ (O_j − E_j)² / E_j in numpy's
 * order, dof = K − 1, p = χ²_{K−1}.sf(statistic). Rescaling the reference proportions to the
 * observed total is what makes scipy's check that both sums agree pass.
 *
 * Edge cases: every reference count must be > 0 (a category the reference never saw has no
 * expected frequency; the `chi2_gof` test excludes such categories first), otherwise a RangeError.
 * K = 1: statistic 0 and p 1, as `chi2_contingency`'s dof-0 case (scipy's `chisquare` returns a
 * NaN p-value here; we never return NaN). No observed count at all (Σ observed = 0): the fit is
 * undefined; statistic 0 with p 0, because every current value lies outside the reference
 * categories, which is the strongest drift there is.
 *
 * @example
 * chi2Gof([12, 30, 58], [20, 30, 50]) // { statistic: 4.48, pValue: ≈ 0.106459, dof: 2 }
 */
export function chi2Gof(observed: readonly number[], reference: readonly number[]): Chi2Outcome {
  const k = reference.length;
  if (observed.length !== k) {
    throw new RangeError(
      `observed and reference have different category counts (${observed.length} and ${k})`,
    );
  }
  if (k === 0) throw new RangeError("reference sample is empty");
  for (let j = 0; j < k; j++) {
    if (!(reference[j] > 0)) throw new RangeError(`reference count at position ${j} is not positive`);
  }
  const nRef = numpySum(reference);
  const nObs = numpySum(observed);
  if (nObs === 0) return { statistic: 0, pValue: 0, dof: k - 1 };
  if (k === 1) return { statistic: 0, pValue: 1, dof: 0 };
  const terms = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const expected = (reference[j] / nRef) * nObs;
    const d = observed[j] - expected;
    terms[j] = (d * d) / expected;
  }
  const statistic = numpySum(terms);
  const dof = k - 1;
  return { statistic, pValue: chi2Sf(statistic, dof), dof };
}

/**
 * The `chi2` drift test: `chi2` (homogeneity) on the shared categorical bins of both samples.
 * Details: `dof`.
 *
 * @example
 * chi2Test.run({ kind: "categorical", counts: new Map([["a", 10], ["b", 20]]) },
 *              { kind: "categorical", counts: new Map([["a", 20], ["c", 5]]) }).details // { dof: 2 }
 */
export const chi2Test: DriftTest = {
  name: "chi2",
  kinds: ["categorical"],
  decision: "p_value",
  description:
    "chi-square test of homogeneity on the 2×K table over the union of categories (scipy chi2_contingency, no Yates correction)",
  /** Cramér's V of the 2×K table, sqrt(χ²/(N·(min(2,K)−1))), with min(2,K)−1 = 1 whenever dof > 0. */
  effectSize(result, nReference, nCurrent) {
    const dof = Number(result.details?.dof ?? 0);
    return dof > 0 ? Math.sqrt(result.statistic / (nReference + nCurrent)) : 0;
  },
  run(reference: ColumnSample, current: ColumnSample): TestResult {
    const bins = sharedBins(reference, current);
    const r = chi2(bins.referenceCounts, bins.currentCounts);
    return { statistic: r.statistic, pValue: r.pValue, details: { dof: r.dof } };
  },
};

/**
 * The `chi2_gof` drift test: `chi2Gof` of the current counts to the reference proportions over the
 * categories seen in the reference. Current values in categories the reference never saw are left
 * out (they have no expected frequency) and the expected counts are rescaled to the kept current
 * total. Details: `dof`, `excluded_categories` (current-only categories, in shared-bin order),
 * `excluded_count` (current values left out), `kept_count` (current values tested).
 *
 * @example
 * chi2GofTest.run({ kind: "categorical", counts: new Map([["a", 10], ["b", 20]]) },
 *                 { kind: "categorical", counts: new Map([["a", 20], ["c", 5]]) }).details
 * // { dof: 1, excluded_categories: ["c"], excluded_count: 5, kept_count: 20 }
 */
export const chi2GofTest: DriftTest = {
  name: "chi2_gof",
  kinds: ["categorical"],
  decision: "p_value",
  description:
    "chi-square goodness of fit of current counts to reference proportions (scipy chisquare); current-only categories excluded",
  /** Cohen's w of the fit, sqrt(χ²/n), over the current values actually tested. */
  effectSize(result, _nReference, nCurrent) {
    const kept = nCurrent - Number(result.details?.excluded_count ?? 0);
    return kept > 0 ? Math.sqrt(result.statistic / kept) : 0;
  },
  run(reference: ColumnSample, current: ColumnSample): TestResult {
    const bins = sharedBins(reference, current);
    if (bins.kind !== "categorical") throw new TypeError("chi2_gof needs categorical samples");
    // categoryOrder puts every reference category before the current-only ones.
    const kept = bins.referenceCategories;
    const observed = bins.currentCounts.slice(0, kept);
    const excludedCategories = bins.categories.slice(kept);
    const excludedCount = bins.currentCounts.slice(kept).reduce((s, x) => s + x, 0);
    const r = chi2Gof(observed, bins.referenceCounts.slice(0, kept));
    return {
      statistic: r.statistic,
      pValue: r.pValue,
      details: {
        dof: r.dof,
        excluded_categories: excludedCategories,
        excluded_count: excludedCount,
        kept_count: bins.currentTotal - excludedCount,
      },
    };
  },
};
