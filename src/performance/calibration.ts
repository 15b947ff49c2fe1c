/**
 * Expected calibration error over equal-width reliability bins, and its bootstrap interval from the
 * bins alone (counts, right predictions, sums of the confidences and of their squares), so that
 * its cost and the state's size are set by the number of bins, not of observations. scikit-learn
 * has no ECE, so its reference values are computed per observation with numpy in
 * `test/fixtures/sklearn/metrics.py`.
 */

import { type Random, seededRandom } from "../stats/prng.js";
import { BOOTSTRAP_SEED, DEFAULT_REPLICATES, normal, poisson } from "./bootstrap.js";
import { DEFAULT_LEVEL, percentileInterval } from "./intervals.js";
import { addToSum, emptySum, mergeSums, sumValue } from "./moments.js";
import type { CalibrationBins, Interval } from "./types.js";

/** The default number of calibration bins. */
export const DEFAULT_CALIBRATION_BINS = 10;

/** Empty reliability bins; `bins` must be a positive integer. */
export function emptyCalibrationBins(bins = DEFAULT_CALIBRATION_BINS): CalibrationBins {
  if (!(Number.isInteger(bins) && bins > 0))
    throw new RangeError(`calibration bins must be a positive integer (got ${bins})`);
  return {
    count: new Array<number>(bins).fill(0),
    confidence: Array.from({ length: bins }, emptySum),
    correct: new Array<number>(bins).fill(0),
    confidence_sq: Array.from({ length: bins }, emptySum),
  };
}

/**
 * The bin of a confidence c in [0, 1] among B equal-width bins: b such that b/B < c ≤ (b+1)/B,
 * with c = 0 in bin 0 (the right-closed bins of Guo et al. 2017, so a confidence of 1 lands in
 * the last bin). Edges are the doubles k/B, so this is numpy's
 * `np.searchsorted(np.arange(B + 1)[1:-1] / B, c, side="left")`, bit for bit.
 */
export function calibrationBin(confidence: number, bins: number): number {
  let b = Math.min(bins - 1, Math.max(0, Math.ceil(confidence * bins) - 1));
  while (b > 0 && confidence <= b / bins) b--;
  while (b < bins - 1 && confidence > (b + 1) / bins) b++;
  return b;
}

/**
 * Adds one observation: the confidence given to the predicted label and whether it was right. Bins
 * without `confidence_sq` (an older checkpoint) are left without it: a sum started now would miss
 * the observations before, and the interval would read it as the whole bin's.
 */
export function addCalibration(state: CalibrationBins, confidence: number, correct: boolean): void {
  const b = calibrationBin(confidence, state.count.length);
  state.count[b]++;
  addToSum(state.confidence[b], confidence);
  if (state.confidence_sq !== undefined) addToSum(state.confidence_sq[b], confidence * confidence);
  if (correct) state.correct[b]++;
}

/**
 * The bins of both inputs (bin-wise sums); both must have the same number of bins. The counts add
 * exactly. The sums are compensated: of non-negative values, their value is the correctly rounded
 * sum unless that lies within about n·2⁻¹⁰⁶ (relative) of a rounding tie, so a merged state reads
 * as one pass does, and gives the same ECE and interval bit for bit, bar such a tie (property
 * tests over 170 000 random splits found none). `confidence_sq` is kept only when both sides have
 * it, for the reason `addCalibration` gives.
 */
export function mergeCalibration(a: CalibrationBins, b: CalibrationBins): CalibrationBins {
  if (a.count.length !== b.count.length)
    throw new RangeError(`cannot merge ${a.count.length} calibration bins with ${b.count.length}`);
  const merged: CalibrationBins = {
    count: a.count.map((n, i) => n + b.count[i]),
    confidence: a.confidence.map((s, i) => mergeSums(s, b.confidence[i])),
    correct: a.correct.map((n, i) => n + b.correct[i]),
  };
  const aSq = a.confidence_sq;
  const bSq = b.confidence_sq;
  if (aSq !== undefined && bSq !== undefined) merged.confidence_sq = aSq.map((s, i) => mergeSums(s, bSq[i]));
  return merged;
}

/**
 * Expected calibration error (Naeini, Cooper & Hauskrecht 2015; Guo et al. 2017, eq. 3): with
 * B equal-width bins of the confidence (the probability the model gave to the label it
 * predicted), ECE = Σ_b (n_b/n)·|acc_b − conf_b| = Σ_b |correct_b − Σ_b confidence| / n, where
 * acc_b is the share of correct predictions in bin b and conf_b its mean confidence. In [0, 1];
 * 0 when every bin's accuracy equals its mean confidence.
 *
 * Edge cases: empty bins contribute nothing; no observation gives null. Top-label ECE depends on
 * the binning (count and edges), so values are comparable only at the same number of bins.
 *
 * @example
 * const bins = emptyCalibrationBins(10);
 * addCalibration(bins, 0.9, true);
 * addCalibration(bins, 0.9, false); // one bin: 1 correct against 1.8 expected
 * expectedCalibrationError(bins) // 0.4
 */
export function expectedCalibrationError(state: CalibrationBins): number | null {
  let n = 0;
  let gap = 0;
  for (let b = 0; b < state.count.length; b++) {
    if (state.count[b] === 0) continue;
    n += state.count[b];
    gap += Math.abs(state.correct[b] - sumValue(state.confidence[b]));
  }
  return n === 0 ? null : gap / n;
}

/**
 * The ECE of `replicates` Poisson-bootstrap replicates (see bootstrap.ts) of the observations
 * behind `state`, drawn bin by bin from the bins' sums. In bin b of B, with n_b observations, r_b
 * of them right, mean confidence m_b = S_b/n_b and within-bin variance v_b = Q_b/n_b − m_b² (S_b
 * and Q_b the sums of the confidences and of their squares):
 *
 *   R* ~ Poisson(r_b), W* ~ Poisson(n_b − r_b), n* = R* + W*,
 *   m* = clip(m_b + √(v_b/n*)·Z, b/B, (b+1)/B) with Z ~ N(0, 1),
 *   ECE* = Σ_b (n* / N*)·|R* / n* − m*| = Σ_b |R* − n*·m*| / N*, over the bins with n* > 0,
 *   N* = Σ_b n*.
 *
 * The counts are exact: every observation takes an independent Poisson(1) weight, and the weights
 * of the r_b right ones sum to a Poisson(r_b). The resampled mean confidence is the one
 * approximation: given n*, it has mean m_b and variance v_b / n* (the mean of n* draws from the
 * bin's confidences), taken here as normal and as independent of R*, which drops the covariance of
 * confidence and correctness inside a bin. Both concern only the spread of the confidences within
 * one bin, at most 1/B wide (v_b ≤ 1/(4B²) = 0.0025 at B = 10), a small part of the variance of
 * the gap next to the right count's (of the order of p(1 − p)). Measured against a per-observation
 * Poisson bootstrap on continuous scores, the bounds agree within a few % of the interval's width
 * (test/performance/intervals-bootstrap.test.ts).
 *
 * Cost: O(B) per replicate (two Poisson and one normal variate per bin), whatever the number of
 * observations; the draws go bin by bin in index order (R*, W*, then Z where n* > 0), so a seed
 * gives the same replicates for the same bins however they were built or merged.
 *
 * Edge cases: v_b is Q_b/n_b − m_b² clipped at 0 (it can round below 0 when every confidence in the
 * bin is the same; the subtraction loses digits only where the spread it measures is too small to
 * matter); a replicate with N* = 0 (probability e^−n) has no ECE and is drawn again, the
 * bootstrap conditioned on a non-empty resample (a multinomial one always is); bins without an
 * observation or without `confidence_sq` (an older checkpoint) give an empty array.
 */
export function calibrationErrorReplicates(
  state: CalibrationBins,
  replicates: number,
  random: Random,
): Float64Array {
  const squares = state.confidence_sq;
  const bins = state.count.length;
  const used: { right: number; wrong: number; mean: number; sd: number; low: number; high: number }[] = [];
  if (squares !== undefined)
    for (let b = 0; b < bins; b++) {
      const n = state.count[b];
      if (n === 0) continue;
      const mean = sumValue(state.confidence[b]) / n;
      const variance = Math.max(0, sumValue(squares[b]) / n - mean * mean);
      const right = state.correct[b];
      used.push({
        right,
        wrong: n - right,
        mean,
        sd: Math.sqrt(variance),
        low: b / bins,
        high: (b + 1) / bins,
      });
    }
  const out = new Float64Array(used.length === 0 ? 0 : replicates);
  for (let r = 0; r < out.length; ) {
    let gap = 0;
    let total = 0;
    for (const bin of used) {
      const right = bin.right > 0 ? poisson(random, bin.right) : 0;
      const n = right + (bin.wrong > 0 ? poisson(random, bin.wrong) : 0);
      if (n === 0) continue;
      const shifted = bin.mean + (bin.sd / Math.sqrt(n)) * normal(random);
      gap += Math.abs(right - n * Math.min(Math.max(shifted, bin.low), bin.high));
      total += n;
    }
    if (total === 0) continue;
    out[r++] = gap / total;
  }
  return out;
}

/**
 * Percentile interval of the expected calibration error from `replicates` seeded Poisson-bootstrap
 * replicates of the bins (`calibrationErrorReplicates`, seed `BOOTSTRAP_SEED`), so the same bins
 * always give the same bounds, and bins merged from parts those of one pass. A bootstrap because
 * the ECE, a sum of absolute gaps over bins, has no standard analytic variance; the Poisson form
 * because it resamples counts without expanding them into observations.
 *
 * Read it with the ECE's bias in mind: each bin's |accuracy − confidence| is inflated by sampling
 * noise, and the replicates, which add the noise of a resample to the observed gaps, are inflated
 * once more. Where the model is well calibrated (observed gaps of the order of the noise) the
 * interval sits above the estimate and can exclude it; it then says how large the measured ECE
 * could come out, not where the population's lies. Where the model is miscalibrated (gaps well
 * above the noise) the ECE is nearly linear in the counts and the interval is accurate.
 *
 * Edge cases: fewer than two observations give null (one resampled observation has no spread), as
 * do bins without `confidence_sq` (a state checkpointed before it existed); `replicates` must be a
 * positive integer (RangeError).
 *
 * @example
 * const bins = emptyCalibrationBins(10);
 * for (let i = 0; i < 100; i++) addCalibration(bins, 0.9, i % 4 !== 0); // 75 % right at 0.9
 * calibrationErrorInterval(bins) // ECE 0.15; low 0.0636, high 0.2334, method "bootstrap"
 */
export function calibrationErrorInterval(
  state: CalibrationBins,
  level = DEFAULT_LEVEL,
  replicates = DEFAULT_REPLICATES,
): Interval | null {
  if (!(Number.isInteger(replicates) && replicates > 0))
    throw new RangeError(`bootstrap replicates must be a positive integer (got ${replicates})`);
  if (state.confidence_sq === undefined) return null;
  let n = 0;
  for (const c of state.count) n += c;
  if (n < 2) return null;
  return percentileInterval(
    calibrationErrorReplicates(state, replicates, seededRandom(BOOTSTRAP_SEED)),
    level,
  );
}
