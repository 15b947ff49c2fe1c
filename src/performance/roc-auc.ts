/**
 * ROC AUC from counts of (score, label) pairs per distinct score, with DeLong's interval. The
 * counts are exact and mergeable (a merge adds counts) because the area depends on the scores only
 * through their order and ties; the price is memory proportional to the number of distinct scores
 * in a window, which is bounded by the window's size (round scores before `update` to bound it
 * further, at the cost of creating ties).
 */

import { sortFloat64 } from "../stats/sort.js";
import { DEFAULT_LEVEL, normalInterval } from "./intervals.js";
import type { Estimate, ScoreCounts, ScoreCountsRecord } from "./types.js";

/** An empty set of score counts. */
export function emptyScoreCounts(): ScoreCounts {
  return new Map();
}

/**
 * Counts one scored observation; `positive` says whether its label is the positive class. A Map
 * compares keys by SameValueZero, so −0 and 0 are the same score (kept as 0).
 */
export function addScore(counts: ScoreCounts, score: number, positive: boolean): void {
  const cell = counts.get(score);
  if (cell === undefined) counts.set(score, positive ? [0, 1] : [1, 0]);
  else cell[positive ? 1 : 0]++;
}

/** The counts of both inputs (cell-wise sums): exactly one pass over both. */
export function mergeScoreCounts(a: ScoreCounts, b: ScoreCounts): ScoreCounts {
  const out: ScoreCounts = new Map();
  addScoreCounts(out, a);
  addScoreCounts(out, b);
  return out;
}

/** Adds the counts of `from` to `into` (cell-wise), with new cells never shared with `from`. */
export function addScoreCounts(into: ScoreCounts, from: ScoreCounts): void {
  for (const [score, [neg, pos]] of from) {
    const cell = into.get(score);
    if (cell === undefined) into.set(score, [neg, pos]);
    else {
      cell[0] += neg;
      cell[1] += pos;
    }
  }
}

/** The counts as checkpointed: keyed by `String(score)`, which round-trips every double. */
export function scoreCountsRecord(counts: ScoreCounts): ScoreCountsRecord {
  const record: ScoreCountsRecord = {};
  for (const [score, [neg, pos]] of counts) record[String(score)] = [neg, pos];
  return record;
}

/** Counts read back from their checkpointed form (`scoreCountsRecord`). */
export function scoreCountsFromRecord(record: Readonly<ScoreCountsRecord>): ScoreCounts {
  const counts: ScoreCounts = new Map();
  for (const [key, [neg, pos]] of Object.entries(record)) counts.set(Number(key), [neg, pos]);
  return counts;
}

/**
 * Area under the ROC curve of one class with DeLong's confidence interval.
 *
 * Formula: with distinct scores s_1 < … < s_m holding p_k positives and q_k negatives (P and N in
 * all), A = Σ_k p_k·(Q_<k + q_k/2) / (P·N), the Mann–Whitney form with a tie counted as one half,
 * which equals the trapezoidal area of scikit-learn's `roc_auc_score(y, score)` (it differs
 * only by the rounding of sklearn's fpr/tpr ratios; ours is the correctly rounded exact ratio while
 * P·N < 2^52). The interval is A ± z·√V clipped to [0, 1], with DeLong, DeLong & Clarke-Pearson
 * (1988) V = S10/P + S01/N, where S10 is the sample variance (n − 1) over positives of
 * V10 = (Q_<k + q_k/2)/N and S01 over negatives of V01 = (P_>k + p_k/2)/P: computed per distinct
 * score, since tied observations share their components (Sun & Xu 2014 compute the same
 * components from midranks).
 *
 * Edge cases: no positive or no negative gives value null (sklearn warns and returns NaN); fewer
 * than two positives or negatives gives a null interval (a sample variance needs two); perfect
 * separation gives V = 0 and the interval [1, 1].
 *
 * @example
 * const c = emptyScoreCounts();
 * [[0.1, false], [0.4, true], [0.35, false], [0.8, true]].forEach(([s, p]) => addScore(c, s, p));
 * rocAucFromCounts(c).value // 1
 */
export function rocAucFromCounts(counts: ScoreCounts, level = DEFAULT_LEVEL): Estimate {
  const { auc, variance } = rocAucDeLong(counts);
  if (auc === null) return { value: null, interval: null };
  if (Number.isNaN(variance)) return { value: auc, interval: null };
  return { value: auc, interval: normalInterval(auc, Math.sqrt(variance), "delong", level, 0, 1) };
}

/** An ROC AUC and its DeLong variance. */
export interface DeLongAuc {
  /** The area, null without a positive or without a negative. */
  readonly auc: number | null;
  /** DeLong's variance of the area; NaN below two positives or two negatives. */
  readonly variance: number;
}

/**
 * The area and DeLong's variance behind `rocAucFromCounts` (see it for the formulas), for callers
 * that combine the variances of several areas.
 */
export function rocAucDeLong(counts: ScoreCounts): DeLongAuc {
  // Ascending distinct scores, with their counts in the same order: typed arrays and a radix
  // sort, since a close reads up to one cell per observation of the window.
  const scores = sortFloat64(Float64Array.from(counts.keys()));
  const m = scores.length;
  const negs = new Float64Array(m);
  const poss = new Float64Array(m);
  let positives = 0;
  let negatives = 0;
  for (let k = 0; k < m; k++) {
    const [neg, pos] = counts.get(scores[k]) as [number, number];
    negs[k] = neg;
    poss[k] = pos;
    positives += pos;
    negatives += neg;
  }
  if (positives === 0 || negatives === 0) return { auc: null, variance: Number.NaN };
  let below = 0; // negatives with a lower score
  let u = 0;
  for (let k = 0; k < m; k++) {
    u += poss[k] * (below + negs[k] / 2);
    below += negs[k];
  }
  const auc = u / (positives * negatives);
  if (positives < 2 || negatives < 2) return { auc, variance: Number.NaN };
  let above = positives; // positives with a higher score, after subtracting this cell
  let s10 = 0;
  let s01 = 0;
  below = 0;
  for (let k = 0; k < m; k++) {
    const neg = negs[k];
    const pos = poss[k];
    above -= pos;
    if (pos > 0) s10 += pos * ((below + neg / 2) / negatives - auc) ** 2;
    if (neg > 0) s01 += neg * ((above + pos / 2) / positives - auc) ** 2;
    below += neg;
  }
  return { auc, variance: s10 / (positives - 1) / positives + s01 / (negatives - 1) / negatives };
}
