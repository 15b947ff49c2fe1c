/**
 * The one-sided two-sample Kolmogorov–Smirnov test, matching
 * `scipy.stats.ks_2samp(reference, current, alternative='greater' | 'less')` with its default
 * method='auto' (scipy 1.17) in statistic and p-value. The two-sided test is `ks.ts`; the exact
 * one-sided null distribution is different code in scipy (a product for equal sizes, Hodges'
 * path count with floating-point binomials otherwise), ported here with its failure rules.
 */

import { ecdfDifferenceExtremes, gcd, roundHalfEven } from "./ks.js";
import type { SortedSample, TestResult } from "./types.js";

/** Which CDF the alternative says is larger: `greater` is F_ref(x) > F_cur(x) for some x. */
export type KsAlternative = "greater" | "less";

/** scipy's MAX_AUTO_N: 'auto' computes the exact p-value when both sizes are at most this. */
const MAX_AUTO_N = 10000;

/* ------------------------------------------------------------------------------------------------
 * xsf's binomial coefficient for integers 0 ≤ k ≤ n (xsf/binom.h with xsf/cephes beta.h and
 * gamma.h), the `scipy.special.binom` that scipy's path count calls. Only the branches that
 * non-negative integer arguments reach are kept: the multiplication formula for k < 20 (after
 * k → n − k), otherwise 1 / (n + 1) / B(n − k + 1, k + 1) with both beta arguments ≥ 1 and their
 * sum ≥ 22, so Gamma, lgam and rgamma are only ever called on positive arguments.
 * ---------------------------------------------------------------------------------------------- */

const MAXGAM = 171.6243769563027;
const MAXLOG = 709.782712893384;
const MAXSTIR = 143.01608;
const SQRT2PI = 2.5066282746310007;
const LS2PI = 0.9189385332046728;
const BETA_ASYMP_FACTOR = 1e6;

const GAMMA_P = [
  0.00016011952247675185, 0.0011913514700658638, 0.010421379756176158, 0.04763678004571372,
  0.20744822764843598, 0.4942148268014971, 1.0,
];
const GAMMA_Q = [
  -2.3158187332412014e-5, 0.0005396055804933034, -0.004456419138517973, 0.011813978522206043,
  0.035823639860549865, -0.23459179571824335, 0.0714304917030273, 1.0,
];
const GAMMA_STIR = [
  0.0007873113957930937, -0.00022954996161337813, -0.0026813261780578124, 0.0034722222160545866,
  0.08333333333334822,
];
const LGAM_A = [
  0.0008116141674705085, -0.0005950619042843014, 0.0007936503404577169, -0.002777777777300997,
  0.08333333333333319,
];
const LGAM_B = [
  -1378.2515256912086, -38801.631513463784, -331612.9927388712, -1162370.974927623, -1721737.0082083966,
  -853555.6642457654,
];
const LGAM_C = [
  -351.81570143652345, -17064.210665188115, -220528.59055385445, -1139334.4436798252, -2532523.0717758294,
  -2018891.4143353277,
];

/** cephes polevl: Σ coef[i] x^(N−i), Horner from the highest degree. */
function polevl(x: number, coef: readonly number[]): number {
  let ans = coef[0];
  for (let i = 1; i < coef.length; i++) ans = ans * x + coef[i];
  return ans;
}

/** cephes p1evl: like polevl with an implicit leading coefficient 1. */
function p1evl(x: number, coef: readonly number[]): number {
  let ans = x + coef[0];
  for (let i = 1; i < coef.length; i++) ans = ans * x + coef[i];
  return ans;
}

/** cephes stirf: Gamma by Stirling's formula, for 33 < x. */
function stirf(x: number): number {
  if (x >= MAXGAM) return Number.POSITIVE_INFINITY;
  let w = 1.0 / x;
  w = 1.0 + w * polevl(w, GAMMA_STIR);
  let y = Math.exp(x);
  if (x > MAXSTIR) {
    // pow(x, x − 0.5) would overflow on its own.
    const v = x ** (0.5 * x - 0.25);
    y = v * (v / y);
  } else {
    y = x ** (x - 0.5) / y;
  }
  return SQRT2PI * y * w;
}

/** cephes Gamma for x ≥ 1. */
function gammaPositive(x0: number): number {
  if (x0 > 33.0) return stirf(x0);
  let x = x0;
  let z = 1.0;
  while (x >= 3.0) {
    x -= 1.0;
    z *= x;
  }
  while (x < 2.0) {
    z /= x;
    x += 1.0;
  }
  if (x === 2.0) return z;
  x -= 2.0;
  return (z * polevl(x, GAMMA_P)) / polevl(x, GAMMA_Q);
}

/** cephes lgam_sgn for x ≥ 1 (where the sign is +1). */
function lgamPositive(x0: number): number {
  let x = x0;
  if (x < 13.0) {
    let z = 1.0;
    let p = 0.0;
    let u = x;
    while (u >= 3.0) {
      p -= 1.0;
      u = x + p;
      z *= u;
    }
    while (u < 2.0) {
      z /= u;
      p += 1.0;
      u = x + p;
    }
    if (u === 2.0) return Math.log(z);
    p -= 2.0;
    x = x + p;
    p = (x * polevl(x, LGAM_B)) / p1evl(x, LGAM_C);
    return Math.log(z) + p;
  }
  if (x >= 1000.0) {
    const q = (x - 0.5) * Math.log(x) - x + LS2PI;
    if (x > 1.0e8) return q;
    const p = 1.0 / (x * x);
    return q + ((0.0007936507936507937 * p - 0.002777777777777778) * p + 0.08333333333333333) / x;
  }
  const q = (x - 0.5) * Math.log(x) - x + LS2PI;
  const p = 1.0 / (x * x);
  return q + polevl(p, LGAM_A) / x;
}

/** cephes beta for a, b ≥ 1 with a + b > 4 (so rgamma(a + b) is 1 / Gamma(a + b)). */
function betaPositive(a0: number, b0: number): number {
  const a = Math.max(a0, b0);
  const b = Math.min(a0, b0);
  if (a > BETA_ASYMP_FACTOR * b && a > BETA_ASYMP_FACTOR) {
    // lbeta_asymp: avoids the loss of precision in lgam(a + b) − lgam(a).
    let r = lgamPositive(b);
    r -= b * Math.log(a);
    r += (b * (1 - b)) / (2 * a);
    r += (b * (1 - b) * (1 - 2 * b)) / (12 * a * a);
    r += (-b * b * (1 - b) * (1 - b)) / (12 * a * a * a);
    return Math.exp(r);
  }
  let y = a + b;
  if (y > MAXGAM || a > MAXGAM || b > MAXGAM) {
    y = lgamPositive(y);
    y = lgamPositive(b) - y;
    y = lgamPositive(a) + y;
    if (y > MAXLOG) return Number.POSITIVE_INFINITY;
    return Math.exp(y);
  }
  y = 1.0 / gammaPositive(y);
  const ga = gammaPositive(a);
  const gb = gammaPositive(b);
  if (!Number.isFinite(y)) return Number.POSITIVE_INFINITY;
  if (Math.abs(Math.abs(ga * y) - 1.0) > Math.abs(Math.abs(gb * y) - 1.0)) {
    y = gb * y;
    y *= ga;
  } else {
    y = ga * y;
    y *= gb;
  }
  return y;
}

/** `scipy.special.binom(n, k)` for integers 0 ≤ k ≤ n, rounding as xsf does. */
function binom(n: number, k: number): number {
  // Reduce k by symmetry for the multiplication formula, which is exact-ish for small k.
  const kx = k > n / 2 && n > 0 ? n - k : k;
  if (kx < 20) {
    let num = 1.0;
    let den = 1.0;
    for (let i = 1; i < 1 + kx; i++) {
      num *= i + n - kx;
      den *= i;
      if (Math.abs(num) > 1e50) {
        num /= den;
        den = 1.0;
      }
    }
    return num / den;
  }
  return 1 / (n + 1) / betaPositive(1 + n - k, 1 + k);
}

/* ------------------------------------------------------------------------------------------------
 * The test.
 * ---------------------------------------------------------------------------------------------- */

/**
 * scipy `_count_paths_outside_method`: the number of lattice paths from (0, 0) to (m, n) that
 * reach the line m·y ≤ n·x − h·g (Hodges 1958, after Drion, Gnedenko and Korolyuk), as a double.
 * B[j] counts the paths that first touch the line at (x_j, j); each is binom(x_j + j, j) less
 * the paths through an earlier first touch, so the sum cancels, as scipy's does.
 */
function countPathsOutside(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  const lxj = n + Math.floor((mg - h) / mg);
  if (lxj <= 0) return binom(m + n, n);
  const xj = new Float64Array(lxj);
  for (let j = 0; j < lxj; j++) xj[j] = Math.floor((h + mg * j + ng - 1) / ng);
  const B = new Float64Array(lxj);
  B[0] = 1;
  for (let j = 1; j < lxj; j++) {
    let bj = binom(xj[j] + j, j);
    for (let i = 0; i < j; i++) bj -= binom(xj[j] - xj[i] + j - i, j - i) * B[i];
    B[j] = bj;
  }
  let numPaths = 0;
  for (let j = 0; j < lxj; j++) numPaths += B[j] * binom(m - xj[j] + (n - j), n - j);
  return numPaths;
}

/**
 * scipy `_attempt_exact_2kssamp` for a one-sided alternative: P(D⁺ ≥ h/lcm), or null where scipy
 * gives up (a floating-point overflow or NaN, a count above the total, a result outside [0, 1]).
 */
function exactOneSided(n1: number, n2: number, g: number, h: number): number | null {
  let prob: number;
  if (n1 === n2) {
    // binom(2n, n − h) / binom(2n, n) as a product of h ratios, each below 1: no overflow.
    prob = 1;
    for (let j = 0; j < h; j++) prob *= (n1 - j) / (n1 + j + 1.0);
  } else {
    // The total is computed first: when it overflows scipy gives up whatever the path count gives
    // (the count either overflows too or is compared with an infinite total), so this only skips
    // scipy's wasted work.
    const total = binom(n1 + n2, n1);
    if (!Number.isFinite(total)) return null;
    const numPaths = countPathsOutside(n1, n2, g, h);
    if (!Number.isFinite(numPaths) || numPaths > total) return null;
    prob = numPaths / total;
  }
  return prob >= 0 && prob <= 1 ? prob : null;
}

/**
 * The one-sided two-sample Kolmogorov–Smirnov test on ascending samples, as
 * `scipy.stats.ks_2samp(reference, current, alternative, method='auto')`.
 *
 * Statistic, with F_ref and F_cur the ECDFs counting values ≤ x (ties move both together):
 * `greater` D⁺ = max_x (F_ref(x) − F_cur(x)), large when the current sample sits to the right of
 * the reference; `less` D⁻ = max_x (F_cur(x) − F_ref(x)). Each difference is i/n1 − j/n2 in
 * floating point, as scipy forms it.
 *
 * p-value: when max(n1, n2) ≤ 10000 the exact null distribution: D is rounded to h/lcm(n1, n2)
 * (and reported rounded, as scipy does); for n1 = n2, P = Π_{j<h} (n − j)/(n + j + 1), which is
 * C(2n, n − h)/C(2n, n); otherwise Hodges' path count over C(n1 + n2, n1), both in floating point
 * as scipy evaluates them, which overflows for n1 + n2 above about 1030 unless one sample is
 * small. Where scipy's exact attempt fails, or for larger samples, Hodges' (1958, eq. 5.3)
 * approximation exp(−2z² − 2z(m + 2n)/√(mn(m + n))/3) with z = D·√(mn/(m + n)) and m ≥ n the
 * sizes. The p-value is clipped to [0, 1].
 *
 * Edge cases: D = 0 (no point where the alternative's CDF is above) gives p = 1; an empty sample
 * throws a RangeError; NaN must not appear.
 *
 * `details` is `{ method: "exact" | "asymp", alternative }`.
 *
 * @example
 * ks2sampOneSided(Float64Array.of(1, 2, 3), Float64Array.of(4, 5, 6), "greater")
 * // { statistic: 1, pValue: 0.05, details: { method: "exact", alternative: "greater" } }
 * // scipy.stats.ks_2samp([1, 2, 3], [4, 5, 6], alternative='greater') gives 1.0, 0.05
 */
export function ks2sampOneSided(
  reference: SortedSample,
  current: SortedSample,
  alternative: KsAlternative,
): TestResult {
  const n1 = reference.length;
  const n2 = current.length;
  if (n1 === 0 || n2 === 0) {
    throw new RangeError(`ks2sampOneSided needs non-empty samples (got sizes ${n1} and ${n2})`);
  }

  const { maxDiff, minDiff } = ecdfDifferenceExtremes(reference, current);
  let d = alternative === "greater" ? maxDiff : Math.min(Math.max(-minDiff, 0), 1);

  const g = gcd(n1, n2);
  if (Math.max(n1, n2) <= MAX_AUTO_N) {
    const lcm = (n1 / g) * n2;
    const h = roundHalfEven(d * lcm);
    d = h / lcm;
    if (h === 0) return { statistic: d, pValue: 1.0, details: { method: "exact", alternative } };
    const p = exactOneSided(n1, n2, g, h);
    if (p !== null) return { statistic: d, pValue: p, details: { method: "exact", alternative } };
  }

  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const en = (m * n) / (m + n);
  const z = Math.sqrt(en) * d;
  const expt = -2 * (z * z) - (2 * z * (m + 2 * n)) / Math.sqrt(m * n * (m + n)) / 3.0;
  const p = Math.min(Math.max(Math.exp(expt), 0), 1);
  return { statistic: d, pValue: p, details: { method: "asymp", alternative } };
}
