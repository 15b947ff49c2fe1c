/**
 * The one-sample Kolmogorov–Smirnov distributions at finite n, ported from scipy 1.17:
 *
 * - `kstwoSf` / `kstwoCdf`: the two-sided statistic D_n = sup |F_n − F|, as
 *   `scipy.stats.kstwo.sf` / `.cdf` (scipy/stats/_ksstats.py `_kolmogn`), which follows Simard &
 *   L'Ecuyer (2011) in choosing, by n and n·d², between the Ruben–Gambino closed forms, Durbin's
 *   matrix (1968, as Marsaglia, Tsang & Wang 2003 evaluate it), Pomeranz's recursion (1974), the
 *   Pelz–Good asymptotic series (1976) and twice the one-sided tail.
 * - `smirnov`: the one-sided tail P(D_n⁺ ≥ d), as `scipy.special.smirnov` (xsf/cephes
 *   kolmogorov.h): the Smirnov (1944) / Birnbaum–Tingey (1951) sum, evaluated in double-double
 *   arithmetic with scaled binomials as in van Mulbregt (2018), arXiv:1802.06966.
 *
 * The port keeps scipy's branch points and the order of its floating-point operations, so results
 * agree with scipy to a few ulps (tested against scipy to 1e-6 relative over every branch). The
 * two-sample KS test uses `kstwoSf` at the effective sample size for its asymptotic p-value.
 */

import { numpySum } from "./bins.js";

/* ------------------------------------------------------------------------------------------------
 * IEEE-754 helpers: C's frexp and ldexp, allocation-free.
 * ---------------------------------------------------------------------------------------------- */

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
// Index of the 32-bit word holding sign and exponent: 1 on little-endian hosts, 0 on big-endian.
const HI = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

/** 2^e for an integer e in [−1022, 1023], built from its bits so it is exact. */
function twoTo(e: number): number {
  U32[HI] = (e + 1023) << 20;
  U32[LO] = 0;
  return F64[0];
}

const TWO_54 = 18014398509481984;
// 2^-1022 · 2^53: a scale that keeps an intermediate normal, as musl's scalbn does.
const TINY_SCALE = 2 ** -969;

// Exponent written by `frexp` (C returns it through a pointer).
let frexpExponent = 0;

/** C frexp: x = m · 2^e with 0.5 ≤ |m| < 1; e is left in `frexpExponent`. Zero, NaN, ±∞ give e = 0. */
function frexp(x: number): number {
  if (x === 0 || !Number.isFinite(x)) {
    frexpExponent = 0;
    return x;
  }
  F64[0] = x;
  let adjust = 0;
  if (((U32[HI] >>> 20) & 0x7ff) === 0) {
    // Subnormal: scale into the normal range first, then undo the scale in the exponent.
    F64[0] = x * TWO_54;
    adjust = -54;
  }
  const hi = U32[HI];
  frexpExponent = ((hi >>> 20) & 0x7ff) - 1022 + adjust;
  U32[HI] = (hi & 0x800fffff) | (1022 << 20);
  return F64[0];
}

/**
 * C ldexp (musl's scalbn): x · 2^n with a single rounding, also when the result is subnormal, which
 * a loop of multiplications by powers of two would round twice.
 */
function ldexp(x: number, n: number): number {
  let y = x;
  let e = n;
  if (e > 1023) {
    y *= twoTo(1023);
    e -= 1023;
    if (e > 1023) {
      y *= twoTo(1023);
      e -= 1023;
      if (e > 1023) e = 1023;
    }
  } else if (e < -1022) {
    y *= TINY_SCALE;
    e += 1022 - 53;
    if (e < -1022) {
      y *= TINY_SCALE;
      e += 1022 - 53;
      if (e < -1022) e = -1022;
    }
  }
  return y * twoTo(e);
}

/* ------------------------------------------------------------------------------------------------
 * Double-double arithmetic: the subset of xsf's dd_real.h (from Hida, Li & Bailey's QD package)
 * that `smirnov` uses, operation for operation.
 * ---------------------------------------------------------------------------------------------- */

/** An unevaluated sum hi + lo with |lo| ≤ ulp(hi)/2: about 106 bits of precision. */
interface DD {
  readonly hi: number;
  readonly lo: number;
}

const DD_ZERO: DD = { hi: 0, lo: 0 };
const DD_ONE: DD = { hi: 1, lo: 0 };

// The rounding error of the last two_sum / two_prod / quick_two_sum (C returns it by pointer).
let err = 0;

/** fl(a + b), error in `err`; requires |a| ≥ |b|. */
function quickTwoSum(a: number, b: number): number {
  const s = a + b;
  err = b - (s - a);
  return s;
}

/** fl(a + b), error in `err` (Knuth's two-sum). */
function twoSum(a: number, b: number): number {
  const s = a + b;
  const c = s - a;
  const d = b - c;
  const e = s - c;
  err = a - e + d;
  return s;
}

const SPLITTER = 134217729; // 2^27 + 1
const SPLIT_THRESH = 6.69692879491417e299; // 2^996
const TWO_M28 = 2 ** -28;

/**
 * fl(a · b), error in `err`. QD uses an FMA; JavaScript has none, so Dekker's split gives the same
 * exact error term (the values smirnov multiplies are far from overflow and underflow).
 */
function twoProd(a: number, b: number): number {
  const p = a * b;
  let ah: number;
  let al: number;
  let bh: number;
  let bl: number;
  if (a > SPLIT_THRESH || a < -SPLIT_THRESH) {
    const s = a * TWO_M28;
    const t = SPLITTER * s;
    ah = (t - (t - s)) * 268435456;
    al = (s - (t - (t - s))) * 268435456;
  } else {
    const t = SPLITTER * a;
    ah = t - (t - a);
    al = a - ah;
  }
  if (b > SPLIT_THRESH || b < -SPLIT_THRESH) {
    const s = b * TWO_M28;
    const t = SPLITTER * s;
    bh = (t - (t - s)) * 268435456;
    bl = (s - (t - (t - s))) * 268435456;
  } else {
    const t = SPLITTER * b;
    bh = t - (t - b);
    bl = b - bh;
  }
  err = ah * bh - p + ah * bl + al * bh + al * bl;
  return p;
}

function dd(hi: number): DD {
  return { hi, lo: 0 };
}

function ddAdd(l: DD, r: DD): DD {
  let s1 = twoSum(l.hi, r.hi);
  let s2 = err;
  const t1 = twoSum(l.lo, r.lo);
  const t2 = err;
  s2 += t1;
  s1 = quickTwoSum(s1, s2);
  s2 = err;
  s2 += t2;
  s1 = quickTwoSum(s1, s2);
  return { hi: s1, lo: err };
}

function ddAddD(l: DD, r: number): DD {
  const s1 = twoSum(l.hi, r);
  const s2 = err + l.lo;
  const hi = quickTwoSum(s1, s2);
  return { hi, lo: err };
}

function ddSub(l: DD, r: DD): DD {
  return ddAdd(l, { hi: -r.hi, lo: -r.lo });
}

function ddSubD(l: DD, r: number): DD {
  const s1 = twoSum(l.hi, -r);
  const s2 = err + l.lo;
  const hi = quickTwoSum(s1, s2);
  return { hi, lo: err };
}

function ddMul(l: DD, r: DD): DD {
  const p1 = twoProd(l.hi, r.hi);
  let p2 = err;
  p2 += l.hi * r.lo + l.lo * r.hi;
  const hi = quickTwoSum(p1, p2);
  return { hi, lo: err };
}

/** dd · double (and double · dd, which QD computes identically). */
function ddMulD(l: DD, r: number): DD {
  let p1 = twoProd(l.hi, r);
  const e1 = err;
  const p2 = twoProd(l.lo, r);
  const e2 = err;
  p1 = quickTwoSum(p1, e2 + p2 + e1);
  return { hi: p1, lo: err };
}

function ddDiv(l: DD, r: DD): DD {
  let q1 = l.hi / r.hi;
  let rem = ddSub(l, ddMulD(r, q1));
  let q2 = rem.hi / r.hi;
  rem = ddSub(rem, ddMulD(r, q2));
  const q3 = rem.hi / r.hi;
  q1 = quickTwoSum(q1, q2);
  q2 = err;
  return ddAddD({ hi: q1, lo: q2 }, q3);
}

function ddDivD(l: DD, r: number): DD {
  return ddDiv(l, dd(r));
}

function ddIsZero(a: DD): boolean {
  return a.hi === 0 && a.lo === 0;
}

function ddFloor(a: DD): DD {
  let hi = Math.floor(a.hi);
  let lo = 0;
  if (hi === a.hi) {
    // The high word is already an integer: round the low word.
    lo = Math.floor(a.lo);
    hi = quickTwoSum(hi, lo);
    lo = err;
  }
  return { hi, lo };
}

function ddLdexp(a: DD, e: number): DD {
  return { hi: ldexp(a.hi, e), lo: ldexp(a.lo, e) };
}

/** frexp of a double-double: mantissa in [0.5, 1) (or 1 with a negative tail); exponent in `frexpExponent`. */
function ddFrexp(a: DD): DD {
  let man = frexp(a.hi);
  let exponent = frexpExponent;
  let b1 = ldexp(a.lo, -exponent);
  if (Math.abs(man) === 0.5 && man * b1 < 0) {
    man *= 2;
    b1 *= 2;
    exponent -= 1;
  }
  frexpExponent = exponent;
  return { hi: man, lo: b1 };
}

/* ------------------------------------------------------------------------------------------------
 * Smirnov's one-sided distribution (xsf/cephes kolmogorov.h `_smirnov`, SF only).
 * ---------------------------------------------------------------------------------------------- */

/** Above this n, cephes switches to the approximation p ≈ exp(−(6nx+1)²/(18n)). */
const SMIRNOV_MAX_COMPUTE_N = 1000000;
/** The alternating upper sum is used only with at most this many terms, and n at least SM_UPPERSUM_MIN_N. */
const SM_UPPER_MAX_TERMS = 3;
const SM_UPPERSUM_MIN_N = 10;
/** Largest binary exponent of an intermediate power, kept below 1023 − 52 so both words stay normal. */
const SM_MAX_EXPONENT = 960;
/** cephes MINLOG: log(2^−1075); exp of anything smaller is 0. */
const MINLOG = -745.1332191019412;
const DBL_EPSILON = 2.220446049250313e-16;

/** (a.hi + a.lo)^m: pow on the high word, corrected for the low word to first or second order. */
function powD(a: DD, m: number): DD {
  if (m <= 0) {
    if (m === 0) return DD_ONE;
    return ddDiv(DD_ONE, powD(a, -m));
  }
  if (ddIsZero(a)) return DD_ZERO;
  const ans = a.hi ** m;
  const r = a.lo / a.hi;
  let adj = m * r;
  if (Math.abs(adj) > 1e-8) {
    if (Math.abs(adj) < 1e-4) {
      // First two terms of the Taylor series of (1 + r)^m.
      adj += m * r * (((m - 1) / 2.0) * r);
    } else {
      adj = Math.expm1(m * Math.log1p(r));
    }
  }
  return ddAddD(dd(ans), ans * adj);
}

/** cephes `pow2`: (a + b)^m rounded to a double. */
function pow2(a: number, b: number, m: number): number {
  return powD(ddAddD(dd(a), b), m).hi;
}

/** cephes `pow4_D`: ((a + b) / (c + d))^m in double-double. */
function pow4D(a: number, b: number, c: number, d: number, m: number): DD {
  if (m <= 0) {
    if (m === 0) return DD_ONE;
    return pow4D(c, d, a, b, -m);
  }
  const A = ddAddD(dd(a), b);
  const C = ddAddD(dd(c), d);
  if (ddIsZero(A)) return ddIsZero(C) ? { hi: Number.NaN, lo: Number.NaN } : DD_ZERO;
  if (ddIsZero(C)) return A.hi < 0 ? { hi: -Infinity, lo: -Infinity } : { hi: Infinity, lo: Infinity };
  return powD(ddDiv(A, C), m);
}

/** cephes `nextPowerOf2` (despite its name: x nudged up by one ulp-ish amount). */
function nextPowerOf2(x: number): number {
  const q = ldexp(x, 1 - 53);
  let L = Math.abs(q + x);
  if (L === 0) {
    L = Math.abs(x);
  } else if (L < 2147483648) {
    const Lint = Math.trunc(L);
    if (Lint === L) L = Lint;
  }
  return L;
}

// Binary exponent returned by `pow2ScaledD` (C returns it through a pointer).
let scaledExponent = 0;

/**
 * a^m as significand · 2^exponent (exponent in `scaledExponent`), splitting the power when it would
 * underflow below 2^−960: the terms of the Smirnov sum are far below the double range.
 */
function pow2ScaledD(a: DD, m: number): DD {
  if (m <= 0) {
    if (m === 0) {
      scaledExponent = 0;
      return DD_ONE;
    }
    const inv = pow2ScaledD(a, -m);
    const aE1 = scaledExponent;
    const ans = ddFrexp(ddDiv(DD_ONE, inv));
    scaledExponent = -aE1 + frexpExponent;
    return ans;
  }
  const y = ddFrexp(a);
  const yE = frexpExponent;
  if (m === 1) {
    scaledExponent = yE;
    return y;
  }
  let maxExpt = SM_MAX_EXPONENT;
  // Quick check whether y^m might fall below 2^−960; only then take the log to find a safe split.
  if ((m * (y.hi - 1)) / y.hi < -SM_MAX_EXPONENT * Math.LN2) {
    const lg2y = Math.log(y.hi) / Math.LN2;
    const lgAns = m * lg2y;
    if (lgAns <= -SM_MAX_EXPONENT) {
      maxExpt = Math.trunc(nextPowerOf2(-SM_MAX_EXPONENT / lg2y + 1) / 2);
    }
  }
  if (m <= maxExpt) {
    const ans = ddFrexp(powD(y, m));
    scaledExponent = frexpExponent + m * yE;
    return ans;
  }
  const q = Math.trunc(m / maxExpt);
  const r = m % maxExpt;
  // y^m = (y^maxExpt)^q · y^r
  const y2r = pow2ScaledD(y, r);
  const y2rE = scaledExponent;
  const y2m = pow2ScaledD(y, maxExpt);
  const y2mE = scaledExponent;
  const y2mq = pow2ScaledD(y2m, q);
  let y2mqE = scaledExponent;
  const ans = ddFrexp(ddMul(y2r, y2mq));
  let ansE = frexpExponent;
  y2mqE += y2mE * q;
  ansE += y2mqE + y2rE;
  ansE += m * yE;
  scaledExponent = ansE;
  return ans;
}

/** The binomial coefficient C(n, j) as a double-double significand and an exponent, advanced to C(n, j + 1). */
interface ScaledBinomial {
  man: DD;
  expt: number;
}

function updateBinomial(c: ScaledBinomial, n: number, j: number): void {
  const rat = ddDivD(dd(n - j), j + 1.0);
  c.man = ddFrexp(ddMul(c.man, rat));
  c.expt += frexpExponent;
}

/** One term A_v(n, x) = C(n, v) (1 − x − v/n)^(n−v) (x + v/n)^(v−1). */
function computeAv(n: number, x: number, v: number, c: ScaledBinomial): DD {
  const t2x = ddSubD(ddDivD(dd(n - v), n), x);
  const t2 = pow2ScaledD(t2x, n - v);
  const t2E = scaledExponent;
  const t1x = ddAddD(ddDivD(dd(v), n), x);
  const t1 = pow2ScaledD(t1x, v - 1);
  const t1E = scaledExponent;
  const ans = ddMul(ddMul(t1, t2), c.man);
  return ddLdexp(ans, c.expt + t1E + t2E);
}

/** The survival function of D_n⁺; `n` a positive integer, 0 ≤ x ≤ 1 (NaN otherwise). */
function smirnovSf(n: number, x: number): number {
  if (!(n > 0 && x >= 0.0 && x <= 1.0)) return Number.NaN;
  if (n === 1) return 1 - x;
  if (x === 0.0) return 1.0;
  if (x === 1.0) return 0.0;

  // floor(n·x) and its remainder, exactly (cephes modNX).
  const nxD = ddMulD(dd(x), n);
  const nxFloorD = ddFloor(nxD);
  let alpha = ddSub(nxD, nxFloorD).hi;
  let nxfl = Math.trunc(nxFloorD.hi);
  if (alpha === 1) {
    nxfl += 1;
    alpha = 0;
  }
  let n1mxfl = n - nxfl - (alpha === 0 ? 0 : 1);
  let n1mxceil = n - nxfl;
  // With alpha = 0 the last term is excluded from both the lower and the upper sum.
  if (alpha === 0) {
    n1mxfl -= 1;
    n1mxceil += 1;
  }

  // x ≤ 1/n: the closed form x (1 + x)^(n−1).
  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) {
    return 1 - x * pow2(1, x, n - 1);
  }
  // The tail is below the smallest subnormal (it is about exp(−2nx²)).
  if (-2 * n * x * x < MINLOG) return 0;
  // x ≥ 1 − 1/n: the closed form (1 − x)^n.
  if (nxfl >= n - 1) return pow2(1, -x, n);
  if (n > SMIRNOV_MAX_COMPUTE_N) {
    // Too many terms: p ≈ exp(−(6nx + 1)² / 18n), taken from the side that keeps precision.
    const logp = -((6.0 * n * x + 1) ** 2) / 18.0 / n;
    if (logp < -Math.LN2) return Math.exp(logp);
    return 1 - -Math.expm1(logp);
  }

  // The upper sum alternates in sign, so it is used only when it has very few terms.
  const nUpperTerms = n - n1mxceil + 1;
  const useUpperSum =
    (nUpperTerms <= 1 && x < 0.5) ||
    (n >= SM_UPPERSUM_MIN_N && nUpperTerms <= SM_UPPER_MAX_TERMS && x <= 0.5 / Math.sqrt(n));

  let start = 0;
  let step = 1;
  let nTerms = n1mxfl + 1;
  const vmid = Math.trunc(n / 2);
  const binomial: ScaledBinomial = { man: DD_ONE, expt: 0 };
  let aj: DD;
  if (useUpperSum) {
    start = n;
    step = -1;
    nTerms = n - n1mxceil + 1;
    aj = pow4D(1, x, 1, 0, n - 1);
  } else {
    aj = ddDivD(pow4D(1, -x, 1, 0, n), x);
  }
  let ajSum = ddAdd(DD_ZERO, aj);
  updateBinomial(binomial, n, 0);
  for (let j = 1; j < nTerms; j++) {
    const v = start + j * step;
    aj = computeAv(n, x, v, binomial);
    const ajZero = ddIsZero(aj);
    if (Number.isFinite(aj.hi) && !ajZero) ajSum = ddAdd(ajSum, aj);
    if (!ajZero) {
      // Stop once the remaining terms cannot change the sum in double precision.
      if (4 * (nTerms - j) * Math.abs(aj.hi) < DBL_EPSILON * ajSum.hi && j !== nTerms - 1) break;
    } else if (j > vmid) {
      break;
    }
    updateBinomial(binomial, n, j);
  }
  const prob = ddMulD(ajSum, x).hi;
  const sf = step < 0 ? 1 - prob : prob;
  return Math.min(Math.max(sf, 0), 1);
}

/**
 * Smirnov's one-sided tail P(D_n⁺ ≥ d), matching `scipy.special.smirnov(n, d)`.
 *
 * Formula (Smirnov 1944; Birnbaum & Tingey 1951):
 * P(D_n⁺ ≥ d) = d · Σ_{v=0}^{⌊n(1−d)⌋} C(n, v) (d + v/n)^(v−1) (1 − d − v/n)^(n−v),
 * summed in double-double with scaled binomials (van Mulbregt 2018, arXiv:1802.06966), or from
 * the other end when that sum has at most three terms; closed forms for d ≤ 1/n and d ≥ 1 − 1/n;
 * 0 once 2nd² exceeds 745 (the result would be below the smallest subnormal); and, for
 * n > 10^6, cephes's approximation exp(−(6nd + 1)² / 18n), as scipy does.
 *
 * Edge cases: NaN for NaN `d`, for `d` outside [0, 1] and for `n` that is not a positive integer
 * (scipy truncates a fractional n with a warning; callers here always pass integers).
 *
 * @example
 * smirnov(5, 0.5) // 0.056, as scipy.special.smirnov(5, 0.5)
 */
export function smirnov(n: number, d: number): number {
  if (Number.isNaN(d) || !Number.isInteger(n)) return Number.NaN;
  return smirnovSf(n, d);
}

/* ------------------------------------------------------------------------------------------------
 * The two-sided distribution (scipy/stats/_ksstats.py).
 * ---------------------------------------------------------------------------------------------- */

const E128 = 128;
const EP128 = 2 ** 128;
const EM128 = 2 ** -128;
const SQRT2PI = Math.sqrt(2 * Math.PI);
const LOG_2PI = Math.log(2 * Math.PI);
const MIN_LOG = -708;
const SQRT3 = Math.sqrt(3);
const PI_SQUARED = Math.PI ** 2;
const PI_FOUR = Math.PI ** 4;
const PI_SIX = Math.PI ** 6;

// If B_m are the Bernoulli numbers, the Stirling coefficients are B_2j / (2j) / (2j−1), j = 8…1
// (scipy writes them with 20 digits; these are the same doubles).
const STIRLING_COEFFS = [
  -0.029550653594771242, 0.00641025641025641, -0.0019175269175269176, 0.0008417508417508417,
  -0.0005952380952380953, 0.0007936507936507937, -0.002777777777777778, 0.08333333333333333,
];

/** log(n! / n^n) by Stirling's series, with n·log(n) removed up front to avoid cancellation. */
function logNFactorialDivNPowN(n: number): number {
  const rn = 1.0 / n;
  const x = rn / n;
  let poly = 0;
  for (const c of STIRLING_COEFFS) poly = poly * x + c;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * poly;
}

function clipProb(p: number): number {
  return Math.min(Math.max(p, 0), 1);
}

/** Row-major m×m product c = a · b. */
function matmul(a: Float64Array, b: Float64Array, c: Float64Array, m: number): void {
  c.fill(0);
  for (let i = 0; i < m; i++) {
    const ri = i * m;
    for (let k = 0; k < m; k++) {
      const aik = a[ri + k];
      if (aik === 0) continue;
      const rk = k * m;
      for (let j = 0; j < m; j++) c[ri + j] += aik * b[rk + j];
    }
  }
}

/**
 * P(D_n ≤ d) by Durbin's matrix method (1968) as Marsaglia, Tsang & Wang (2003) compute it:
 * write d = (k − h)/n, build the (2k−1)² matrix H and take the k-th diagonal entry of
 * (n!/n^n) H^n, by repeated squaring with explicit power-of-two scaling. Best for small n·d.
 */
function kolmognDMTW(n: number, d: number): number {
  if (d >= 1.0) return 1.0;
  const nd = n * d;
  if (nd <= 0.5) return 0.0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;

  // v[j] = (1 − h^(j+1)) / (j+1)!, w[j] = 1/j!, except for v's last entry.
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1.0;
  for (let j = 1; j <= m; j++) {
    v[j - 1] = 1.0 - h ** j;
    w[j - 1] = fac;
    fac /= j; // may underflow, which is harmless
    v[j - 1] *= fac;
  }
  const tt = Math.max(2 * h - 1.0, 0) ** m - 2 * h ** m;
  v[m - 1] = (1.0 + tt) * fac;

  let H = new Float64Array(m * m);
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - i + 1];
  }
  for (let r = 0; r < m; r++) H[r * m] = v[r];
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c];

  let Hpwr = new Float64Array(m * m);
  for (let i = 0; i < m; i++) Hpwr[i * m + i] = 1;
  let scratch = new Float64Array(m * m);
  let nn = n;
  let expnt = 0;
  let Hexpnt = 0;
  const kk = (k - 1) * m + (k - 1);
  while (nn > 0) {
    if (nn % 2) {
      matmul(Hpwr, H, scratch, m);
      [Hpwr, scratch] = [scratch, Hpwr];
      expnt += Hexpnt;
    }
    matmul(H, H, scratch, m);
    [H, scratch] = [scratch, H];
    Hexpnt *= 2;
    if (Math.abs(H[kk]) > EP128) {
      for (let i = 0; i < H.length; i++) H[i] /= EP128;
      Hexpnt += E128;
    }
    nn = Math.floor(nn / 2);
  }

  let p = Hpwr[kk];
  // Multiply by n!/n^n, rescaling to stay clear of underflow.
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= EP128;
      expnt -= E128;
    }
  }
  if (expnt !== 0) p = ldexp(p, expnt);
  return clipProb(p);
}

/** Column range [j1, j2] of row i of Pomeranz's recursion. */
function pomeranzJ1J2(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const ip1div2 = Math.floor((i + 1) / 2);
    const ip1mod2 = (i + 1) % 2;
    if (ip1mod2 === 0) {
      if (ip1div2 === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = ip1div2 - 1 - ll - roundf - 1;
        j2 = ip1div2 + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = ip1div2 - 1 - ll - 1;
      j2 = ip1div2 + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/**
 * P(D_n ≤ x) by Pomeranz's recursion (1974): each of the 2n+1 rows is the previous row convolved
 * with one of three near-Poisson weight vectors; only two rows and their non-zero window are kept,
 * rescaled by 2^128 when they get small. The answer is n! times the last entry.
 */
function kolmognPomeranz(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = 1.0 * (t - ll);
  const g = Math.min(f, 1.0 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  // (g/n)^m/m!, (2g/n)^m/m!, ((1−2g)/n)^m/m!: Poisson probabilities without their normaliser.
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = 1.0;
  twogpower[0] = 1.0;
  onem2gpower[0] = 1.0;
  let expnt = 0;
  const gOverN = g / n;
  const twoGOverN = (2 * g) / n;
  const oneMinusTwoGOverN = (1 - 2 * g) / n;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = (gpower[m - 1] * gOverN) / m;
    twogpower[m] = (twogpower[m - 1] * twoGOverN) / m;
    onem2gpower[m] = (onem2gpower[m - 1] * oneMinusTwoGOverN) / m;
  }

  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let [j1, j2] = pomeranzJ1J2(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0.0);
    [j1, j2] = pomeranzJ1J2(i, n, ll, ceilf, roundf);
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      // conv = np.convolve(V0[k1−V0s : k1−V0s+ln2], pwrs[:ln2]); keep conv[j1−k1 : j2−k1+1].
      const aStart = k1 - V0s;
      const aLen = Math.min(ln2, npwrs - aStart);
      const bLen = Math.min(ln2, npwrs);
      const convStart = j1 - k1;
      const convLen = j2 - j1 + 1;
      let vmax = 0;
      for (let c = 0; c < convLen; c++) {
        const kc = convStart + c;
        let s = 0;
        const iLo = Math.max(0, kc - bLen + 1);
        const iHi = Math.min(kc, aLen - 1);
        for (let ii = iLo; ii <= iHi; ii++) s += V0[aStart + ii] * pwrs[kc - ii];
        V1[c] = s;
        if (s > vmax) vmax = s;
      }
      // Rescale to avoid underflow.
      if (vmax > 0 && vmax < EM128) {
        for (let c = 0; c < npwrs; c++) V1[c] *= EP128;
        expnt -= E128;
      }
      V1s = V0s + j1 - k1;
    }
  }

  // Multiply by n!.
  let ans = V1[n - V1s];
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > EP128) {
      ans *= EM128;
      expnt += E128;
    }
    ans *= m;
  }
  if (expnt !== 0) ans = ldexp(ans, expnt);
  return clipProb(ans);
}

/**
 * The Pelz–Good (1976) approximation to P(D_n ≤ x): the Li-Chien / Korolyuk expansion
 * K0(z) + K1(z)/√n + K2(z)/n + K3(z)/n^1.5 at z = x√n, with each K_i rewritten through the Jacobi
 * theta functional equation so that it converges fast for small z. Used for large n.
 */
function kolmognPelzGood(n: number, x: number): number {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  const z = Math.sqrt(n) * x;
  const zsquared = z ** 2;
  const zthree = z ** 3;
  const zfour = z ** 4;
  const zsix = z ** 6;

  const qlog = -PI_SQUARED / 8 / zsquared;
  if (qlog < MIN_LOG) return 0.0; // z ≲ 0.0417
  let q = Math.exp(qlog);

  // Coefficients of the terms in the sums for K1, K2 and K3.
  const k1a = -zsquared;
  const k1b = PI_SQUARED / 4;
  const k2a = 6 * zsix + 2 * zfour;
  const k2b = ((2 * zfour - 5 * zsquared) * PI_SQUARED) / 4;
  const k2c = (PI_FOUR * (1 - 2 * zsquared)) / 16;
  const k3d = (PI_SIX * (5 - 30 * zsquared)) / 64;
  const k3c = (PI_FOUR * (-60 * zsquared + 212 * zfour)) / 16;
  const k3b = (PI_SQUARED * (135 * zfour - 96 * zsix)) / 4;
  const k3a = -30 * zsix - 90 * z ** 8;

  // Horner scheme for Σ c_i q^(i²), which reduces to a sum over odd integers.
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const msquared = m ** 2;
    const mfour = m ** 4;
    const msix = m ** 6;
    const qpower = q ** (8 * k);
    K[0] = K[0] * qpower + 1.0;
    K[1] = K[1] * qpower + (k1a + k1b * msquared);
    K[2] = K[2] * qpower + (k2a + k2b * msquared + k2c * mfour);
    K[3] = K[3] * qpower + (k3a + k3b * msquared + k3c * mfour + k3d * msix);
  }
  const denominators = [z, 6 * zfour, 72 * z ** 7, 6480 * z ** 10]; // z^10 > 0 as z > 0.04
  for (let i = 0; i < 4; i++) K[i] = (K[i] * q * SQRT2PI) / denominators[i];

  // The other sums run over all integers k and show little cancellation: evaluate them directly.
  q = Math.exp(-PI_SQUARED / 2 / zsquared);
  const sqrt3z = SQRT3 * z;
  const k2terms = new Float64Array(maxk);
  const k3terms = new Float64Array(maxk);
  for (let idx = 0; idx < maxk; idx++) {
    const k = maxk - idx;
    const ksquared = k ** 2;
    const kspi = Math.PI * k;
    const qpwer = q ** ksquared;
    k2terms[idx] = ksquared * qpwer;
    k3terms[idx] = (sqrt3z + kspi) * (sqrt3z - kspi) * ksquared * qpwer;
  }
  K[2] += numpySum(k2terms) * ((PI_SQUARED * SQRT2PI) / (-36 * zthree));
  K[3] += numpySum(k3terms) * ((PI_SQUARED * SQRT2PI) / (216 * zsix));
  for (let i = 1; i < 4; i++) K[i] /= (n * 1.0) ** (i / 2.0);
  return K[0] + K[1] + K[2] + K[3];
}

/**
 * P(D_n ≤ x) (cdf) or P(D_n > x) (sf), choosing the method as Simard & L'Ecuyer (2011) do, with
 * scipy's thresholds (scipy/stats/_ksstats.py `_kolmogn`).
 */
function kolmogn(n: number, x: number, cdf: boolean): number {
  const pick = (cdfProb: number, sfProb: number) => clipProb(cdf ? cdfProb : sfProb);
  if (x >= 1.0) return pick(1.0, 0.0);
  if (x <= 0.0) return pick(0.0, 1.0);
  const t = n * x;
  if (t <= 1.0) {
    // Ruben–Gambino: 1/2n ≤ x ≤ 1/n gives n!/n^n (2t − 1)^n.
    if (t <= 0.5) return pick(0.0, 1.0);
    let prob: number;
    if (n <= 140) {
      prob = 1;
      for (let i = 1; i <= n; i++) prob *= i * (1.0 / n) * (2 * t - 1);
    } else {
      prob = Math.exp(logNFactorialDivNPowN(n) + n * Math.log(2 * t - 1));
    }
    return pick(prob, 1.0 - prob);
  }
  if (t >= n - 1) {
    // Ruben–Gambino: 1 − 1/n ≤ x gives P(D_n > x) = 2 (1 − x)^n.
    const prob = 2 * (1.0 - x) ** n;
    return pick(1 - prob, prob);
  }
  if (x >= 0.5) {
    // Exact: D_n⁺ ≥ x and D_n⁻ ≥ x cannot both happen, so the tail is twice the one-sided one.
    const prob = 2 * smirnovSf(n, x);
    return pick(1.0 - prob, prob);
  }

  const nxsquared = t * x;
  if (n <= 140) {
    if (nxsquared <= 0.754693) {
      const prob = kolmognDMTW(n, x);
      return pick(prob, 1.0 - prob);
    }
    if (nxsquared <= 4) {
      const prob = kolmognPomeranz(n, x);
      return pick(prob, 1.0 - prob);
    }
    // Miller's approximation: twice the one-sided tail.
    const prob = 2 * smirnovSf(n, x);
    return pick(1.0 - prob, prob);
  }

  // The CDF and the SF have different cut-offs on n·x².
  if (!cdf) {
    if (nxsquared >= 370.0) return 0.0;
    if (nxsquared >= 2.2) return clipProb(2 * smirnovSf(n, x));
    // Fall through and compute the SF as 1 − CDF.
  }
  let cdfProb: number;
  if (nxsquared >= 18.0) {
    cdfProb = 1.0;
  } else if (n <= 100000 && n * x ** 1.5 <= 1.4) {
    cdfProb = kolmognDMTW(n, x);
  } else {
    cdfProb = kolmognPelzGood(n, x);
  }
  return pick(cdfProb, 1.0 - cdfProb);
}

/** scipy's rv_continuous wrapper for kstwo: support (0.5/n, 1), shape check n ≥ 1 integral. */
function kstwo(d: number, n: number, cdf: boolean): number {
  if (!(n >= 1 && Number.isInteger(n)) || Number.isNaN(d)) return Number.NaN;
  if (d <= 0.5 / n) return cdf ? 0 : 1;
  if (d >= 1) return cdf ? 1 : 0;
  return kolmogn(n, d, cdf);
}

/**
 * Survival function P(D_n ≥ d) of the two-sided one-sample Kolmogorov–Smirnov statistic
 * D_n = sup_x |F_n(x) − F(x)| for a sample of size n, matching `scipy.stats.kstwo.sf(d, n)`.
 *
 * Exact at every n (this is not the limiting Kolmogorov series): Ruben–Gambino closed forms for
 * n·d ≤ 1 and n·d ≥ n − 1; 2·smirnov(n, d) for d ≥ 0.5 (exact there) and for n·d² ≥ 2.2 when
 * n > 140 (or > 4 when n ≤ 140); otherwise 1 − CDF by Durbin's matrix (Marsaglia–Tsang–Wang),
 * Pomeranz's recursion or the Pelz–Good series, chosen as in Simard & L'Ecuyer (2011). Returns 0
 * once n·d² ≥ 370 (n > 140), where the tail is below 1e-320, as scipy does.
 *
 * Edge cases: 1 for d ≤ 0.5/n, 0 for d ≥ 1; NaN for NaN `d` or when `n` is not an integer ≥ 1.
 *
 * @example
 * kstwoSf(0.1, 100) // 0.2526927570063875 (scipy.stats.kstwo.sf(0.1, 100): 0.2526927570063874)
 */
export function kstwoSf(d: number, n: number): number {
  return kstwo(d, n, false);
}

/**
 * Cumulative distribution P(D_n ≤ d) of the two-sided one-sample Kolmogorov–Smirnov statistic,
 * matching `scipy.stats.kstwo.cdf(d, n)`; the complement of {@link kstwoSf}, computed by the same
 * method selection but with the CDF-side cut-offs of scipy's `_kolmogn`.
 *
 * Edge cases: 0 for d ≤ 0.5/n, 1 for d ≥ 1; NaN for NaN `d` or when `n` is not an integer ≥ 1.
 *
 * @example
 * kstwoCdf(0.1, 100) // 0.7473072429936125 (scipy.stats.kstwo.cdf(0.1, 100): 0.7473072429936126)
 */
export function kstwoCdf(d: number, n: number): number {
  return kstwo(d, n, true);
}
