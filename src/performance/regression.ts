/**
 * Regression quality of a window: a mergeable state of running moments and the metrics read from
 * it, matched to scikit-learn (`mean_absolute_error`, `root_mean_squared_error`,
 * `mean_absolute_percentage_error`, `r2_score`), each with a confidence interval.
 *
 * Why moments and not raw sums: R² needs Σ(y − ȳ)², and Σy² − (Σy)²/n cancels catastrophically
 * when the targets share a large offset (y ≈ 1e6 ± 1 leaves no correct digit). Shifted Welford
 * moments merged by Chan's formula keep ~1e-13 relative accuracy there (see `moments.ts`).
 *
 * @example
 * const state = emptyRegressionState();
 * for (const [y, p] of [[3, 2.5], [-0.5, 0], [2, 2], [7, 8]])
 *   updateRegression(state, { actual: y, predicted: p });
 * regressionMetrics(state).r2.value // 0.9486081370449679, as r2_score([3, -0.5, 2, 7], [2.5, 0, 2, 8])
 */

import { DEFAULT_LEVEL, normalInterval } from "./intervals.js";
import {
  emptyHigherMoments,
  emptyMoments,
  mergeHigherMoments,
  mergeMoments,
  momentsM2,
  momentsMean,
  momentsVariance,
  updateHigherMoments,
  updateMoments,
} from "./moments.js";
import type {
  Estimate,
  MetricOptions,
  Moments,
  RegressionMetrics,
  RegressionObservation,
  RegressionState,
} from "./types.js";

/** float64 machine epsilon: scikit-learn's MAPE divides by max(|y|, ε). */
const EPS = 2 ** -52;

/** An empty regression state. */
export function emptyRegressionState(): RegressionState {
  return {
    absolute_error: emptyMoments(),
    squared_error: emptyMoments(),
    percentage_error: emptyMoments(),
    actual: emptyHigherMoments(),
    co_moment: 0,
    co_moment2: 0,
    invalid: 0,
  };
}

/** The current mean of x − shift, as if x were the next value (its δ in the merge formulas). */
const deltaOf = (m: Moments, x: number): number => x - m.shift - m.shifted_mean;

/**
 * Adds one prediction. A non-finite actual or predicted value is counted in `invalid` and
 * otherwise ignored (scikit-learn would reject the whole input).
 */
export function updateRegression(state: RegressionState, obs: RegressionObservation): void {
  const y = obs.actual;
  const p = obs.predicted;
  if (!Number.isFinite(y) || !Number.isFinite(p)) {
    state.invalid++;
    return;
  }
  const abs = Math.abs(p - y);
  const sq = (y - p) ** 2;
  const na = state.actual.n;
  if (na > 0) {
    // Co-moments of (u = e², y) before the means move: the merge with a one-value side, where
    // a's offsets are −δ/n and the new value's are δ·n_a/n (see mergeRegression).
    const n = na + 1;
    const du = deltaOf(state.squared_error, sq);
    const dy = deltaOf(state.actual, y);
    const au = -du / n;
    const ay = -dy / n;
    const bu = (du * na) / n;
    const by = (dy * na) / n;
    state.co_moment2 +=
      2 * ay * state.co_moment + au * momentsM2(state.actual) + na * au * ay * ay + bu * by * by;
    state.co_moment += na * au * ay + bu * by;
  }
  updateMoments(state.absolute_error, abs);
  updateMoments(state.squared_error, sq);
  updateMoments(state.percentage_error, abs / Math.max(Math.abs(y), EPS));
  updateHigherMoments(state.actual, y);
}

/**
 * The state of both inputs in one: equal to one pass over a's observations then b's up to
 * floating-point rounding. Moments merge by Chan et al. (1979); the co-moments by Pébay (2008,
 * eq. 3.5 generalised): each side's Σ(u − ū)(y − ȳ)^q is re-centred on the merged means by
 * expanding (u' + o_u)(y' + o_y)^q, with offsets o = −δ·n_b/n for a and δ·n_a/n for b.
 */
export function mergeRegression(a: RegressionState, b: RegressionState): RegressionState {
  let coMoment = a.co_moment + b.co_moment;
  let coMoment2 = a.co_moment2 + b.co_moment2;
  const na = a.actual.n;
  const nb = b.actual.n;
  if (na > 0 && nb > 0) {
    const n = na + nb;
    const du =
      b.squared_error.shift -
      a.squared_error.shift +
      (b.squared_error.shifted_mean - a.squared_error.shifted_mean);
    const dy = b.actual.shift - a.actual.shift + (b.actual.shifted_mean - a.actual.shifted_mean);
    const au = (-du * nb) / n;
    const ay = (-dy * nb) / n;
    const bu = (du * na) / n;
    const by = (dy * na) / n;
    coMoment2 +=
      2 * (ay * a.co_moment + by * b.co_moment) +
      au * momentsM2(a.actual) +
      bu * momentsM2(b.actual) +
      na * au * ay * ay +
      nb * bu * by * by;
    coMoment += na * au * ay + nb * bu * by;
  }
  return {
    absolute_error: mergeMoments(a.absolute_error, b.absolute_error),
    squared_error: mergeMoments(a.squared_error, b.squared_error),
    percentage_error: mergeMoments(a.percentage_error, b.percentage_error),
    actual: mergeHigherMoments(a.actual, b.actual),
    co_moment: coMoment,
    co_moment2: coMoment2,
    invalid: a.invalid + b.invalid,
  };
}

/** Mean ± z·s/√n of a per-observation quantity, lower bound clipped to 0. */
function meanEstimate(m: Moments, level: number): Estimate {
  if (m.n === 0) return { value: null, interval: null };
  const value = momentsMean(m);
  return { value, interval: normalInterval(value, Math.sqrt(momentsVariance(m) / m.n), "normal", level, 0) };
}

/**
 * Mean absolute error mean |y − ŷ|, as `sklearn.metrics.mean_absolute_error`. Interval: normal,
 * MAE ± z·s/√n with s the sample standard deviation of |y − ŷ|, lower bound clipped to 0.
 *
 * Edge cases: an empty state gives null; one observation gives a null interval.
 */
export function meanAbsoluteError(state: RegressionState, options: MetricOptions = {}): Estimate {
  return meanEstimate(state.absolute_error, options.level ?? DEFAULT_LEVEL);
}

/**
 * Root mean squared error √(mean (y − ŷ)²), as `sklearn.metrics.root_mean_squared_error`.
 * Interval: delta method on MSE's normal interval, RMSE ± z·s/(2·RMSE·√n) with s the sample
 * standard deviation of (y − ŷ)² (d√m/dm = 1/(2√m)), lower bound clipped to 0.
 *
 * Edge cases: an empty state gives null; one observation, or RMSE = 0 (where √ has no
 * derivative), gives a null interval.
 */
export function rootMeanSquaredError(state: RegressionState, options: MetricOptions = {}): Estimate {
  const m = state.squared_error;
  if (m.n === 0) return { value: null, interval: null };
  const value = Math.sqrt(momentsMean(m));
  const se = Math.sqrt(momentsVariance(m) / m.n) / (2 * value);
  return { value, interval: normalInterval(value, se, "delta", options.level ?? DEFAULT_LEVEL, 0) };
}

/**
 * Mean absolute percentage error mean |y − ŷ| / max(|y|, ε), ε = 2^−52, as
 * `sklearn.metrics.mean_absolute_percentage_error` (a fraction, not a percentage: 0.1 is 10 %).
 * A zero actual value divides by ε, so one miss at y = 0 dominates the mean (≈4.5e15·|ŷ|), as in
 * sklearn. Interval: normal, as for MAE, on the per-observation ratios.
 *
 * Edge cases: an empty state gives null; one observation gives a null interval.
 */
export function meanAbsolutePercentageError(state: RegressionState, options: MetricOptions = {}): Estimate {
  return meanEstimate(state.percentage_error, options.level ?? DEFAULT_LEVEL);
}

/**
 * Coefficient of determination R² = 1 − SS_res/SS_tot with SS_res = Σ(y − ŷ)² = n·mean e² and
 * SS_tot = Σ(y − ȳ)² from the shifted moments, as `sklearn.metrics.r2_score` (force_finite=True).
 *
 * Interval: delta method (von Mises expansion) with R² = 1 − m_u/v, u = e², v = mean (y − ȳ)²:
 * influence IF_i = −(u_i − m_u)/v + m_u·((y_i − ȳ)² − v)/v², Var(R²) = Σ IF_i² / (n(n − 1)),
 * where Σ IF² = M2_u/v² + m_u²·(M4_y − M2_y²/n)/v⁴ − 2·m_u·Σ(u − m_u)(y − ȳ)²/v³ comes from
 * the state's moments and co-moment. Upper bound clipped to 1. The terms cancel when the squared
 * errors track the squared deviations of y, or y forms two tight clusters (kurtosis near 1): Σ IF²
 * then carries ε times the terms' size in rounding, which can move the bounds by 1e-6 of
 * themselves (a streaming state cannot avoid it: the combination's weights are known only at the
 * end).
 *
 * Edge cases, as sklearn: fewer than two observations gives null (sklearn warns and returns NaN);
 * SS_res = 0 gives 1 (perfect predictions, even for constant y); constant y with SS_res > 0 gives
 * 0 (interval null). sklearn takes ȳ by a pairwise sum, so for a constant y whose mean does not
 * round back to y (seven values of 0.1) its SS_tot is a tiny positive number and it returns about
 * −5e29; here a constant y has SS_tot exactly 0 and R² is 0, the value sklearn intends.
 */
export function r2(state: RegressionState, options: MetricOptions = {}): Estimate {
  const y = state.actual;
  const n = y.n;
  if (n < 2) return { value: null, interval: null };
  const mu = momentsMean(state.squared_error);
  const ssRes = n * mu;
  const ssTot = momentsM2(y);
  if (ssRes === 0)
    return {
      value: 1,
      interval: normalInterval(1, 0, "delta", options.level ?? DEFAULT_LEVEL, Number.NEGATIVE_INFINITY, 1),
    };
  if (ssTot === 0) return { value: 0, interval: null };
  const value = 1 - ssRes / ssTot;
  // With r = m_u/v the three terms share the factor 1/v², divided one v at a time so that tiny
  // or huge scales neither underflow nor overflow before the ratio.
  const v = ssTot / n;
  const r = mu / v;
  const sumIf2 =
    (momentsM2(state.squared_error) / v + r * r * (y.m4 / v - ssTot) - 2 * r * (state.co_moment2 / v)) / v;
  const se = Math.sqrt(Math.max(0, sumIf2) / (n * (n - 1)));
  return {
    value,
    interval: normalInterval(value, se, "delta", options.level ?? DEFAULT_LEVEL, Number.NEGATIVE_INFINITY, 1),
  };
}

/** Every regression metric of a state, as one plain object for reports and exporters. */
export function regressionMetrics(state: RegressionState, options: MetricOptions = {}): RegressionMetrics {
  return {
    count: state.actual.n,
    mae: meanAbsoluteError(state, options),
    rmse: rootMeanSquaredError(state, options),
    mape: meanAbsolutePercentageError(state, options),
    r2: r2(state, options),
  };
}
