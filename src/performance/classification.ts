/**
 * Classification quality of a window: a mergeable state (confusion matrix, per-observation log
 * loss moments, score counts for ROC AUC, calibration bins) and the metrics read from it, matched
 * to scikit-learn (`accuracy_score`, `precision_recall_fscore_support`, `f1_score`,
 * `roc_auc_score`, `log_loss`). Every metric comes with a confidence interval whose method is named
 * on the interval.
 *
 * @example
 * const state = emptyClassificationState({ positive: "1" });
 * updateClassification(state, { actual: "1", predicted: "1", score: 0.9 });
 * updateClassification(state, { actual: "0", predicted: "1", score: 0.6 });
 * updateClassification(state, { actual: "0", predicted: "0", score: 0.2 });
 * classificationMetrics(state).accuracy.value // 0.6666666666666666
 */

import { numpySum } from "../stats/bins.js";
import { DEFAULT_REPLICATES } from "./bootstrap.js";
import {
  addCalibration,
  calibrationErrorInterval,
  DEFAULT_CALIBRATION_BINS,
  emptyCalibrationBins,
  expectedCalibrationError,
  mergeCalibration,
} from "./calibration.js";
import { DEFAULT_LEVEL, normalInterval, wilsonInterval } from "./intervals.js";
import { emptyMoments, mergeMoments, momentsMean, momentsVariance, updateMoments } from "./moments.js";
import {
  addScore,
  addScoreCounts,
  emptyScoreCounts,
  rocAucDeLong,
  rocAucFromCounts,
  scoreCountsFromRecord,
  scoreCountsRecord,
} from "./roc-auc.js";
import type {
  ClassificationMetrics,
  ClassificationObservation,
  ClassificationParams,
  ClassificationState,
  ClassificationStateJson,
  ClassMetrics,
  Estimate,
  Label,
  MetricOptions,
} from "./types.js";

/** float64 machine epsilon: scikit-learn's `log_loss` clips probabilities to [ε, 1 − ε]. */
const EPS = 2 ** -52;

/** An empty classification state. */
export function emptyClassificationState(params: ClassificationParams = {}): ClassificationState {
  return {
    positive: params.positive ?? null,
    confusion: emptyRecord(),
    scored: 0,
    invalid_scores: 0,
    log_loss: emptyMoments(),
    roc: emptyRecord(),
    calibration: emptyCalibrationBins(params.calibration_bins ?? DEFAULT_CALIBRATION_BINS),
  };
}

// The state's records keyed by label have no prototype (every function here that makes a state
// makes them so, and `reviveClassificationState` turns a checkpoint's into such), so plain reads
// and assignments treat a label such as "constructor" or "__proto__" as an ordinary key, at the
// price of a property access: they run for every pair.

/** An empty record keyed by label, without a prototype. */
const emptyRecord = <T>(): Record<Label, T> => Object.create(null) as Record<Label, T>;

/** The record's value under `key`, created first when absent. */
function entry<T>(record: Record<Label, T>, key: Label, create: () => T): T {
  let value = record[key];
  if (value === undefined) {
    value = create();
    record[key] = value;
  }
  return value;
}

/** The object's own value under `key`, or undefined: for records that do have a prototype. */
function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * The state in plain JSON, for checkpoints; it shares the confusion rows and moments with the
 * state (read it before the next update), the score counts are copied into records.
 */
export function classificationStateJson(state: ClassificationState): ClassificationStateJson {
  const roc: ClassificationStateJson["roc"] = emptyRecord();
  for (const [label, counts] of Object.entries(state.roc)) roc[label] = scoreCountsRecord(counts);
  return { ...state, roc };
}

/**
 * A state back from its plain-JSON form (`classificationStateJson`, read by JSON.parse): its
 * records keyed by label made prototype-free, so that updates may assign to them, and its score
 * counts made Maps. JSON.parse defines "__proto__" as an ordinary own key, which the copies keep.
 */
export function reviveClassificationState(json: ClassificationStateJson): ClassificationState {
  const confusion: ClassificationState["confusion"] = emptyRecord();
  for (const [actual, row] of Object.entries(json.confusion))
    confusion[actual] = Object.assign(emptyRecord<number>(), row);
  const roc: ClassificationState["roc"] = emptyRecord();
  for (const [label, record] of Object.entries(json.roc)) roc[label] = scoreCountsFromRecord(record);
  return { ...json, confusion, roc };
}

const isProbability = (p: unknown): p is number => typeof p === "number" && p >= 0 && p <= 1;

/**
 * Adds one labelled prediction. Its (actual, predicted) pair is always counted; its probability,
 * when valid, also feeds log loss (p of the actual label), calibration (p of the predicted label,
 * correct when predicted = actual) and the ROC score counts. A probability outside [0, 1] or NaN
 * is counted in `invalid_scores` and not used, as scikit-learn would reject the whole input.
 *
 * The state must come from `emptyClassificationState`, `mergeClassification` or
 * `reviveClassificationState`, never straight from JSON.parse (see the records' note above).
 *
 * Throws a TypeError for a `score` on a state without a positive label: a configuration bug.
 */
export function updateClassification(state: ClassificationState, obs: ClassificationObservation): void {
  const { actual, predicted } = obs;
  const row = entry(state.confusion, actual, emptyRecord<number>);
  row[predicted] = (row[predicted] ?? 0) + 1;

  let pActual: number;
  let pPredicted: number;
  if (obs.unusable_score) {
    state.invalid_scores++;
    return;
  }
  if (obs.probabilities !== undefined) {
    const entries = Object.entries(obs.probabilities);
    if (!entries.every(([, p]) => isProbability(p))) {
      state.invalid_scores++;
      return;
    }
    pActual = own(obs.probabilities, actual) ?? 0;
    pPredicted = own(obs.probabilities, predicted) ?? 0;
    for (const [label, p] of entries)
      addScore(entry(state.roc, label, emptyScoreCounts), p, label === actual);
  } else if (obs.score !== undefined) {
    const positive = state.positive;
    if (positive === null) throw new TypeError("a score needs a positive label on the classification state");
    const s = obs.score;
    if (!isProbability(s)) {
      state.invalid_scores++;
      return;
    }
    // As sklearn's log_loss turns a 1-d y_proba into the columns [1 − p, p].
    pActual = actual === positive ? s : 1 - s;
    pPredicted = predicted === positive ? s : 1 - s;
    addScore(entry(state.roc, positive, emptyScoreCounts), s, actual === positive);
  } else {
    return;
  }
  state.scored++;
  const clipped = Math.min(Math.max(pActual, EPS), 1 - EPS);
  updateMoments(state.log_loss, -Math.log(clipped));
  addCalibration(state.calibration, pPredicted, actual === predicted);
}

/**
 * The state of both inputs in one: equal to one pass over a's observations then b's (counts
 * exactly; the log-loss moments and calibration sums up to rounding). Both must have the same
 * positive label and number of calibration bins.
 */
export function mergeClassification(a: ClassificationState, b: ClassificationState): ClassificationState {
  checkMergeable(a, b);
  const confusion: ClassificationState["confusion"] = emptyRecord();
  addConfusion(confusion, a.confusion);
  addConfusion(confusion, b.confusion);
  const roc: ClassificationState["roc"] = emptyRecord();
  addRoc(roc, a.roc);
  addRoc(roc, b.roc);
  return {
    positive: a.positive,
    confusion,
    scored: a.scored + b.scored,
    invalid_scores: a.invalid_scores + b.invalid_scores,
    log_loss: mergeMoments(a.log_loss, b.log_loss),
    roc,
    calibration: mergeCalibration(a.calibration, b.calibration),
  };
}

/**
 * Merges `source` into `target` in place: `target` becomes what `mergeClassification(target,
 * source)` returns, bit for bit, without the copy of `target`'s counts, which a cumulative state
 * merged with every closed window would otherwise pay at each close.
 */
export function mergeClassificationInto(target: ClassificationState, source: ClassificationState): void {
  checkMergeable(target, source);
  addConfusion(target.confusion, source.confusion);
  addRoc(target.roc, source.roc);
  target.scored += source.scored;
  target.invalid_scores += source.invalid_scores;
  target.log_loss = mergeMoments(target.log_loss, source.log_loss);
  target.calibration = mergeCalibration(target.calibration, source.calibration);
}

/** Throws a RangeError for states of different positive labels (bins are checked by their merge). */
function checkMergeable(a: ClassificationState, b: ClassificationState): void {
  if (a.positive !== b.positive)
    throw new RangeError(`cannot merge states with positive labels ${a.positive} and ${b.positive}`);
}

/** Adds the confusion counts of `from` to `into`. */
function addConfusion(into: ClassificationState["confusion"], from: ClassificationState["confusion"]): void {
  for (const [actual, row] of Object.entries(from)) {
    const out = entry(into, actual, emptyRecord<number>);
    for (const [predicted, n] of Object.entries(row)) out[predicted] = (out[predicted] ?? 0) + n;
  }
}

/** Adds the score counts of `from` to `into`, class by class. */
function addRoc(into: ClassificationState["roc"], from: ClassificationState["roc"]): void {
  for (const [label, counts] of Object.entries(from))
    addScoreCounts(entry(into, label, emptyScoreCounts), counts);
}

/**
 * Labels in scikit-learn's order (`unique_labels`, which sorts): numerically when every label is
 * the text of a finite number (labels that were integers in the events), otherwise by code unit,
 * which is numpy's string order for text without characters beyond the Basic Multilingual Plane.
 */
export function sortLabels(labels: Iterable<Label>): Label[] {
  const list = [...new Set(labels)];
  const numeric = list.every((l) => l.trim() !== "" && Number.isFinite(Number(l)));
  return numeric
    ? list.sort((x, y) => Number(x) - Number(y))
    : list.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}

/** The labels seen as actual or predicted, sorted as scikit-learn sorts them. */
export function classLabels(state: ClassificationState): Label[] {
  const seen: Label[] = [];
  for (const [actual, row] of Object.entries(state.confusion)) {
    seen.push(actual);
    for (const predicted of Object.keys(row)) seen.push(predicted);
  }
  return sortLabels(seen);
}

/** Number of observations in the state. */
export function classificationCount(state: ClassificationState): number {
  let n = 0;
  for (const row of Object.values(state.confusion)) for (const c of Object.values(row)) n += c;
  return n;
}

/**
 * Accuracy, the share of observations whose predicted label is the actual one, as
 * `sklearn.metrics.accuracy_score` (bit for bit: an integer count over n). Interval: Wilson.
 *
 * Edge cases: an empty state gives value null (sklearn would return NaN with a warning).
 */
export function accuracy(state: ClassificationState, options: MetricOptions = {}): Estimate {
  const level = options.level ?? DEFAULT_LEVEL;
  let n = 0;
  let correct = 0;
  for (const [actual, row] of Object.entries(state.confusion)) {
    for (const [predicted, c] of Object.entries(row)) {
      n += c;
      if (predicted === actual) correct += c;
    }
  }
  return n === 0
    ? { value: null, interval: null }
    : { value: correct / n, interval: wilsonInterval(correct, n, level) };
}

/** Per-class counts: true positives, actual (support) and predicted totals, in `labels` order. */
function classCounts(state: ClassificationState, labels: readonly Label[]) {
  return labels.map((label) => {
    const row = state.confusion[label] ?? emptyRecord<number>();
    let actual = 0;
    for (const c of Object.values(row)) actual += c;
    let predicted = 0;
    for (const r of Object.values(state.confusion)) predicted += r[label] ?? 0;
    return { label, tp: row[label] ?? 0, actual, predicted };
  });
}

/** Precision, recall and F1 per class and their macro averages. */
export interface PrecisionRecallF1 {
  readonly classes: readonly ClassMetrics[];
  readonly macro_precision: Estimate;
  readonly macro_recall: Estimate;
  readonly macro_f1: Estimate;
}

/**
 * Precision tp/(tp + fp), recall tp/(tp + fn) and F1 2tp/(2tp + fp + fn) per class, over the
 * labels seen as actual or predicted, and their unweighted means (macro), as
 * `sklearn.metrics.precision_recall_fscore_support(y_true, y_pred, average=None | "macro",
 * zero_division=…)` and `f1_score(…, average="macro")`, with the same arithmetic (F1 from the
 * counts, 2·tp/(support + predicted); macro by numpy's pairwise sum), so values agree bit for bit.
 *
 * Zero division: a class never predicted has precision 0/0, set to `zero_division` (default 0,
 * what sklearn's default "warn" returns); with "nan" the value is null and the class is left out
 * of the macro average, as sklearn's `_nanaverage`. Recall and F1 cannot be 0/0 for a label
 * that was seen.
 *
 * Intervals: Wilson for per-class precision (tp of the predicted total) and recall (tp of the
 * support); the delta method under multinomial sampling of the confusion matrix for F1 and the
 * macro averages (Takahashi et al. 2022, "Confidence interval for micro-averaged F1 and
 * macro-averaged F1 scores", Applied Intelligence 52): any of these metrics M is a ratio of cell
 * counts homogeneous of degree 0, so Var(M) = Σ_cells c·(∂M/∂c)²; for one class's F1 this is
 * 4·tp·(fp + fn)·(tp + fp + fn)/(2tp + fp + fn)⁴. A class at its zero-division value counts as a
 * constant. Bounds are clipped to [0, 1].
 */
export function precisionRecallF1(
  state: ClassificationState,
  options: MetricOptions = {},
): PrecisionRecallF1 {
  const level = options.level ?? DEFAULT_LEVEL;
  const zd = options.zero_division ?? 0;
  const labels = classLabels(state);
  const counts = classCounts(state, labels);
  const index = new Map(labels.map((l, i) => [l, i]));
  const divide = (num: number, den: number): number | null =>
    den > 0 ? num / den : zd === "nan" ? null : zd;

  const classes: ClassMetrics[] = [];
  // Derivatives of each class's metric with respect to its diagonal cell, the other cells of its
  // column (predicted as this class) and of its row (actually this class); zero where the metric
  // is a zero-division constant.
  type Grad = { diag: number; col: number; row: number; included: boolean };
  const grads: { precision: Grad[]; recall: Grad[]; f1: Grad[] } = { precision: [], recall: [], f1: [] };
  for (const { label, tp, actual, predicted } of counts) {
    const precision = divide(tp, predicted);
    const recall = divide(tp, actual);
    const f1 = divide(2 * tp, actual + predicted);
    const fp = predicted - tp;
    const fn = actual - tp;
    const d = actual + predicted;
    grads.precision.push(
      predicted > 0
        ? { diag: fp / predicted ** 2, col: -tp / predicted ** 2, row: 0, included: true }
        : { diag: 0, col: 0, row: 0, included: precision !== null },
    );
    grads.recall.push(
      actual > 0
        ? { diag: fn / actual ** 2, col: 0, row: -tp / actual ** 2, included: true }
        : { diag: 0, col: 0, row: 0, included: recall !== null },
    );
    grads.f1.push(
      d > 0
        ? {
            diag: (2 * (d - 2 * tp)) / d ** 2,
            col: (-2 * tp) / d ** 2,
            row: (-2 * tp) / d ** 2,
            included: true,
          }
        : { diag: 0, col: 0, row: 0, included: f1 !== null },
    );
    const f1Variance = d > 0 ? (4 * tp * (fp + fn) * (tp + fp + fn)) / d ** 4 : Number.NaN;
    classes.push({
      label,
      support: actual,
      precision: { value: precision, interval: wilsonInterval(tp, predicted, level) },
      recall: { value: recall, interval: wilsonInterval(tp, actual, level) },
      f1: {
        value: f1,
        interval: f1 === null ? null : normalInterval(f1, Math.sqrt(f1Variance), "delta", level, 0, 1),
      },
    });
  }

  const macro = (values: (number | null)[], grad: Grad[]): Estimate => {
    const kept = values.filter((v): v is number => v !== null);
    if (kept.length === 0) return { value: null, interval: null };
    const value = numpySum(kept) / kept.length;
    let variance = 0;
    for (const [actual, row] of Object.entries(state.confusion)) {
      const i = index.get(actual) as number;
      for (const [predicted, c] of Object.entries(row)) {
        const j = index.get(predicted) as number;
        const g =
          i === j
            ? grad[i].included
              ? grad[i].diag
              : 0
            : (grad[j].included ? grad[j].col : 0) + (grad[i].included ? grad[i].row : 0);
        variance += c * g * g;
      }
    }
    variance /= kept.length ** 2;
    return { value, interval: normalInterval(value, Math.sqrt(variance), "delta", level, 0, 1) };
  };
  return {
    classes,
    macro_precision: macro(
      classes.map((c) => c.precision.value),
      grads.precision,
    ),
    macro_recall: macro(
      classes.map((c) => c.recall.value),
      grads.recall,
    ),
    macro_f1: macro(
      classes.map((c) => c.f1.value),
      grads.f1,
    ),
  };
}

/**
 * Binary ROC AUC of the state's positive label, as `sklearn.metrics.roc_auc_score(y_true == positive,
 * score)`, with DeLong's interval; see `rocAucFromCounts` for the formula and edge cases.
 *
 * Edge cases: a state without a positive label, or a window where every observation (or none) is
 * positive, gives value null (sklearn warns and returns NaN for one class).
 */
export function rocAuc(state: ClassificationState, options: MetricOptions = {}): Estimate {
  if (state.positive === null) return { value: null, interval: null };
  return rocAucFromCounts(state.roc[state.positive] ?? emptyScoreCounts(), options.level ?? DEFAULT_LEVEL);
}

/**
 * One-vs-rest macro ROC AUC: the unweighted mean over the classes given in `probabilities` (sorted)
 * of each class's AUC against the rest, as `roc_auc_score(y_true, y_proba, multi_class="ovr",
 * average="macro", labels=classes)`. The AUC of each class is exact from its score counts.
 *
 * Interval: conservative (`delong-bound`). The K classes' AUCs come from the same observations, so
 * they are correlated, and Var(mean) = (1/K²)·Σ_j Σ_k Cov(A_j, A_k) needs their covariances; DeLong
 * gives those only from each observation's whole probability vector, which a bounded, mergeable
 * state cannot keep (the score counts are per class, marginal). By Cauchy–Schwarz,
 * |Cov(A_j, A_k)| ≤ sd_j·sd_k, so sd(mean) ≤ (1/K)·Σ_k sd_k with sd_k each class's DeLong standard
 * error, equal only when the AUCs are perfectly correlated; the interval is mean ± z·that bound,
 * clipped to [0, 1]. Its coverage is at least the level (as far as DeLong's normal approximation
 * holds) and in practice above it: read it as an upper bound on the uncertainty, not an estimate.
 *
 * Edge cases: fewer than two classes with scores, or a class with no positive or no negative
 * observation, gives value null (sklearn returns NaN); a class with fewer than two positives or
 * negatives gives a null interval, as DeLong's does. sklearn also requires every probability row
 * to sum to 1; this does not check it.
 */
export function rocAucOvr(state: ClassificationState, options: MetricOptions = {}): Estimate {
  const labels = sortLabels(Object.keys(state.roc));
  if (labels.length < 2) return { value: null, interval: null };
  const aucs: number[] = [];
  const sds: number[] = [];
  for (const label of labels) {
    const { auc, variance } = rocAucDeLong(state.roc[label]);
    if (auc === null) return { value: null, interval: null };
    aucs.push(auc);
    sds.push(Math.sqrt(variance));
  }
  const value = numpySum(aucs) / aucs.length;
  const bound = numpySum(sds) / sds.length; // NaN when a class has no DeLong variance
  return {
    value,
    interval: normalInterval(value, bound, "delong-bound", options.level ?? DEFAULT_LEVEL, 0, 1),
  };
}

/**
 * Log loss, the mean over scored observations of −ln p(actual) with p clipped to [ε, 1 − ε]
 * (ε = 2^−52, the float64 epsilon), as `sklearn.metrics.log_loss` of scikit-learn ≥ 1.5, which
 * clips to its input dtype's epsilon (1.9 no longer takes an `eps` argument). A 1-d `score` is the
 * positive label's probability, the actual label's being `1 − score` otherwise, as sklearn's
 * columns [1 − p, p]. sklearn does not renormalise rows that do not sum to 1 (it only warns),
 * and neither does this. Interval: normal, mean ± z·s/√n with the sample standard deviation of the
 * per-observation losses, lower bound clipped to 0.
 *
 * Edge cases: no scored observation gives null; one gives a null interval. Where sklearn needs
 * `labels=` (a window with one actual class), the loss here is the same value that call gives.
 */
export function logLoss(state: ClassificationState, options: MetricOptions = {}): Estimate {
  const m = state.log_loss;
  if (m.n === 0) return { value: null, interval: null };
  const value = momentsMean(m);
  const se = Math.sqrt(momentsVariance(m) / m.n);
  return { value, interval: normalInterval(value, se, "normal", options.level ?? DEFAULT_LEVEL, 0) };
}

/**
 * Expected calibration error of the scored observations (see `expectedCalibrationError`), with
 * the confidence of an observation the probability its model gave to the label it predicted.
 * Interval: the percentile interval of a seeded Poisson bootstrap of the calibration bins
 * (`calibrationErrorInterval`, `bootstrap_replicates` replicates, default 200), the same for the
 * same state; see there for how the ECE's upward bias shows in it.
 *
 * Edge cases: no scored observation gives null; a state checkpointed before its bins kept
 * `confidence_sq`, or merged with one, fewer than two scored observations, or
 * `bootstrap_replicates: 0` give a null interval.
 */
export function calibrationError(state: ClassificationState, options: MetricOptions = {}): Estimate {
  const value = expectedCalibrationError(state.calibration);
  const replicates = options.bootstrap_replicates ?? DEFAULT_REPLICATES;
  if (value === null || replicates === 0) return { value, interval: null };
  return {
    value,
    interval: calibrationErrorInterval(state.calibration, options.level ?? DEFAULT_LEVEL, replicates),
  };
}

/** Every classification metric of a state, as one plain object for reports and exporters. */
export function classificationMetrics(
  state: ClassificationState,
  options: MetricOptions = {},
): ClassificationMetrics {
  const prf = precisionRecallF1(state, options);
  return {
    count: classificationCount(state),
    scored: state.scored,
    invalid_scores: state.invalid_scores,
    accuracy: accuracy(state, options),
    classes: prf.classes,
    macro_precision: prf.macro_precision,
    macro_recall: prf.macro_recall,
    macro_f1: prf.macro_f1,
    roc_auc: rocAuc(state, options),
    roc_auc_ovr: rocAucOvr(state, options),
    log_loss: logLoss(state, options),
    expected_calibration_error: calibrationError(state, options),
  };
}
