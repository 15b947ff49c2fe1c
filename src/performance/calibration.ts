/**
 * Expected calibration error over equal-width reliability bins. scikit-learn has no ECE, so its
 * reference values are computed per observation with numpy in `test/fixtures/sklearn/metrics.py`.
 */

import { addToSum, emptySum, mergeSums, sumValue } from "./moments.js";
import type { CalibrationBins } from "./types.js";

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

/** Adds one observation: the confidence given to the predicted label and whether it was right. */
export function addCalibration(state: CalibrationBins, confidence: number, correct: boolean): void {
  const b = calibrationBin(confidence, state.count.length);
  state.count[b]++;
  addToSum(state.confidence[b], confidence);
  if (correct) state.correct[b]++;
}

/** The bins of both inputs (bin-wise sums); both must have the same number of bins. */
export function mergeCalibration(a: CalibrationBins, b: CalibrationBins): CalibrationBins {
  if (a.count.length !== b.count.length)
    throw new RangeError(`cannot merge ${a.count.length} calibration bins with ${b.count.length}`);
  return {
    count: a.count.map((n, i) => n + b.count[i]),
    confidence: a.confidence.map((s, i) => mergeSums(s, b.confidence[i])),
    correct: a.correct.map((n, i) => n + b.correct[i]),
  };
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
