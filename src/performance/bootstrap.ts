/**
 * The Poisson bootstrap (Hanley & MacGibbon 2006, "Creating non-parametric bootstrap samples using
 * Poisson frequencies", Computer Methods and Programs in Biomedicine 83; Chamandy, Muralidharan,
 * Najmi & Naidu 2012, "Estimating uncertainty for massive data streams", Google): a replicate gives
 * every observation an independent Poisson(1) weight in place of the multinomial draw of n out of
 * n. Both agree as n grows, but only the Poisson weights are independent, so c observations that
 * enter a statistic only through their count take one Poisson(c) weight (a sum of c independent
 * Poisson(1) is Poisson(c)), and a replicate of a state kept as counts costs O(cells), not O(n).
 *
 * Replicates are drawn from a fixed seed, so an interval is a pure function of the state: the
 * daemon, a restarted daemon and `driftwatch report` print the same bounds for the same rows.
 *
 * @example
 * const random = seededRandom(BOOTSTRAP_SEED);
 * [1, 2, 3, 4, 5, 6].map(() => poisson(random, 1)) // [1, 0, 2, 2, 0, 3], on every run and machine
 */

import type { Random } from "../stats/prng.js";

/** The default number of bootstrap replicates. */
export const DEFAULT_REPLICATES = 200;

/**
 * The seed of every bootstrap interval. Fixed rather than configurable: any value would do, but a
 * seed that varied (with the clock, the process, the window) would make two readings of the same
 * state disagree.
 */
export const BOOTSTRAP_SEED = 0;

/**
 * Below this mean, Poisson variates are drawn by inversion; from it on, by PTRS. Inversion is exact
 * (up to the rounding of the CDF it sums) and cheapest for small means (the counts of sparse
 * calibration bins; mean 1: two comparisons on average), but it takes mean + 1 steps and starts
 * from e^−mean, which loses precision and then underflows as the mean grows. PTRS takes a
 * constant expected time and is accurate from a mean of 10 on (Hörmann 1993).
 */
const INVERSION_LIMIT = 30;

/**
 * A Poisson(mean) variate from uniform doubles: inversion by sequential search below a mean of 30
 * (Devroye 1986, "Non-Uniform Random Variate Generation", X.3, one uniform per variate), Hörmann's
 * transformed rejection with squeeze (PTRS; Hörmann 1993, "The transformed rejection method for
 * generating Poisson random variables", Insurance: Mathematics and Economics 12) from 30 on, with
 * the constants and the log-gamma of numpy's `random_poisson_ptrs`.
 *
 * Written here rather than taken from a package because the bootstrap must draw from the repo's
 * seeded generator (`seededRandom`, so the interval is reproducible bit for bit) and no Poisson
 * sampler among the dependencies takes a generator.
 *
 * Edge cases: a mean of 0 gives 0; the mean must be finite and ≥ 0 (not checked: callers pass
 * counts).
 */
export function poisson(random: Random, mean: number): number {
  if (mean >= INVERSION_LIMIT) return poissonPtrs(random, mean);
  const u = random();
  if (Number.isInteger(mean)) {
    // Bootstrap weights have integer means (counts): their CDFs are summed once and searched.
    const cdf = cdfOf(mean);
    let k = 0;
    while (u > cdf[k]) k++;
    return k;
  }
  let k = 0;
  let p = Math.exp(-mean);
  let cdf = p;
  while (u > cdf) {
    k++;
    p *= mean / k;
    const next = cdf + p;
    if (next === cdf) break; // see poissonCdf
    cdf = next;
  }
  return k;
}

/**
 * A standard normal variate from two uniform doubles: Box–Muller (Box & Muller 1958, "A note on the
 * generation of random normal deviates", Annals of Mathematical Statistics 29),
 * Z = √(−2·ln(1 − u₁))·cos(2π·u₂), whose partner with sin is dropped so that every call takes
 * exactly two uniforms and no state is carried between calls. 1 − u₁ is in (0, 1], so the
 * logarithm is finite; |Z| ≤ √(106·ln 2) ≈ 8.6, a tail cut far beyond any percentile read here.
 *
 * Written here rather than taken from a package for the reason `poisson` is: the draws must come
 * from the repo's seeded generator, so that an interval is the same bit for bit on every run, and
 * no normal sampler among the dependencies takes a generator. (Math.log and Math.cos are V8's
 * fdlibm ports, the same on every platform, as the Poisson sampler already assumes of Math.log.)
 */
export function normal(random: Random): number {
  const radius = Math.sqrt(-2 * Math.log(1 - random()));
  return radius * Math.cos(2 * Math.PI * random());
}

/** The CDFs of the integer means below INVERSION_LIMIT, built on first use. */
const cdfTables: Float64Array[] = [];

/** The CDF of an integer mean below INVERSION_LIMIT. */
function cdfOf(mean: number): Float64Array {
  let cdf = cdfTables[mean];
  if (cdf === undefined) {
    cdf = poissonCdf(mean);
    cdfTables[mean] = cdf;
  }
  return cdf;
}

/**
 * P(X ≤ k) for k = 0, 1, … of a Poisson(mean), summed as the sequential search sums it, then +∞.
 * The summed CDF can round to just below 1 and never pass a uniform of 1 − 2^−53: it ends where
 * the next term no longer changes it, deep in the right tail, and the +∞ returns the next k there.
 */
function poissonCdf(mean: number): Float64Array {
  const values: number[] = [];
  let p = Math.exp(-mean);
  let cdf = p;
  for (let k = 1; ; k++) {
    values.push(cdf);
    p *= mean / k;
    const next = cdf + p;
    if (next === cdf) break;
    cdf = next;
  }
  values.push(Number.POSITIVE_INFINITY);
  return Float64Array.from(values);
}

/** PTRS (Hörmann 1993, §3), as numpy's `random_poisson_ptrs`; valid for a mean ≥ 10. */
function poissonPtrs(random: Random, mean: number): number {
  const slam = Math.sqrt(mean);
  const loglam = Math.log(mean);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = random() - 0.5;
    const v = random();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k; // the squeeze: accepted without the density
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (
      Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <=
      -mean + k * loglam - logFactorial(k)
    )
      return k;
  }
}

// Stirling's series for ln Γ(x), x ≥ 7: the coefficients B_2j / (2j(2j − 1)) of numpy's
// `random_loggam` (Zhang & Jin 1996, "Computation of Special Functions", LGAMA).
const STIRLING = [
  8.333333333333333e-2, -2.777777777777778e-3, 7.936507936507937e-4, -5.952380952380952e-4,
  8.417508417508418e-4, -1.917526917526918e-3, 6.41025641025641e-3, -2.955065359477124e-2,
  1.796443723688307e-1, -1.3924322169059,
];
const LN_2PI = 1.8378770664093453;

/** ln k! = ln Γ(k + 1), by Stirling's series shifted up to x ≥ 7 (about 1e-15 relative). */
function logFactorial(k: number): number {
  const x = k + 1;
  if (x === 1 || x === 2) return 0;
  const shift = x < 7 ? 7 - x : 0;
  let x0 = x + shift;
  const x2 = 1 / (x0 * x0);
  let series = STIRLING[STIRLING.length - 1];
  for (let i = STIRLING.length - 2; i >= 0; i--) series = series * x2 + STIRLING[i];
  let value = series / x0 + 0.5 * LN_2PI + (x0 - 0.5) * Math.log(x0) - x0;
  for (let i = 0; i < shift; i++) {
    x0 -= 1;
    value -= Math.log(x0);
  }
  return value;
}
