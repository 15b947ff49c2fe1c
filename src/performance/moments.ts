/**
 * Running sums that merge: Neumaier-compensated sums and shifted Welford moments. They are what the
 * metric states are made of, chosen so that a mean or a sum of squared deviations read from a state
 * is as accurate as numpy's pairwise two-pass result or better (checked against exact rational
 * arithmetic on the fixtures), even with a large common offset (values around 1e6 with unit
 * spread, where Σx² − (Σx)²/n would lose every digit) or one huge value among small ones.
 *
 * @example
 * const m = emptyMoments();
 * for (const x of [1e6 + 1, 1e6 + 2, 1e6 + 3]) updateMoments(m, x);
 * [momentsMean(m), momentsVariance(m)] // [1000002, 1]
 */

import type { CompensatedSum, HigherMoments, Moments } from "./types.js";

/** An empty `Moments`. */
export function emptyMoments(): Moments {
  return { n: 0, sum: [0, 0], shift: 0, shifted_mean: 0, m2: [0, 0] };
}

/**
 * Adds one value: Σx to the compensated sum, and Welford (1962) on c = x − shift for M2:
 * d = c − m, n += 1, m += d/n, M2 += d·(c − m) (compensated). The shift is the first value, so a
 * large common offset is subtracted exactly (Sterbenz) before any rounding; a constant input keeps
 * M2 exactly 0.
 */
export function updateMoments(state: Moments, x: number): void {
  addToSum(state.sum, x);
  if (state.n === 0) {
    state.n = 1;
    state.shift = x;
    return;
  }
  const c = x - state.shift;
  const d = c - state.shifted_mean;
  state.n++;
  state.shifted_mean += d / state.n;
  addToSum(state.m2, d * (c - state.shifted_mean));
}

/** δ = x̄_b − x̄_a from the shifted means (exact shift difference first, then the small means). */
const meanDelta = (a: Moments, b: Moments): number => b.shift - a.shift + (b.shifted_mean - a.shifted_mean);

/**
 * The moments of both inputs (Chan, Golub & LeVeque 1979): δ = x̄_b − x̄_a,
 * M2 = M2_a + M2_b + δ²·n_a·n_b/n, m = m_a + δ·n_b/n on a's shift; sums add. An empty side
 * leaves the other unchanged.
 */
export function mergeMoments(a: Moments, b: Moments): Moments {
  if (b.n === 0) return copyMoments(a);
  if (a.n === 0) return copyMoments(b);
  const n = a.n + b.n;
  const delta = meanDelta(a, b);
  const m2 = mergeSums(a.m2, b.m2);
  addToSum(m2, ((delta * delta * a.n) / n) * b.n);
  return {
    n,
    sum: mergeSums(a.sum, b.sum),
    shift: a.shift,
    shifted_mean: a.shifted_mean + (delta * b.n) / n,
    m2,
  };
}

function copyMoments(m: Moments): Moments {
  return {
    n: m.n,
    sum: [m.sum[0], m.sum[1]],
    shift: m.shift,
    shifted_mean: m.shifted_mean,
    m2: [m.m2[0], m.m2[1]],
  };
}

/** The mean Σx/n of the values (NaN when empty). */
export function momentsMean(state: Moments): number {
  return state.n === 0 ? Number.NaN : sumValue(state.sum) / state.n;
}

/** Σ(x − x̄)², the sum of squared deviations (0 when empty). */
export function momentsM2(state: Moments): number {
  return sumValue(state.m2);
}

/** The sample variance M2 / (n − 1) (NaN below two values). */
export function momentsVariance(state: Moments): number {
  return state.n < 2 ? Number.NaN : sumValue(state.m2) / (state.n - 1);
}

/** An empty `HigherMoments`. */
export function emptyHigherMoments(): HigherMoments {
  return { ...emptyMoments(), m3: 0, m4: 0 };
}

/**
 * The central moment sums of both inputs (Pébay 2008, eq. 2.1–2.3, here derived by shifting each
 * side's sums to the merged mean): with δ = x̄_b − x̄_a, α = −δ·n_b/n (a's offset) and
 * β = δ·n_a/n (b's), Σ(x − x̄)^p over a side is Σ_k C(p, k)·offset^(p−k)·M_k of that side, with
 * M_0 = n and M_1 = 0. A single value is a side with n = 1 and M_2 = M_3 = M_4 = 0, which is how
 * `updateHigherMoments` is written.
 */
export function mergeHigherMoments(a: HigherMoments, b: HigherMoments): HigherMoments {
  if (b.n === 0) return { ...copyMoments(a), m3: a.m3, m4: a.m4 };
  if (a.n === 0) return { ...copyMoments(b), m3: b.m3, m4: b.m4 };
  const n = a.n + b.n;
  const delta = meanDelta(a, b);
  const alpha = (-delta * b.n) / n;
  const beta = (delta * a.n) / n;
  const a2 = sumValue(a.m2);
  const b2 = sumValue(b.m2);
  const m2 = mergeSums(a.m2, b.m2);
  addToSum(m2, a.n * alpha * alpha + b.n * beta * beta);
  return {
    n,
    sum: mergeSums(a.sum, b.sum),
    shift: a.shift,
    shifted_mean: a.shifted_mean + (delta * b.n) / n,
    m2,
    m3: a.m3 + b.m3 + 3 * (alpha * a2 + beta * b2) + a.n * alpha ** 3 + b.n * beta ** 3,
    m4:
      a.m4 +
      b.m4 +
      4 * (alpha * a.m3 + beta * b.m3) +
      6 * (alpha * alpha * a2 + beta * beta * b2) +
      a.n * alpha ** 4 +
      b.n * beta ** 4,
  };
}

/**
 * Adds one value to `HigherMoments`: the merge with a one-value side (n_b = 1, central sums 0; see
 * `mergeHigherMoments`), written out so that the hot path allocates nothing.
 */
export function updateHigherMoments(state: HigherMoments, x: number): void {
  addToSum(state.sum, x);
  if (state.n === 0) {
    state.n = 1;
    state.shift = x;
    return;
  }
  const na = state.n;
  const n = na + 1;
  const delta = x - state.shift - state.shifted_mean;
  const alpha = -delta / n;
  const beta = (delta * na) / n;
  const m2 = sumValue(state.m2);
  const m3 = state.m3;
  state.n = n;
  state.shifted_mean += delta / n;
  state.m4 += 4 * alpha * m3 + 6 * alpha * alpha * m2 + na * alpha ** 4 + beta ** 4;
  state.m3 += 3 * alpha * m2 + na * alpha ** 3 + beta ** 3;
  addToSum(state.m2, na * alpha * alpha + beta * beta);
}

/** An empty compensated sum. */
export function emptySum(): CompensatedSum {
  return [0, 0];
}

/**
 * Adds x to a compensated sum (Neumaier 1974): the rounding error of each addition is kept in the
 * compensation, so the value is as accurate as if summed in twice the precision.
 */
export function addToSum(sum: CompensatedSum, x: number): void {
  const s = sum[0];
  const t = s + x;
  sum[1] += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s;
  sum[0] = t;
}

/** The compensated sum of both inputs. */
export function mergeSums(a: CompensatedSum, b: CompensatedSum): CompensatedSum {
  const out: CompensatedSum = [a[0], a[1] + b[1]];
  addToSum(out, b[0]);
  return out;
}

/** The value of a compensated sum. */
export function sumValue(sum: CompensatedSum): number {
  return sum[0] + sum[1];
}
