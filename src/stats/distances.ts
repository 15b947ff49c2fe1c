/**
 * Distances between the reference and current distributions of a column: PSI, Jensen–Shannon and
 * Hellinger on the shared bins (`bins.ts`), Wasserstein-1 on the raw numeric values.
 */

import { numpySum, type SharedBins, sharedBins } from "./bins.js";
import type { ColumnDistances, ColumnSample, DriftTest, SortedSample, TestResult } from "./types.js";

/** The proportion PSI substitutes for an exactly-zero one, as Evidently does. */
export const PSI_ZERO_PROPORTION = 1e-4;

/**
 * The floor of the reference standard deviation that normalises the Wasserstein distance, as
 * Evidently's `max(np.std(reference), 0.001)`, so a constant reference does not divide by zero.
 */
export const WASSERSTEIN_MIN_NORM = 1e-3;

/**
 * Population Stability Index of binned proportions: Σ (cur_i − ref_i) · ln(cur_i / ref_i), where a
 * proportion that is exactly 0 is replaced by 1e-4 (Evidently's convention) so an empty bin adds
 * a large but finite term. Siddiqi (2006), "Credit Risk Scorecards", ch. 8. Terms are added in
 * numpy's order (`np.sum`).
 *
 * Edge cases: symmetric in its arguments up to rounding (c/r and r/c round apart); each term is ≥ 0 ((a − b)·ln(a/b) ≥ 0), so PSI ≥ 0 and
 * identical inputs give exactly 0; a bin empty on both sides adds 0.
 *
 * @example
 * psi([0.5, 0.5], [0.25, 0.75]) // 0.2746530721670274
 */
export function psi(reference: readonly number[], current: readonly number[]): number {
  const k = requireSameLength(reference, current);
  const terms = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const r = reference[i] === 0 ? PSI_ZERO_PROPORTION : reference[i];
    const c = current[i] === 0 ? PSI_ZERO_PROPORTION : current[i];
    terms[i] = (c - r) * Math.log(c / r);
  }
  return numpySum(terms);
}

/**
 * Jensen–Shannon distance with the natural logarithm, exactly
 * `scipy.spatial.distance.jensenshannon(p, q)` (base e): with m = (p + q)/2,
 * sqrt((Σ rel_entr(p, m) + Σ rel_entr(q, m)) / 2), where rel_entr(x, y) = x·ln(x/y) (computed as
 * scipy does, see `relEntr`) and 0 for x = 0. Lin (1991), "Divergence measures based on the
 * Shannon entropy".
 *
 * Inputs are proportions that each sum to 1; unlike scipy they are not renormalised (for count /
 * total proportions this is the same vector scipy computes from the counts).
 *
 * Edge cases: symmetric; 0 for identical inputs; at most sqrt(ln 2) ≈ 0.8326 (disjoint supports).
 * Rounding can make the divergence a tiny negative number when p ≈ q, where scipy returns NaN, or
 * push the distance an ulp past sqrt(ln 2): it is clipped to [0, sqrt(ln 2)].
 *
 * @example
 * jensenShannon([0.5, 0.5, 0], [0, 0.5, 0.5]) // 0.5887050112577373
 */
export function jensenShannon(p: readonly number[], q: readonly number[]): number {
  const k = requireSameLength(p, q);
  const left = new Float64Array(k);
  const right = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const m = (p[i] + q[i]) / 2;
    left[i] = relEntr(p[i], m);
    right[i] = relEntr(q[i], m);
  }
  const js = numpySum(left) + numpySum(right);
  return js > 0 ? Math.min(Math.sqrt(js / 2), JS_MAX) : 0;
}

/** The largest Jensen–Shannon distance (natural log), reached by disjoint supports. */
const JS_MAX = Math.sqrt(Math.LN2);

/** The smallest normal double (C's DBL_MIN), below which x/y has lost precision. */
const DBL_MIN = 2.2250738585072014e-308;

/**
 * scipy.special.rel_entr for the non-negative inputs used here, with the branches of its xsf
 * implementation (scipy ≥ 1.15): x·log1p((x − y)/y) when x/y is in (0.5, 2), where the plain
 * x·ln(x/y) loses digits and the Jensen–Shannon sum of nearly equal bins would inherit the error.
 */
function relEntr(x: number, y: number): number {
  if (x <= 0 || y <= 0) return 0;
  const ratio = x / y;
  if (ratio > 0.5 && ratio < 2) return x * Math.log1p((x - y) / y);
  if (ratio > DBL_MIN && ratio < Number.POSITIVE_INFINITY) return x * Math.log(ratio);
  // x/y underflowed or overflowed: take the logarithms first.
  return x * (Math.log(x) - Math.log(y));
}

/**
 * Hellinger distance of binned proportions, H = sqrt(Σ (√p_i − √q_i)² / 2) = ||√p − √q||₂ / √2
 * (Hellinger 1909; equal to sqrt(1 − Σ √(p_i q_i)) for proportions summing to 1). The
 * difference-of-roots form is used because it has no cancellation: identical inputs give exactly
 * 0 and small distances keep their digits, where 1 − Σ √(pq) loses them. Terms are added in numpy's
 * order; checked against numpy in `test/fixtures/scipy/distances.py`.
 *
 * Edge cases: symmetric; in [0, 1], 1 for disjoint supports (clipped at 1 against rounding).
 *
 * @example
 * hellinger([1, 0], [0, 1]) // 1
 */
export function hellinger(p: readonly number[], q: readonly number[]): number {
  const k = requireSameLength(p, q);
  const terms = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const d = Math.sqrt(p[i]) - Math.sqrt(q[i]);
    terms[i] = d * d;
  }
  return Math.min(1, Math.sqrt(numpySum(terms) / 2));
}

/**
 * Wasserstein-1 (earth mover's) distance between two empirical distributions given as ascending
 * samples, exactly `scipy.stats.wasserstein_distance(u, v)`: ∫ |F_u(x) − F_v(x)| dx over the
 * merged support, i.e. Σ_k |i_k/n_u − j_k/n_v| · (x_{k+1} − x_k) where i_k, j_k count the values ≤ x_k.
 * Ramdas, García Trillos & Cuturi (2017). One merge pass over both sorted arrays, O(n_u + n_v) time
 * and O(1) extra memory; Neumaier-compensated summation, because a million positive terms summed
 * naively lose up to ~1e-10 relative (scipy's dot product is accurate to about 1e-16·√n).
 *
 * Edge cases: ties and values shared by both samples add zero-width steps, as in scipy; an empty
 * sample throws a RangeError (scipy raises ValueError), and so does a NaN (scipy returns NaN):
 * the merge advances only past values ≤ x, which a NaN never is, so it would never end.
 *
 * @example
 * wasserstein(Float64Array.of(0, 1, 3), Float64Array.of(5, 6, 8)) // 5
 */
export function wasserstein(u: SortedSample, v: SortedSample): number {
  const nu = u.length;
  const nv = v.length;
  if (nu === 0 || nv === 0) throw new RangeError("wasserstein distance of an empty sample");
  let i = 0;
  let j = 0;
  let x = Math.min(u[0], v[0]);
  let sum = 0;
  let compensation = 0;
  for (;;) {
    while (i < nu && u[i] <= x) i++;
    while (j < nv && v[j] <= x) j++;
    if (i === nu && j === nv) break;
    const next = i === nu ? v[j] : j === nv ? u[i] : Math.min(u[i], v[j]);
    // Every value ≤ x was consumed above, so the next one is larger unless it is NaN.
    if (!(next > x)) throw new RangeError("wasserstein distance of a sample holding NaN");
    // i / nu and j / nv as scipy divides (not multiplied by reciprocals) so each term matches.
    const term = Math.abs(i / nu - j / nv) * (next - x);
    const t = sum + term;
    compensation += Math.abs(sum) >= Math.abs(term) ? sum - t + term : term - t + sum;
    sum = t;
    x = next;
  }
  return sum + compensation;
}

/**
 * Population standard deviation (ddof = 0, as `np.std` and Evidently) of a sample, two-pass with
 * compensated sums; no allocation.
 *
 * Edge cases: an empty sample throws a RangeError; a constant sample gives 0.
 *
 * @example
 * populationStd(Float64Array.of(1, 2, 3, 4)) // 1.118033988749895
 */
export function populationStd(sample: SortedSample): number {
  const n = sample.length;
  if (n === 0) throw new RangeError("standard deviation of an empty sample");
  let sum = 0;
  let compensation = 0;
  for (let k = 0; k < n; k++) {
    const x = sample[k];
    const t = sum + x;
    compensation += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
    sum = t;
  }
  const mean = (sum + compensation) / n;
  sum = 0;
  compensation = 0;
  for (let k = 0; k < n; k++) {
    const d = sample[k] - mean;
    const x = d * d;
    const t = sum + x;
    compensation += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
    sum = t;
  }
  return Math.sqrt((sum + compensation) / n);
}

/**
 * All distances of a column on its shared bins: PSI, Jensen–Shannon and Hellinger, plus the raw
 * Wasserstein-1 distance for numeric columns. Pass `bins` when the caller already has them (the
 * report builds its histogram from the same bins).
 *
 * @example
 * columnDistances({ kind: "numeric", sorted: Float64Array.of(1, 2, 3, 4, 5) },
 *                 { kind: "numeric", sorted: Float64Array.of(2, 3, 4, 5, 6) })
 * // { wasserstein: 1, psi: 1.6580498377744515, jensen_shannon: 0.2937764826114137, hellinger: 0.34228246745251356 }
 */
export function columnDistances(
  reference: ColumnSample,
  current: ColumnSample,
  bins: SharedBins = sharedBins(reference, current),
): ColumnDistances {
  const binned = {
    psi: psi(bins.reference, bins.current),
    jensen_shannon: jensenShannon(bins.reference, bins.current),
    hellinger: hellinger(bins.reference, bins.current),
  };
  if (reference.kind === "numeric" && current.kind === "numeric") {
    return { wasserstein: wasserstein(reference.sorted, current.sorted), ...binned };
  }
  return binned;
}

/** A binned distance as a registry entry: the statistic on the shared bins, no p-value. */
function binnedTest(
  name: string,
  description: string,
  distance: (reference: readonly number[], current: readonly number[]) => number,
): DriftTest {
  return {
    name,
    kinds: ["numeric", "categorical"],
    decision: "distance",
    defaultThreshold: 0.1,
    description,
    run(reference: ColumnSample, current: ColumnSample): TestResult {
      const bins = sharedBins(reference, current);
      return {
        statistic: distance(bins.reference, bins.current),
        pValue: null,
        details: { bins: bins.reference.length },
      };
    },
  };
}

/**
 * The `psi` drift test: `psi` on the shared bins (reference deciles or categories); drift when
 * PSI ≥ threshold (default 0.1, the usual "moderate shift" level).
 *
 * @example
 * psiTest.run({ kind: "categorical", counts: new Map([["a", 50], ["b", 50]]) },
 *            { kind: "categorical", counts: new Map([["a", 25], ["b", 75]]) })
 * // { statistic: 0.2746530721670274, pValue: null, details: { bins: 2 } }
 */
export const psiTest: DriftTest = binnedTest(
  "psi",
  "population stability index on shared bins (reference deciles or categories), zero proportions replaced by 1e-4",
  psi,
);

/**
 * The `jensenshannon` drift test: `jensenShannon` (natural log, in [0, sqrt(ln 2)]) on the shared
 * bins; drift when the distance ≥ threshold (default 0.1).
 *
 * @example
 * jensenShannonTest.run({ kind: "categorical", counts: new Map([["a", 50], ["b", 50]]) },
 *                      { kind: "categorical", counts: new Map([["a", 25], ["b", 75]]) })
 * // { statistic: 0.18390779094047432, pValue: null, details: { bins: 2 } }
 */
export const jensenShannonTest: DriftTest = binnedTest(
  "jensenshannon",
  "Jensen-Shannon distance (natural log) on shared bins (scipy.spatial.distance.jensenshannon)",
  jensenShannon,
);

/**
 * The `hellinger` drift test: `hellinger` (in [0, 1]) on the shared bins; drift when the distance ≥
 * threshold (default 0.1).
 *
 * @example
 * hellingerTest.run({ kind: "categorical", counts: new Map([["a", 50], ["b", 50]]) },
 *                  { kind: "categorical", counts: new Map([["a", 25], ["b", 75]]) })
 * // { statistic: 0.1845919112825145, pValue: null, details: { bins: 2 } }
 */
export const hellingerTest: DriftTest = binnedTest(
  "hellinger",
  "Hellinger distance on shared bins",
  hellinger,
);

/**
 * The `wasserstein` drift test (numeric): the decision statistic is the Wasserstein-1 distance
 * divided by max(reference population standard deviation, 0.001) — Evidently's "normed
 * Wasserstein" — so one threshold (default 0.1, i.e. a tenth of a reference standard deviation)
 * fits columns of any scale. Details: `raw` (the scipy distance), `reference_std` (ddof 0) and
 * `norm` (the divisor actually used).
 *
 * @example
 * wassersteinTest.run({ kind: "numeric", sorted: Float64Array.of(0, 1, 3) },
 *                     { kind: "numeric", sorted: Float64Array.of(5, 6, 8) }).details.raw // 5
 */
export const wassersteinTest: DriftTest = {
  name: "wasserstein",
  kinds: ["numeric"],
  decision: "distance",
  defaultThreshold: 0.1,
  description:
    "Wasserstein-1 distance on raw values divided by the reference standard deviation (Evidently's normed Wasserstein)",
  run(reference: ColumnSample, current: ColumnSample): TestResult {
    if (reference.kind !== "numeric" || current.kind !== "numeric") {
      throw new TypeError("wasserstein needs numeric samples");
    }
    const raw = wasserstein(reference.sorted, current.sorted);
    const referenceStd = populationStd(reference.sorted);
    const norm = Math.max(referenceStd, WASSERSTEIN_MIN_NORM);
    return { statistic: raw / norm, pValue: null, details: { raw, reference_std: referenceStd, norm } };
  },
};

function requireSameLength(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) {
    throw new RangeError(`distributions have different numbers of bins (${a.length} and ${b.length})`);
  }
  return a.length;
}
