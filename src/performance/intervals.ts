/**
 * Confidence intervals for the model-quality metrics: the normal quantile, the Wilson score
 * interval for proportions, the normal (Wald) interval around a point estimate with a standard
 * error from the delta method, DeLong (or a bound on it), or the sample variance, and the
 * percentile interval of bootstrap replicates.
 */

import { quantileLinear } from "../stats/bins.js";
import type { Interval, IntervalMethod } from "./types.js";

/** The default confidence level of every interval. */
export const DEFAULT_LEVEL = 0.95;

// Wichura (1988), Algorithm AS 241 PPND16, coefficients in ascending powers.
const A = [
  3.3871328727963665, 133.14166789178438, 1971.5909503065513, 13731.69376550946, 45921.95393154987,
  67265.7709270087, 33430.57558358813, 2509.0809287301227,
];
const B = [
  1, 42.31333070160091, 687.1870074920579, 5394.196021424751, 21213.794301586597, 39307.89580009271,
  28729.085735721943, 5226.495278852854,
];
const C = [
  1.4234371107496835, 4.630337846156546, 5.769497221460691, 3.6478483247632045, 1.2704582524523684,
  0.2417807251774506, 0.022723844989269184, 0.0007745450142783414,
];
const D = [
  1, 2.053191626637759, 1.6763848301838038, 0.6897673349851, 0.14810397642748008, 0.015198666563616457,
  0.0005475938084995345, 1.0507500716444169e-9,
];
const E = [
  6.657904643501103, 5.463784911164114, 1.7848265399172913, 0.29656057182850487, 0.026532189526576124,
  0.0012426609473880784, 0.000027115555687434876, 2.0103343992922881e-7,
];
const F = [
  1, 0.599832206555888, 0.1369298809227358, 0.014875361290850615, 0.0007868691311456133,
  0.000018463183175100548, 1.421511758316446e-7, 2.0442631033899397e-15,
];

function horner(coef: readonly number[], r: number): number {
  let acc = 0;
  for (let i = coef.length - 1; i >= 0; i--) acc = acc * r + coef[i];
  return acc;
}

/**
 * The standard normal quantile Φ⁻¹(p), by Wichura's AS 241 (PPND16, Applied Statistics 37, 1988),
 * accurate to about 1e-16 relative; as `scipy.stats.norm.ppf(p)` (Cephes `ndtri`), which it
 * matches to a few ulp.
 *
 * Edge cases: p = 0 gives −∞, p = 1 gives +∞; p outside [0, 1] or NaN throws a RangeError.
 *
 * @example
 * normalQuantile(0.975) // 1.9599639845400536 (scipy's ppf: 1.959963984540054, one ulp away)
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`probability must be in [0, 1] (got ${p})`);
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * horner(A, r)) / horner(B, r);
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let value: number;
  if (r <= 5) {
    r -= 1.6;
    value = horner(C, r) / horner(D, r);
  } else {
    r -= 5;
    value = horner(E, r) / horner(F, r);
  }
  return q < 0 ? -value : value;
}

/**
 * The two-sided critical value z = Φ⁻¹(1 − (1 − level)/2) (≈ 1.959964 for 0.95), as
 * statsmodels' `norm.isf(alpha / 2)`.
 *
 * Edge cases: a level outside (0, 1) throws a RangeError.
 */
export function criticalValue(level: number): number {
  if (!(level > 0 && level < 1)) throw new RangeError(`confidence level must be in (0, 1) (got ${level})`);
  return -normalQuantile((1 - level) / 2);
}

/**
 * Wilson score interval for a binomial proportion (Wilson 1927), with q = k/n and z the two-sided
 * critical value: centre = (q + z²/2n)/(1 + z²/n),
 * half-width = z·√(q(1 − q)/n + z²/4n²)/(1 + z²/n),
 * bounds clipped to [0, 1]; the arithmetic of statsmodels'
 * `proportion_confint(k, n, alpha=1 - level, method="wilson")`. Chosen over the Wald interval
 * because it keeps its coverage near 0 and 1 and never has zero width (Brown, Cai & DasGupta 2001).
 *
 * Edge cases: n = 0 (no observations) has no interval: null.
 *
 * @example
 * wilsonInterval(81, 100)
 * // { low: 0.7222115462093562, high: 0.8748524849023126, level: 0.95, method: "wilson" }
 */
export function wilsonInterval(successes: number, n: number, level = DEFAULT_LEVEL): Interval | null {
  if (n === 0) return null;
  const z = criticalValue(level);
  const z2 = z * z;
  const q = successes / n;
  const denom = 1 + z2 / n;
  const centre = (q + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((q * (1 - q)) / n + z2 / (4 * n ** 2))) / denom;
  return {
    low: clip(centre - half, 0, 1),
    high: clip(centre + half, 0, 1),
    level,
    method: "wilson",
  };
}

/**
 * The normal (Wald) interval value ± z·se, clipped to [min, max] (the metric's range, so an
 * error metric's interval never goes below 0 and a proportion's never leaves [0, 1]).
 *
 * Edge cases: a standard error that is NaN (too few observations) or infinite (overflow at
 * extreme scales) gives null; a standard error
 * of 0 gives the degenerate interval [value, value], which is what the delta method says when the
 * estimate sits on the boundary (an F1 of 1, a perfect regressor): read it as "no evidence of
 * spread", not as certainty.
 */
export function normalInterval(
  value: number,
  se: number,
  method: IntervalMethod,
  level = DEFAULT_LEVEL,
  min = Number.NEGATIVE_INFINITY,
  max = Number.POSITIVE_INFINITY,
): Interval | null {
  if (!Number.isFinite(value) || !(se >= 0 && se < Number.POSITIVE_INFINITY)) return null;
  const half = criticalValue(level) * se;
  return { low: clip(value - half, min, max), high: clip(value + half, min, max), level, method };
}

/**
 * The percentile bootstrap interval (Efron & Tibshirani 1993, ch. 13): the (1 − level)/2 and
 * (1 + level)/2 quantiles of the replicates, interpolated linearly between order statistics as
 * numpy's default `np.quantile` does, bit for bit (`quantileLinear`; the quantiles
 * `scipy.stats.bootstrap(…, method="percentile")` reads). It needs no standard error and follows a
 * skewed sampling distribution, but it inherits the estimator's bias: the replicates of an
 * upward-biased statistic sit above it, and the interval may then lie wholly above the estimate.
 *
 * Edge cases: no replicates (or a NaN among them) gives null; a level outside (0, 1) throws a
 * RangeError. The replicates are sorted in place.
 *
 * @example
 * percentileInterval(Float64Array.from({ length: 101 }, (_, i) => i), 0.5)
 * // { low: 25, high: 75, level: 0.5, method: "bootstrap" }
 */
export function percentileInterval(replicates: Float64Array, level = DEFAULT_LEVEL): Interval | null {
  if (!(level > 0 && level < 1)) throw new RangeError(`confidence level must be in (0, 1) (got ${level})`);
  const n = replicates.length;
  if (n === 0 || replicates.some(Number.isNaN)) return null;
  replicates.sort();
  return {
    low: quantileLinear(replicates, (1 - level) / 2),
    high: quantileLinear(replicates, (1 + level) / 2),
    level,
    method: "bootstrap",
  };
}

function clip(x: number, min: number, max: number): number {
  return Math.min(Math.max(x, min), max);
}
