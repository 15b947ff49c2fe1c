/**
 * Confidence-based performance estimation (CBPE, NannyML's method: "How it works: performance
 * estimation" in the NannyML documentation): a classifier's performance on unlabelled predictions
 * estimated from its calibrated probabilities, e.g. expected true positives Σ p over the rows
 * predicted positive.
 * A reference set with labels fits the calibration, the sampling-error parameters and the alert
 * thresholds; windows of predictions are then summarised in a mergeable state and estimated.
 * Every number follows NannyML 0.13's `CBPE` (`nannyml.performance_estimation.confidence_based`),
 * checked against it in `test/fixtures/nannyml/cbpe.json`; the few places where NannyML's
 * result depends on things a mergeable state cannot see (row order in numpy's pairwise sums,
 * the order numpy's unstable sort gives equal scores) are named where they occur.
 *
 * @example
 * const rows = Array.from({ length: 400 }, (_, i) => {
 *   const score = ((i * 37) % 401) / 401;
 *   return { actual: ((i * 53) % 97) / 97 < score ? "1" : "0", predicted: score > 0.5 ? "1" : "0", score };
 * });
 * const ref = fitCbpe(rows, { positive: "1", chunk_size: 100, metrics: ["roc_auc", "accuracy"] });
 * const state = emptyCbpeState(ref);
 * for (const score of [0.9, 0.8, 0.3, 0.65, 0.1, 0.45])
 *   updateCbpe(state, ref, { predicted: score > 0.5 ? "1" : "0", score });
 * estimateCbpe(state, ref).roc_auc
 * // { value: 0.6977998960891546, sampling_error: 0.14756448579491818,
 * //   upper_confidence_boundary: 1, lower_confidence_boundary: 0.2551064387044001,
 * //   upper_threshold: 0.9870477540072636, lower_threshold: 0.3794731547408511, alert: false }
 * // NannyML 0.13's CBPE on the same rows gives the same numbers.
 */

import { numpySum } from "../stats/bins.js";
import { sortLabels } from "./classification.js";
import {
  type CalibrationCheck,
  calibrateIsotonic,
  fitIsotonic,
  type IsotonicCalibrator,
  needsCalibration,
} from "./isotonic.js";
import { addToSum, emptySum, sumValue } from "./moments.js";
import { addScore, emptyScoreCounts, rocAucFromCounts } from "./roc-auc.js";
import type { Label } from "./types.js";

/** Binary (one positive label, a score) or multiclass (a probability per class). */
export type CbpeProblem = "binary" | "multiclass";

/** A metric CBPE estimates (NannyML's names); `confusion_matrix` is binary only. */
export type CbpeMetric =
  | "roc_auc"
  | "f1"
  | "precision"
  | "recall"
  | "specificity"
  | "accuracy"
  | "confusion_matrix";

/** A column of the results: one per metric, the confusion matrix giving four (unnormalised counts). */
export type CbpeColumn =
  | Exclude<CbpeMetric, "confusion_matrix">
  | "true_positive"
  | "true_negative"
  | "false_positive"
  | "false_negative";

/** The metrics estimated when none are listed, per problem: all that NannyML supports here. */
export const DEFAULT_CBPE_METRICS: Readonly<Record<CbpeProblem, readonly CbpeMetric[]>> = {
  binary: ["roc_auc", "f1", "precision", "recall", "specificity", "accuracy", "confusion_matrix"],
  multiclass: ["roc_auc", "f1", "precision", "recall", "specificity", "accuracy"],
};

/** Options of `fitCbpe`: the chunk size, and either `positive` (binary) or `classes` (multiclass). */
export interface CbpeOptions {
  /** Events per reference chunk (NannyML's `chunk_size`); a last, shorter chunk is kept. */
  readonly chunk_size: number;
  /** Metrics to estimate (default: `DEFAULT_CBPE_METRICS` of the problem). */
  readonly metrics?: readonly CbpeMetric[];
  /** Binary: the label whose probability `score` is; every other label is negative. */
  readonly positive?: Label;
  /** Multiclass: the classes, at least three, each a key of every row's `probabilities`. */
  readonly classes?: readonly Label[];
  /**
   * Whether to calibrate each class (binary: the positive label), overriding NannyML's test
   * for the classes given. The test's outcome can hinge on the order of tied scores (see
   * `needsCalibration`), so a deployment that must agree with a NannyML run can pin it here.
   */
  readonly calibrate?: Readonly<Record<Label, boolean>>;
}

/** A labelled reference prediction of a binary model. */
export interface CbpeBinaryRow {
  /** The true label. */
  readonly actual: Label;
  /** The label the model predicted. */
  readonly predicted: Label;
  /** Probability of the positive label, in [0, 1]. */
  readonly score: number;
}

/** A labelled reference prediction of a multiclass model. */
export interface CbpeMulticlassRow {
  /** The true label, one of the classes. */
  readonly actual: Label;
  /** The label the model predicted. */
  readonly predicted: Label;
  /** Probability of every class, each in [0, 1]. */
  readonly probabilities: Readonly<Record<Label, number>>;
}

/** A labelled reference prediction. */
export type CbpeRow = CbpeBinaryRow | CbpeMulticlassRow;

/** An unlabelled prediction, what a window receives: `score` (binary) or `probabilities`. */
export interface CbpePrediction {
  /** The label the model predicted. */
  readonly predicted: Label;
  /** Binary: probability of the positive label, in [0, 1]. */
  readonly score?: number;
  /** Multiclass: probability of every class, each in [0, 1]. */
  readonly probabilities?: Readonly<Record<Label, number>>;
}

/**
 * How a metric's sampling error scales with the window size n, from parameters fitted on the
 * reference (NannyML's `sampling_error` modules); null stands for NaN.
 */
export type SamplingComponents =
  /** std / √(n·fraction): binary ROC AUC, F1, precision, recall, specificity. */
  | { readonly type: "fraction"; readonly std: number | null; readonly fraction: number | null }
  /** std / √n: accuracy. */
  | { readonly type: "mean"; readonly std: number | null }
  /** std / √n · n: a cell of the confusion matrix, in counts. */
  | { readonly type: "count"; readonly std: number | null }
  /** √(Σ_k variance_k / (n·fraction_k)) / K · factor: multiclass macro metrics (ROC AUC: ×1.2). */
  | {
      readonly type: "classes";
      readonly variances: (number | null)[];
      readonly fractions: (number | null)[];
      readonly factor: number;
    };

/** Alert thresholds of a column; null where there is none (or NannyML's is NaN). */
export interface CbpeThreshold {
  /** An estimate below this alerts. */
  readonly lower: number | null;
  /** An estimate above this alerts. */
  readonly upper: number | null;
}

/**
 * One metric of one window, as a row of NannyML's results table: null where NannyML gives NaN
 * (an empty window, a metric undefined on it).
 */
export interface CbpeMetricResult {
  /** The estimated value. */
  readonly value: number | null;
  /** Its sampling error (a standard error from the window size). */
  readonly sampling_error: number | null;
  /** value + 3·sampling_error, capped at the metric's upper limit (1, none for counts). */
  readonly upper_confidence_boundary: number | null;
  /** value − 3·sampling_error, floored at the metric's lower limit (0). */
  readonly lower_confidence_boundary: number | null;
  /** The reference's upper threshold of the column. */
  readonly upper_threshold: number | null;
  /** The reference's lower threshold of the column. */
  readonly lower_threshold: number | null;
  /** Whether the value is outside the thresholds. */
  readonly alert: boolean;
}

/** Estimates of a window, per column of the reference's metrics. */
export type CbpeEstimate = Partial<Record<CbpeColumn, CbpeMetricResult>>;

/** A reference chunk's row of the results: the estimate and the value realized from its labels. */
export interface CbpeReferenceMetric extends CbpeMetricResult {
  /** The metric computed from the chunk's labels (see `realizedCbpe`). */
  readonly realized: number | null;
}

/** One reference chunk and its results; `start_index` and `end_index` are inclusive row numbers. */
export interface CbpeReferenceChunk {
  /** First row of the chunk. */
  readonly start_index: number;
  /** Last row of the chunk. */
  readonly end_index: number;
  /** Its results per column. */
  readonly metrics: Partial<Record<CbpeColumn, CbpeReferenceMetric>>;
}

/** Calibration of one class: the test's outcome and, when calibrated, the calibrator. */
export interface CbpeClassCalibration extends CalibrationCheck {
  /** "test" when NannyML's test decided, "option" when `calibrate` did. */
  readonly decided_by: "test" | "option";
  /** The isotonic calibrator, or null when the scores are used as they are. */
  readonly calibrator: IsotonicCalibrator | null;
}

/** A fitted CBPE reference: plain JSON, so it can be checkpointed and loaded unchanged. */
export interface CbpeReference {
  /** Binary or multiclass, from the options. */
  readonly problem: CbpeProblem;
  /** The positive label (binary), else null. */
  readonly positive: Label | null;
  /** Binary: [positive]; multiclass: the classes in scikit-learn's sorted order. */
  readonly classes: Label[];
  /** Rows per reference chunk. */
  readonly chunk_size: number;
  /** The metrics estimated. */
  readonly metrics: CbpeMetric[];
  /** The result columns of `metrics`, in order. */
  readonly columns: CbpeColumn[];
  /** Reference rows fitted on. */
  readonly count: number;
  /** Per class (binary: the positive label). */
  readonly calibration: Record<Label, CbpeClassCalibration>;
  /** Sampling-error parameters per column. */
  readonly sampling: Partial<Record<CbpeColumn, SamplingComponents>>;
  /** Alert thresholds per column, from the realized values of the reference chunks. */
  readonly thresholds: Partial<Record<CbpeColumn, CbpeThreshold>>;
  /** NannyML's results table for the reference period. */
  readonly chunks: CbpeReferenceChunk[];
}

/**
 * What a window holds: counts per distinct prediction, exact and mergeable (a merge adds counts),
 * because the ROC AUC estimate needs the window's scores in order. A prediction's key is
 * `JSON.stringify([predicted, …scores])`: binary `[1 | 0, score]` (1 when the positive label
 * was predicted), multiclass `[label, p_1, …, p_K]` in the reference's class order. Its size is
 * the number of distinct predictions, at most the window's length.
 */
export interface CbpeState {
  /** The problem of the reference the state was made for. */
  readonly problem: CbpeProblem;
  /** Predictions counted. */
  count: number;
  /** Predictions whose score or probabilities were missing or not numbers in [0, 1] (not counted). */
  invalid: number;
  /** Predictions per key. */
  counts: Record<string, number>;
}

const SAMPLING_ERROR_RANGE = 3;
const THRESHOLD_STD_MULTIPLIER = 3;
const CONFUSION_COLUMNS = ["true_positive", "true_negative", "false_positive", "false_negative"] as const;
type ConfusionColumn = (typeof CONFUSION_COLUMNS)[number];

/** Lower and upper limits of a column's values (NannyML's `*_threshold_value_limit`). */
const limits = (column: CbpeColumn): [number, number | null] =>
  (CONFUSION_COLUMNS as readonly string[]).includes(column) ? [0, null] : [0, 1];

const nan = (x: number | null | undefined): number => (x === null || x === undefined ? Number.NaN : x);
const nullable = (x: number): number | null => (Number.isNaN(x) ? null : x);
const isProbability = (p: unknown): p is number => typeof p === "number" && p >= 0 && p <= 1;

/** The record's own value under `key` (labels such as "__proto__" are ordinary keys). */
function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
}

// --- numpy's arithmetic ------------------------------------------------------------------------

/** `np.var(values)`: two passes, each sum in numpy's pairwise order; NaN when empty. */
function numpyVariance(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const mean = numpySum(values) / n;
  const squares = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = values[i] - mean;
    squares[i] = d * d;
  }
  return numpySum(squares) / n;
}

/** `ones` copies of `one` followed by `zeros` zeros: NannyML's observation-level arrays. */
function onesThenZeros(ones: number, zeros: number, one = 1): Float64Array {
  const out = new Float64Array(ones + zeros);
  out.fill(one, 0, ones);
  return out;
}

/** numpy's `rint`: round half to even. */
function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** `np.round(x, 5)`: x·10⁵ rounded half to even, divided back. */
const round5 = (x: number): number => rint(x * 1e5) / 1e5;

/**
 * NannyML's `StandardDeviationThreshold()` on reference chunk values (NaN skipped): nanmean ∓
 * 3·nanstd, each sum numpy's pairwise sum over the chunks with NaN replaced by 0 (as `np.nanmean`
 * and `np.nanstd` do), then a bound beyond the metric's limit replaced by the limit.
 */
function standardDeviationThreshold(values: readonly number[], column: CbpeColumn): CbpeThreshold {
  const kept = values.map((v) => (Number.isNaN(v) ? 0 : v));
  const count = values.filter((v) => !Number.isNaN(v)).length;
  const mean = numpySum(kept) / count;
  const squares = values.map((v) => (Number.isNaN(v) ? 0 : (v - mean) * (v - mean)));
  const std = Math.sqrt(numpySum(squares) / count);
  let lower = mean - std * THRESHOLD_STD_MULTIPLIER;
  let upper = mean + std * THRESHOLD_STD_MULTIPLIER;
  const [lowerLimit, upperLimit] = limits(column);
  if (lower <= lowerLimit) lower = lowerLimit;
  if (upperLimit !== null && upper >= upperLimit) upper = upperLimit;
  return { lower: nullable(lower), upper: nullable(upper) };
}

// --- reference rows ----------------------------------------------------------------------------

/** Reference rows as NannyML's per-class 0/1 columns (binary: one "class", the positive label). */
interface Columns {
  readonly n: number;
  readonly actual: Label[];
  readonly predicted: Label[];
  /** Per class: actual is the class. */
  readonly truth: Uint8Array[];
  /** Per class: predicted is the class. */
  readonly guess: Uint8Array[];
  /** Per class: the uncalibrated score. */
  readonly scores: Float64Array[];
}

function columnsOf(rows: readonly CbpeRow[], problem: CbpeProblem, classes: readonly Label[]): Columns {
  const n = rows.length;
  const truth = classes.map(() => new Uint8Array(n));
  const guess = classes.map(() => new Uint8Array(n));
  const scores = classes.map(() => new Float64Array(n));
  rows.forEach((row, i) => {
    classes.forEach((label, k) => {
      truth[k][i] = row.actual === label ? 1 : 0;
      guess[k][i] = row.predicted === label ? 1 : 0;
      const p =
        problem === "binary"
          ? (row as CbpeBinaryRow).score
          : own((row as CbpeMulticlassRow).probabilities ?? {}, label);
      if (!isProbability(p))
        throw new RangeError(
          `reference row ${i}: ${problem === "binary" ? "score" : `probability of "${label}"`} must be a number in [0, 1] (got ${p})`,
        );
      scores[k][i] = p;
    });
  });
  return {
    n,
    actual: rows.map((r) => r.actual),
    predicted: rows.map((r) => r.predicted),
    truth,
    guess,
    scores,
  };
}

const sum01 = (a: Uint8Array): number => a.reduce((s, v) => s + v, 0);

/** Confusion counts of one class against the rest. */
function cells(truth: Uint8Array, guess: Uint8Array) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < truth.length; i++) {
    if (guess[i] === 1) truth[i] === 1 ? tp++ : fp++;
    else truth[i] === 1 ? fn++ : tn++;
  }
  return { tp, fp, fn, tn };
}

/**
 * NannyML's ROC AUC sampling-error components of one class: sort by score (by 1 − score and
 * with labels flipped when most rows are positive); for the i-th positive at rank r > 0, the
 * share (r − i)/negatives of negatives ranked below it (NannyML drops a positive at rank 0); the
 * variance of these shares and the positives' fraction.
 *
 * The sort is stable. NannyML's `np.argsort` is not, so with tied scores its components depend
 * on how numpy orders them on the machine at hand; without ties both agree bit for bit.
 */
function aurocComponents(truth: Uint8Array, scores: Float64Array): { variance: number; fraction: number } {
  const n = truth.length;
  const flip = sum01(truth) / n > 0.5;
  const y = flip ? truth.map((v) => 1 - v) : truth;
  const s = flip ? scores.map((v) => 1 - v) : scores;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => s[i] - s[j] || i - j);
  const shares: number[] = [];
  for (let r = 1; r < n; r++) if (y[order[r]] === 1) shares.push(r - shares.length);
  const positives = sum01(y);
  const negatives = n - positives;
  return { variance: numpyVariance(shares.map((v) => v / negatives)), fraction: positives / n };
}

/** NannyML's sampling-error components of every column, fitted on the reference. */
function samplingComponents(
  problem: CbpeProblem,
  cols: Columns,
  columns: readonly CbpeColumn[],
): Partial<Record<CbpeColumn, SamplingComponents>> {
  const { n, truth, guess } = cols;
  const out: Partial<Record<CbpeColumn, SamplingComponents>> = {};
  // Row order matters here: numpy sums the squared deviations of these 0/1 rows pairwise.
  const correct = new Float64Array(n);
  if (problem === "binary") {
    const [t, g] = [truth[0], guess[0]];
    for (let i = 0; i < n; i++) correct[i] = t[i] === g[i] ? 1 : 0;
    const { tp, fp, fn, tn } = cells(t, g);
    const fraction = (std: number, f: number): SamplingComponents => ({
      type: "fraction",
      std: nullable(std),
      fraction: nullable(f),
    });
    for (const column of columns) {
      switch (column) {
        case "roc_auc": {
          const { variance, fraction: f } = aurocComponents(t, cols.scores[0]);
          out[column] = fraction(Math.sqrt(variance), f);
          break;
        }
        case "f1": {
          const relevant = tp + fn + fp;
          if (relevant === 0) out[column] = fraction(Number.NaN, 0);
          else {
            const factor = relevant / ((fn + fp) * 0.5 + tp);
            const std = Math.sqrt(numpyVariance(onesThenZeros(tp, fn + fp, factor)));
            out[column] = fraction(std, relevant / n);
          }
          break;
        }
        case "precision":
          out[column] = fraction(Math.sqrt(numpyVariance(onesThenZeros(tp, fp))), sum01(g) / n);
          break;
        case "recall":
          out[column] = fraction(Math.sqrt(numpyVariance(onesThenZeros(tp, fn))), sum01(t) / n);
          break;
        case "specificity":
          out[column] = fraction(Math.sqrt(numpyVariance(onesThenZeros(tn, fp))), (tn + fp) / n);
          break;
        case "accuracy":
          out[column] = { type: "mean", std: nullable(Math.sqrt(numpyVariance(correct))) };
          break;
        default: {
          const indicator = new Float64Array(n);
          for (let i = 0; i < n; i++) indicator[i] = confusionCell(t[i], g[i]) === column ? 1 : 0;
          out[column] = { type: "count", std: nullable(Math.sqrt(numpyVariance(indicator))) };
        }
      }
    }
    return out;
  }
  for (let i = 0; i < n; i++) correct[i] = cols.actual[i] === cols.predicted[i] ? 1 : 0;
  for (const column of columns) {
    if (column === "accuracy") {
      out[column] = { type: "mean", std: nullable(Math.sqrt(numpyVariance(correct))) };
      continue;
    }
    const variances: (number | null)[] = [];
    const fractions: (number | null)[] = [];
    truth.forEach((t, k) => {
      const g = guess[k];
      const { tp, fp, fn, tn } = cells(t, g);
      let variance: number;
      let f: number;
      switch (column) {
        case "roc_auc":
          ({ variance, fraction: f } = aurocComponents(t, cols.scores[k]));
          break;
        case "f1":
          variance = numpyVariance(onesThenZeros(tp, fn + fp));
          f = (tp + fn + fp) / n;
          break;
        case "precision":
          variance = numpyVariance(onesThenZeros(tp, fp));
          f = sum01(g) / n;
          break;
        case "recall":
          variance = numpyVariance(onesThenZeros(tp, fn));
          f = sum01(t) / n;
          break;
        default:
          variance = numpyVariance(onesThenZeros(tn, fp));
          f = (tn + fp) / n;
      }
      variances.push(nullable(variance));
      fractions.push(nullable(f));
    });
    out[column] = { type: "classes", variances, fractions, factor: column === "roc_auc" ? 1.2 : 1 };
  }
  return out;
}

function confusionCell(truth: number, guess: number): ConfusionColumn {
  if (guess === 1) return truth === 1 ? "true_positive" : "false_positive";
  return truth === 1 ? "false_negative" : "true_negative";
}

/** The sampling error of a window of n predictions (NaN for an empty window). */
function samplingError(c: SamplingComponents, n: number): number {
  if (n === 0) return Number.NaN;
  switch (c.type) {
    case "fraction":
      return nan(c.std) / Math.sqrt(n * nan(c.fraction));
    case "mean":
      return nan(c.std) / Math.sqrt(n);
    case "count":
      return (nan(c.std) / Math.sqrt(n)) * n;
    case "classes": {
      const terms = c.variances.map((v, k) => nan(v) / (n * nan(c.fractions[k])));
      return (Math.sqrt(numpySum(terms)) / terms.length) * c.factor;
    }
  }
}

// --- realized performance ----------------------------------------------------------------------

/** Distinct values of a list. */
const distinct = (values: readonly Label[]): number => new Set(values).size;

/** Binary ROC AUC of one class against the rest (exact Mann–Whitney, see `rocAucFromCounts`). */
function rocAucOf(truth: Uint8Array, scores: Float64Array): number {
  const counts = emptyScoreCounts();
  for (let i = 0; i < truth.length; i++) addScore(counts, scores[i], truth[i] === 1);
  return nan(rocAucFromCounts(counts).value);
}

function realizedOf(
  problem: CbpeProblem,
  cols: Columns,
  classes: readonly Label[],
  columns: readonly CbpeColumn[],
) {
  const out: Partial<Record<CbpeColumn, number>> = {};
  const { n } = cols;
  if (n === 0) {
    for (const c of columns) out[c] = Number.NaN;
    return out;
  }
  if (problem === "binary") {
    const [t, g] = [cols.truth[0], cols.guess[0]];
    const { tp, fp, fn, tn } = cells(t, g);
    const oneClass = tp + fn === 0 || tn + fp === 0;
    const onePrediction = oneClass || tp + fp === 0 || tn + fn === 0;
    const ratio = (num: number, den: number) => (onePrediction ? Number.NaN : den > 0 ? num / den : 0);
    const values: Record<CbpeColumn, number> = {
      roc_auc: oneClass ? Number.NaN : rocAucOf(t, cols.scores[0]),
      f1: ratio(2 * tp, 2 * tp + fp + fn),
      precision: ratio(tp, tp + fp),
      recall: ratio(tp, tp + fn),
      specificity: tn + fp === 0 ? Number.NaN : tn / (tn + fp),
      accuracy: (tp + tn) / n,
      true_positive: tp,
      true_negative: tn,
      false_positive: fp,
      false_negative: fn,
    };
    for (const c of columns) out[c] = values[c];
    return out;
  }
  const K = classes.length;
  const undefinedMacro = distinct(cols.actual) <= 1 || distinct(cols.predicted) <= 1;
  const macro = (perClass: (k: number) => number) =>
    undefinedMacro ? Number.NaN : numpySum(classes.map((_, k) => perClass(k))) / K;
  const counts = cols.truth.map((t, k) => cells(t, cols.guess[k]));
  let correct = 0;
  for (let i = 0; i < n; i++) if (cols.actual[i] === cols.predicted[i]) correct++;
  for (const c of columns) {
    switch (c) {
      case "roc_auc": {
        // scikit-learn's one-vs-rest AUC needs every class and rows of probabilities summing to 1.
        const seen = new Set(cols.actual);
        const allClasses = seen.size === K && classes.every((l) => seen.has(l));
        let sumsToOne = true;
        for (let i = 0; i < n && sumsToOne; i++) {
          const s = numpySum(cols.scores.map((p) => p[i]));
          sumsToOne = Math.abs(1 - s) <= 1e-8 + 1e-5 * Math.abs(s);
        }
        out[c] =
          allClasses && sumsToOne
            ? numpySum(classes.map((_, k) => rocAucOf(cols.truth[k], cols.scores[k]))) / K
            : Number.NaN;
        break;
      }
      case "f1":
        out[c] = macro((k) => {
          const { tp, fp, fn } = counts[k];
          return 2 * tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : 0;
        });
        break;
      case "precision":
        out[c] = macro((k) =>
          counts[k].tp + counts[k].fp > 0 ? counts[k].tp / (counts[k].tp + counts[k].fp) : 0,
        );
        break;
      case "recall":
        out[c] = macro((k) =>
          counts[k].tp + counts[k].fn > 0 ? counts[k].tp / (counts[k].tp + counts[k].fn) : 0,
        );
        break;
      case "specificity":
        out[c] = macro((k) => counts[k].tn / (counts[k].tn + counts[k].fp));
        break;
      default:
        out[c] = undefinedMacro ? Number.NaN : correct / n;
    }
  }
  return out;
}

/**
 * The realized performance of labelled rows, as NannyML's results table gives it (the
 * `realized` column): scikit-learn's metrics on the labels and the uncalibrated scores. ROC AUC
 * is the exact Mann–Whitney ratio, which differs from scikit-learn's trapezoids only by rounding
 * (≤ 1e-15); the other values are exact ratios of counts, as scikit-learn's.
 *
 * Edge cases, as NannyML: no rows gives null everywhere; ROC AUC is null with one actual class
 * (binary) or unless every class occurs and every row's probabilities sum to 1 within
 * `np.allclose` (multiclass); F1, precision and recall (and, multiclass, specificity and
 * accuracy) are null when actual or predicted labels take a single value; specificity is null
 * without negatives. Rows with scores outside [0, 1] throw a RangeError.
 */
export function realizedCbpe(
  rows: readonly CbpeRow[],
  ref: CbpeReference,
): Partial<Record<CbpeColumn, number | null>> {
  const raw = realizedOf(ref.problem, columnsOf(rows, ref.problem, ref.classes), ref.classes, ref.columns);
  const out: Partial<Record<CbpeColumn, number | null>> = {};
  for (const c of ref.columns) out[c] = nullable(nan(raw[c]));
  return out;
}

// --- the window state --------------------------------------------------------------------------

/** An empty window state for predictions of the reference's model. */
export function emptyCbpeState(ref: CbpeReference): CbpeState {
  return {
    problem: ref.problem,
    count: 0,
    invalid: 0,
    counts: Object.create(null) as Record<string, number>,
  };
}

/**
 * Adds one prediction (no label). Binary: `score`, the positive label's probability; multiclass:
 * `probabilities` with a number for every class of the reference. A missing score, or one that
 * is NaN or outside [0, 1], counts in `invalid` and is not used (NannyML drops rows with NaN and
 * would use the others as they are). A predicted label outside the classes is kept: it predicts
 * none of them, as NannyML's label binarizer has it.
 *
 * Throws a TypeError for a state of another problem than the reference: a wiring bug.
 */
export function updateCbpe(state: CbpeState, ref: CbpeReference, prediction: CbpePrediction): void {
  if (state.problem !== ref.problem)
    throw new TypeError(`a ${state.problem} CBPE state cannot take ${ref.problem} predictions`);
  let key: string;
  if (ref.problem === "binary") {
    const s = prediction.score;
    if (!isProbability(s)) {
      state.invalid++;
      return;
    }
    key = JSON.stringify([prediction.predicted === ref.positive ? 1 : 0, s]);
  } else {
    const probabilities = prediction.probabilities;
    const p = ref.classes.map((label) =>
      probabilities === undefined ? undefined : own(probabilities, label),
    );
    if (!p.every(isProbability)) {
      state.invalid++;
      return;
    }
    key = JSON.stringify([prediction.predicted, ...p]);
  }
  state.count++;
  state.counts[key] = (own(state.counts, key) ?? 0) + 1;
}

/** The state of both windows in one, exactly one pass over both (counts add). */
export function mergeCbpe(a: CbpeState, b: CbpeState): CbpeState {
  if (a.problem !== b.problem)
    throw new RangeError(`cannot merge a ${a.problem} CBPE state with a ${b.problem} one`);
  const counts = Object.create(null) as Record<string, number>;
  for (const side of [a.counts, b.counts])
    for (const [key, c] of Object.entries(side)) counts[key] = (own(counts, key) ?? 0) + c;
  return { problem: a.problem, count: a.count + b.count, invalid: a.invalid + b.invalid, counts };
}

// --- estimation --------------------------------------------------------------------------------

/** A distinct prediction of a window with its calibrated probabilities. */
interface Entry {
  readonly key: string;
  readonly count: number;
  /** Index of the predicted class in `ref.classes`; binary: 0 for the positive label, else −1. */
  readonly predicted: number;
  readonly scores: number[];
  readonly calibrated: number[];
}

function entriesOf(state: CbpeState, ref: CbpeReference): Entry[] {
  const calibrators = ref.classes.map((label) => own(ref.calibration, label)?.calibrator ?? null);
  const K = ref.classes.length;
  // Sorted by key, so that the estimate is a function of the counts alone, whatever order the
  // predictions (or merged states) arrived in.
  const keys = Object.keys(state.counts).sort();
  return keys.map((key) => {
    const count = state.counts[key];
    const [predicted, ...scores] = JSON.parse(key) as [string | number, ...number[]];
    const raw = scores.map((p, k) => {
      const cal = calibrators[k];
      return cal === null ? p : calibrateIsotonic(cal, p);
    });
    if (ref.problem === "binary")
      return { key, count, predicted: predicted === 1 ? 0 : -1, scores, calibrated: raw };
    // NannyML divides each row by its sum (numpy's row sum), or gives 1/K to each class if 0.
    const total = numpySum(raw);
    const calibrated = raw.map((c) => (total !== 0 ? c / total : 1 / K));
    return { key, count, predicted: ref.classes.indexOf(predicted as Label), scores, calibrated };
  });
}

/**
 * NannyML's `estimate_roc_auc` for class k: rows sorted by uncalibrated score, highest first;
 * expected true positives tps_i the running sum of calibrated probabilities, expected false
 * positives i − tps_i; both rounded to 5 decimals (half to even, as `np.round`), divided by
 * their totals, and the curve integrated by trapezoids (`sklearn.metrics.auc`), the n terms
 * summed in numpy's pairwise order, so the value is NannyML's bit for bit. With probabilities in
 * [0, 1] the rounded false positives never decrease (fl(t + c) ≤ t + 1 for c ≤ 1), so the
 * monotonicity check of `auc`, which would raise or integrate backwards, never fires.
 *
 * Rows with the same uncalibrated score but different calibrated ones (multiclass only, where a
 * row's calibrated probability depends on its other classes) follow in decreasing calibrated
 * probability; NannyML leaves their order to numpy's unstable sort.
 */
function estimatedRocAuc(entries: readonly Entry[], k: number, n: number): number {
  const sorted = entries
    .slice()
    .sort(
      (a, b) =>
        b.scores[k] - a.scores[k] ||
        b.calibrated[k] - a.calibrated[k] ||
        (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    );
  const tps = new Float64Array(n + 1);
  const fps = new Float64Array(n + 1);
  let running = 0;
  let i = 0;
  for (const e of sorted) {
    const c = e.calibrated[k];
    for (let r = 0; r < e.count; r++) {
      running += c;
      i++;
      tps[i] = round5(running);
      fps[i] = round5(i - running);
    }
  }
  const terms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const dx = fps[j + 1] / fps[n] - fps[j] / fps[n];
    terms[j] = (dx * (tps[j + 1] / tps[n] + tps[j] / tps[n])) / 2.0;
  }
  return numpySum(terms);
}

/** Expected confusion sums of class k: Σ p over rows predicted k, Σ (1 − p), and over the rest. */
function expectedCells(entries: readonly Entry[], k: number) {
  const tp = emptySum();
  const fp = emptySum();
  const fn = emptySum();
  const tn = emptySum();
  for (const e of entries) {
    const p = e.calibrated[k];
    if (e.predicted === k) {
      addToSum(tp, e.count * p);
      addToSum(fp, e.count * (1 - p));
    } else {
      addToSum(fn, e.count * p);
      addToSum(tn, e.count * (1 - p));
    }
  }
  return { tp: sumValue(tp), fp: sumValue(fp), fn: sumValue(fn), tn: sumValue(tn) };
}

const divideOrZero = (num: number, den: number): number => (den !== 0 ? num / den : 0);

/**
 * NannyML's estimates from calibrated probabilities (its `estimate_*` functions): per class,
 * precision TP/(TP + FP), recall TP/(TP + FN), F1 TP/(TP + (FP + FN)/2), specificity
 * TN/(TN + FP), each 0 when its denominator is; binary accuracy (TP + TN)/n, multiclass the mean
 * probability of the predicted class; multiclass values are means over the classes. Confusion
 * cells are (Σ/n)·n as NannyML computes them.
 */
function estimatedValues(state: CbpeState, ref: CbpeReference): Partial<Record<CbpeColumn, number>> {
  const out: Partial<Record<CbpeColumn, number>> = {};
  const n = state.count;
  if (n === 0) {
    for (const c of ref.columns) out[c] = Number.NaN;
    return out;
  }
  const entries = entriesOf(state, ref);
  const K = ref.classes.length;
  const perClass = ref.classes.map((_, k) => expectedCells(entries, k));
  const mean = (f: (k: number) => number) => numpySum(ref.classes.map((_, k) => f(k))) / K;
  for (const column of ref.columns) {
    switch (column) {
      case "roc_auc":
        out[column] = mean((k) => estimatedRocAuc(entries, k, n));
        break;
      case "f1":
        out[column] = mean((k) => {
          const { tp, fp, fn } = perClass[k];
          return divideOrZero(tp, tp + 0.5 * (fp + fn));
        });
        break;
      case "precision":
        out[column] = mean((k) => divideOrZero(perClass[k].tp, perClass[k].tp + perClass[k].fp));
        break;
      case "recall":
        out[column] = mean((k) => divideOrZero(perClass[k].tp, perClass[k].tp + perClass[k].fn));
        break;
      case "specificity":
        out[column] = mean((k) => divideOrZero(perClass[k].tn, perClass[k].tn + perClass[k].fp));
        break;
      case "accuracy":
        if (ref.problem === "binary") out[column] = (perClass[0].tp + perClass[0].tn) / n;
        else {
          const sum = emptySum();
          for (const e of entries) if (e.predicted >= 0) addToSum(sum, e.count * e.calibrated[e.predicted]);
          out[column] = sumValue(sum) / n;
        }
        break;
      default: {
        const cell = {
          true_positive: "tp",
          true_negative: "tn",
          false_positive: "fp",
          false_negative: "fn",
        } as const;
        out[column] = (perClass[0][cell[column]] / n) * n;
      }
    }
  }
  return out;
}

/**
 * Estimates a window: per column of the reference, NannyML's row of the results table (value,
 * sampling error, confidence bounds value ± 3·error within the metric's limits, the reference
 * thresholds and whether the value breaches them).
 *
 * Agreement with NannyML: ROC AUC is computed exactly as NannyML computes it (same running
 * sums, same rounding, same pairwise sum), so it agrees bit for bit when no two rows of a class
 * share an uncalibrated score with different calibrated ones; the other estimates are ratios of
 * sums that NannyML takes in row order with numpy's pairwise summation and this takes over the
 * distinct predictions with Neumaier-compensated sums, so they differ by a few ulp (relative
 * error below 1e-14 in the fixtures). Sampling errors, bounds and thresholds use NannyML's
 * arithmetic.
 *
 * Edge cases: an empty window gives null values, errors and bounds, the thresholds, and no
 * alert, as NannyML's "not enough data" chunks; a metric undefined on the window (a ROC AUC
 * whose expected positives or negatives are all 0) has a null value and bounds.
 */
export function estimateCbpe(state: CbpeState, ref: CbpeReference): CbpeEstimate {
  const values = estimatedValues(state, ref);
  const out: CbpeEstimate = {};
  for (const column of ref.columns) {
    const value = nan(values[column]);
    const threshold = ref.thresholds[column] ?? { lower: null, upper: null };
    const components = ref.sampling[column];
    const se = components === undefined ? Number.NaN : samplingError(components, state.count);
    const [lowerLimit, upperLimit] = limits(column);
    const upper = Math.min(upperLimit ?? Number.POSITIVE_INFINITY, value + SAMPLING_ERROR_RANGE * se);
    const lower = Math.max(lowerLimit, value - SAMPLING_ERROR_RANGE * se);
    out[column] = {
      value: nullable(value),
      sampling_error: nullable(se),
      upper_confidence_boundary: nullable(upper),
      lower_confidence_boundary: nullable(lower),
      upper_threshold: threshold.upper,
      lower_threshold: threshold.lower,
      alert:
        (threshold.lower !== null && value < threshold.lower) ||
        (threshold.upper !== null && value > threshold.upper),
    };
  }
  return out;
}

// --- fitting -----------------------------------------------------------------------------------

function columnsFor(metrics: readonly CbpeMetric[]): CbpeColumn[] {
  return metrics.flatMap((m): CbpeColumn[] => (m === "confusion_matrix" ? [...CONFUSION_COLUMNS] : [m]));
}

const predictionOf = (row: CbpeRow): CbpePrediction =>
  "score" in row
    ? { predicted: row.predicted, score: row.score }
    : { predicted: row.predicted, probabilities: row.probabilities };

/**
 * Fits CBPE on labelled reference rows, as NannyML's `CBPE(…, chunk_size=…).fit(reference)`:
 *
 * - calibration, per class (binary: the positive label): NannyML's test (`needsCalibration`)
 *   decides, unless `options.calibrate` does; an isotonic calibrator is fitted on all reference
 *   rows where calibration is needed;
 * - sampling-error components per metric (NannyML's `sampling_error` modules, in its arithmetic:
 *   the numpy standard deviations of its observation-level arrays, row order kept);
 * - thresholds per column: `StandardDeviationThreshold()` (mean ± 3 standard deviations, within
 *   the metric's limits) of the realized values of the reference chunks (`chunk_size` rows each,
 *   the last possibly shorter);
 * - the reference chunks' results (estimated and realized), NannyML's reference period.
 *
 * Multiclass probabilities are normalised after calibration (each row divided by its sum), as
 * NannyML does, even when no class is calibrated.
 *
 * Throws a RangeError for: both or neither of `positive` and `classes`; fewer than three classes;
 * a declared class absent from the actual labels or an actual label not declared (multiclass,
 * where NannyML raises); an unknown metric, or `confusion_matrix` for multiclass; a chunk size
 * that is not a positive integer; no rows; a score that is not a number in [0, 1]; and where
 * NannyML's calibration test cannot split the rows (a class with one row, fewer than 11 rows).
 */
export function fitCbpe(rows: readonly CbpeRow[], options: CbpeOptions): CbpeReference {
  const size = options.chunk_size;
  if (!(Number.isInteger(size) && size > 0))
    throw new RangeError(`chunk_size must be a positive integer (got ${size})`);
  if ((options.positive === undefined) === (options.classes === undefined))
    throw new RangeError("give either positive (binary) or classes (multiclass)");
  if (rows.length === 0) throw new RangeError("CBPE needs reference rows");
  const problem: CbpeProblem = options.positive !== undefined ? "binary" : "multiclass";
  const classes = problem === "binary" ? [options.positive as Label] : sortLabels(options.classes ?? []);
  if (problem === "multiclass") {
    if (classes.length < 3)
      throw new RangeError(
        `multiclass CBPE needs at least 3 classes (got ${classes.length}); use positive for 2`,
      );
    const seen = new Set(rows.map((r) => r.actual));
    const unknown = [...seen].filter((l) => !classes.includes(l));
    const missing = classes.filter((l) => !seen.has(l));
    if (unknown.length > 0 || missing.length > 0)
      throw new RangeError(
        `reference actual labels must be the classes: ${[
          ...missing.map((l) => `"${l}" never occurs`),
          ...unknown.map((l) => `"${l}" is not a class`),
        ].join(", ")}`,
      );
  }
  const metrics = [...(options.metrics ?? DEFAULT_CBPE_METRICS[problem])];
  for (const m of metrics)
    if (!DEFAULT_CBPE_METRICS[problem].includes(m))
      throw new RangeError(
        `unknown ${problem} CBPE metric "${m}"; known: ${DEFAULT_CBPE_METRICS[problem].join(", ")}`,
      );
  const columns = columnsFor(metrics);
  const cols = columnsOf(rows, problem, classes);

  const calibration = Object.create(null) as Record<Label, CbpeClassCalibration>;
  classes.forEach((label, k) => {
    const forced = options.calibrate === undefined ? undefined : own(options.calibrate, label);
    const check: CalibrationCheck =
      forced === undefined
        ? needsCalibration(cols.truth[k], cols.scores[k])
        : { needed: forced, ece_before: null, ece_after: null };
    setOwn(calibration, label, {
      ...check,
      decided_by: forced === undefined ? "test" : "option",
      calibrator: check.needed ? fitIsotonic(cols.scores[k], cols.truth[k]) : null,
    });
  });

  const bounds: [number, number][] = [];
  for (let start = 0; start < rows.length; start += size)
    bounds.push([start, Math.min(start + size, rows.length)]);
  const chunkColumns = bounds.map(([a, b]) => columnsOf(rows.slice(a, b) as CbpeRow[], problem, classes));
  const realized = chunkColumns.map((c) => realizedOf(problem, c, classes, columns));
  const thresholds: Partial<Record<CbpeColumn, CbpeThreshold>> = {};
  for (const column of columns)
    thresholds[column] = standardDeviationThreshold(
      realized.map((r) => nan(r[column])),
      column,
    );

  const ref: CbpeReference = {
    problem,
    positive: problem === "binary" ? classes[0] : null,
    classes,
    chunk_size: size,
    metrics,
    columns,
    count: rows.length,
    calibration,
    sampling: samplingComponents(problem, cols, columns),
    thresholds,
    chunks: [],
  };
  bounds.forEach(([a, b], i) => {
    const state = emptyCbpeState(ref);
    for (let r = a; r < b; r++) updateCbpe(state, ref, predictionOf(rows[r]));
    const estimate = estimateCbpe(state, ref);
    const metricsOut: Partial<Record<CbpeColumn, CbpeReferenceMetric>> = {};
    for (const column of columns)
      metricsOut[column] = {
        ...(estimate[column] as CbpeMetricResult),
        realized: nullable(nan(realized[i][column])),
      };
    ref.chunks.push({ start_index: a, end_index: b - 1, metrics: metricsOut });
  });
  return ref;
}
