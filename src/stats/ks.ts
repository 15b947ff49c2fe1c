/**
 * The two-sample Kolmogorov–Smirnov test, matching `scipy.stats.ks_2samp(reference, current)` with
 * its defaults (alternative='two-sided', method='auto') in statistic and p-value.
 */

import { kstwoSf } from "./kolmogorov.js";
import type { DriftTest, SortedSample, TestResult } from "./types.js";

/** scipy's MAX_AUTO_N: 'auto' computes the exact p-value when both sizes are at most this. */
const MAX_AUTO_N = 10000;

/** numpy's `np.round` on a scalar: round half to even (scipy rounds h and the effective n with it). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff < 0.5) return f;
  if (diff > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** The greatest common divisor of two non-negative integers. */
export function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) {
    const t = x % y;
    x = y;
    y = t;
  }
  return x;
}

/**
 * P(D_{n,n} ≥ h/n) for two samples of equal size n (scipy `_compute_prob_outside_square`):
 * 2 Σ_k (−1)^k C(2n, n − (k+1)h) / C(2n, n), with each ratio of binomials built from h simple
 * factors and the alternating sum nested Horner-fashion to avoid cancellation (Hodges 1958).
 */
function probOutsideSquare(n: number, h: number): number {
  let P = 0.0;
  let k = Math.floor(n / h);
  while (k >= 0) {
    let p1 = 1.0;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1.0 - P);
    k -= 1;
  }
  return 2 * P;
}

/** Columns of the lattice advanced together by `outerProbInside`, and the rows each trails the previous one. */
const PIPELINE_COLUMNS = 4;
const PIPELINE_LAG = 2;

/**
 * P(D_{m,n} ≥ h/lcm(m, n)) for unequal sizes (scipy `_compute_outer_prob_inside_method`, from
 * `_stats_pythran.py`): Hodges' (1958) "inside" lattice-path count from (0, 0) to (m, n) with
 * |x/m − y/n| < h/lcm, rewritten by Viehmann (2021, arXiv:2102.08037) to carry 1 − p directly so
 * small p-values keep their relative precision. Only a sliding window of one column is stored.
 *
 * Each entry is (left · i + below · j) / (i + j), a chain of dependent divisions down a column,
 * so a plain loop waits on the divider. Column i + 1 only needs column i up to one row above
 * its own, so four columns are computed together, each two rows behind the previous one, giving
 * the CPU four independent chains. Every entry is still the same expression on the same inputs,
 * so the result is bit for bit the one of the column-by-column loop (and of scipy's).
 */
function outerProbInside(m0: number, n0: number, g: number, h: number): number {
  // The probability is symmetric in m and n; the recursion assumes m ≥ n.
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0.0, minj, maxj);
  // Invariant between columns: A[k] = 1 for every k at or past the current window length.

  const K = PIPELINE_COLUMNS;
  const L = PIPELINE_LAG;
  // Per column of the group: index i, window start, window length, previous length, shift of the
  // window since the previous column, and the running value (the entry just below).
  const colI = new Float64Array(K);
  const colMin = new Float64Array(K);
  const colLen = new Float64Array(K);
  const colPrevLen = new Float64Array(K);
  const colShift = new Float64Array(K);
  const colVal = new Float64Array(K);

  // One time step t of the pipeline: column c handles row q = t − c·L of its window. When a
  // column is done (q = its length) the entries carried over from a longer previous window are
  // reset to 1, as scipy does after each column; the previous column is done by then, because
  // window lengths change by at most one per column.
  const step = (t: number, k: number): void => {
    for (let c = 0; c < k; c++) {
      const q = t - c * L;
      if (q < 0) break;
      const len = colLen[c];
      if (q < len) {
        const i = colI[c];
        const j = q + colMin[c];
        const val = (A[q + colShift[c]] * i + colVal[c] * j) / (i + j);
        colVal[c] = val;
        A[q] = val;
      } else if (q === len && colPrevLen[c] > len) {
        A.fill(1, len, Math.min(colPrevLen[c], lenA));
      }
    }
  };

  for (let first = 1; first <= m; first += K) {
    const k = Math.min(K, m - first + 1);
    let last = 0;
    for (let c = 0; c < k; c++) {
      const i = first + c;
      const lastminj = minj;
      const lastlen = curlen;
      minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
      maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
      if (maxj <= minj) return 1.0;
      curlen = maxj - minj;
      colI[c] = i;
      colMin[c] = minj;
      colLen[c] = curlen;
      colPrevLen[c] = lastlen;
      colShift[c] = minj - lastminj;
      colVal[c] = minj === 0 ? 0.0 : 1.0;
      last = Math.max(last, c * L + curlen);
    }

    let t = 0;
    if (k === 4) {
      // Steady state, all four columns inside their windows: the same arithmetic as `step`,
      // unrolled so the four running values stay in registers.
      const end = Math.min(colLen[0], colLen[1] + L, colLen[2] + 2 * L, colLen[3] + 3 * L);
      for (; t < 3 * L; t++) step(t, 4);
      if (t < end) {
        const i0 = colI[0];
        const i1 = colI[1];
        const i2 = colI[2];
        const i3 = colI[3];
        const m0 = colMin[0];
        const m1 = colMin[1] - L;
        const m2 = colMin[2] - 2 * L;
        const m3 = colMin[3] - 3 * L;
        const s0 = colShift[0];
        const s1 = colShift[1] - L;
        const s2 = colShift[2] - 2 * L;
        const s3 = colShift[3] - 3 * L;
        let v0 = colVal[0];
        let v1 = colVal[1];
        let v2 = colVal[2];
        let v3 = colVal[3];
        for (; t < end; t++) {
          let j = t + m0;
          v0 = (A[t + s0] * i0 + v0 * j) / (i0 + j);
          A[t] = v0;
          j = t + m1;
          v1 = (A[t + s1] * i1 + v1 * j) / (i1 + j);
          A[t - L] = v1;
          j = t + m2;
          v2 = (A[t + s2] * i2 + v2 * j) / (i2 + j);
          A[t - 2 * L] = v2;
          j = t + m3;
          v3 = (A[t + s3] * i3 + v3 * j) / (i3 + j);
          A[t - 3 * L] = v3;
        }
        colVal[0] = v0;
        colVal[1] = v1;
        colVal[2] = v2;
        colVal[3] = v3;
      }
    }
    for (; t <= last; t++) step(t, k);
  }
  return A[maxj - minj - 1];
}

/** scipy `_attempt_exact_2kssamp` (two-sided): the exact p-value, or null when scipy would give up. */
function exactPValue(n1: number, n2: number, g: number, h: number): number | null {
  const prob = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
  // scipy treats a result outside [0, 1] (e.g. 1 + 2^-52 from rounding when h = 1) as a failure.
  return prob >= 0 && prob <= 1 ? prob : null;
}

/**
 * The largest and smallest value of F_ref − F_cur (the two empirical CDFs) over the pooled values,
 * both starting at 0: the one merge behind the two-sided and the one-sided KS statistics.
 */
export function ecdfDifferenceExtremes(
  reference: SortedSample,
  current: SortedSample,
): { maxDiff: number; minDiff: number } {
  const n1 = reference.length;
  const n2 = current.length;
  // scipy evaluates F_ref − F_cur at every pooled value; only the extremes matter, so the merge
  // walks runs instead. Over a run of reference values below the next current value the
  // difference only grows, so its maximum is at the end of the run and its minimum was already
  // seen before it; symmetrically for a run of current values. A value present on both sides is
  // consumed from both before the difference is taken, as searchsorted side='right' counts it.
  // Once one side is used up the remaining differences shrink monotonically to 0, so the merge
  // stops there; the last pooled value gives 1 − 1 = 0, hence the starting extremes of 0. Each
  // difference is i/n1 − j/n2 in floating point, the expression scipy evaluates, so D is
  // bit-identical to scipy's.
  let maxDiff = 0;
  let minDiff = 0;
  let i = 0;
  let j = 0;
  while (i < n1 && j < n2) {
    const a = reference[i];
    const b = current[j];
    if (a < b) {
      do {
        i++;
      } while (i < n1 && reference[i] < b);
      const diff = i / n1 - j / n2;
      if (diff > maxDiff) maxDiff = diff;
    } else if (b < a) {
      do {
        j++;
      } while (j < n2 && current[j] < a);
      const diff = i / n1 - j / n2;
      if (diff < minDiff) minDiff = diff;
    } else {
      do {
        i++;
      } while (i < n1 && reference[i] === a);
      do {
        j++;
      } while (j < n2 && current[j] === a);
      const diff = i / n1 - j / n2;
      if (diff > maxDiff) maxDiff = diff;
      if (diff < minDiff) minDiff = diff;
    }
  }
  return { maxDiff, minDiff };
}

/**
 * The two-sample Kolmogorov–Smirnov test on ascending samples, as
 * `scipy.stats.ks_2samp(reference, current, method='auto')`.
 *
 * Statistic: D = max_x |F_ref(x) − F_cur(x)| over the pooled values, each ECDF counting values
 * ≤ x (scipy's searchsorted side='right', so ties move both ECDFs together), each difference
 * formed as i/n1 − j/n2 in floating point exactly as scipy does; one merge over both arrays,
 * O(n1 + n2), no allocation.
 *
 * p-value: when max(n1, n2) ≤ 10000, the exact null distribution (Hodges 1958): D is first rounded
 * to h/lcm(n1, n2) (and reported rounded, as scipy does), then P(D ≥ h/lcm) comes from
 * `_compute_prob_outside_square` for n1 = n2 or the Viehmann form of the inside method otherwise;
 * if that fails (a result outside [0, 1]) scipy falls back, and so does this. Otherwise (or on
 * fallback) the asymptotic p-value `kstwo.sf(D, round(n1·n2/(n1+n2)))`: the exact one-sample
 * Kolmogorov distribution at the effective n, not the limiting series (see `kolmogorov.ts`).
 * The p-value is clipped to [0, 1]; one that underflows is reported as 0.
 *
 * Edge cases: identical samples give D = 0 and p = 1; NaN must not appear (callers drop missing
 * values); an empty sample throws a RangeError (callers never pass one: a column without values
 * is skipped before testing).
 *
 * `details` is `{ method: "exact" | "asymp", n_effective }`, with `n_effective` only for "asymp".
 *
 * @example
 * ks2samp(Float64Array.of(1, 2, 3), Float64Array.of(4, 5, 6))
 * // { statistic: 1, pValue: 0.09999999999999999, details: { method: "exact" } }
 * // scipy.stats.ks_2samp([1, 2, 3], [4, 5, 6]) gives statistic=1.0, pvalue=0.09999999999999999
 */
export function ks2samp(reference: SortedSample, current: SortedSample): TestResult {
  const n1 = reference.length;
  const n2 = current.length;
  if (n1 === 0 || n2 === 0) {
    throw new RangeError(`ks2samp needs non-empty samples (got sizes ${n1} and ${n2})`);
  }

  const { maxDiff, minDiff } = ecdfDifferenceExtremes(reference, current);
  let d = Math.max(-minDiff, maxDiff);

  const g = gcd(n1, n2);
  if (Math.max(n1, n2) <= MAX_AUTO_N) {
    const lcm = (n1 / g) * n2;
    const h = roundHalfEven(d * lcm);
    d = h / lcm;
    if (h === 0) return { statistic: d, pValue: 1.0, details: { method: "exact" } };
    const p = exactPValue(n1, n2, g, h);
    if (p !== null) return { statistic: d, pValue: p, details: { method: "exact" } };
  }

  const { pValue, nEffective } = ksAsymptotic(d, n1, n2);
  return { statistic: d, pValue, details: { method: "asymp", n_effective: nEffective } };
}

/**
 * scipy's asymptotic two-sided KS p-value of D for sample sizes n1 and n2: `kstwo.sf(D,
 * round(n1·n2/(n1+n2)))` clipped to [0, 1], with that effective size.
 */
export function ksAsymptotic(d: number, n1: number, n2: number): { pValue: number; nEffective: number } {
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const nEffective = roundHalfEven((m * n) / (m + n));
  return { pValue: Math.min(Math.max(kstwoSf(d, nEffective), 0), 1), nEffective };
}

/**
 * The `ks` drift test: {@link ks2samp} on numeric columns; drift when its p-value is below alpha.
 *
 * @example
 * const reference = { kind: "numeric", sorted: Float64Array.of(1, 2, 3) } as const;
 * const current = { kind: "numeric", sorted: Float64Array.of(4, 5, 6) } as const;
 * ksTest.run(reference, current).pValue // 0.09999999999999999
 */
export const ksTest: DriftTest = {
  name: "ks",
  kinds: ["numeric"],
  decision: "p_value",
  description: "two-sample Kolmogorov-Smirnov test (scipy.stats.ks_2samp, exact or asymptotic p-value)",
  /** KS D itself is the effect size (the largest gap between the two CDFs). */
  effectSize: (result) => result.statistic,
  run(reference, current) {
    if (reference.kind !== "numeric" || current.kind !== "numeric") {
      throw new TypeError(`ks needs numeric columns (got ${reference.kind} and ${current.kind})`);
    }
    return ks2samp(reference.sorted, current.sorted);
  },
};
