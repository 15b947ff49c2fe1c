/**
 * Shared shapes of the model-quality metrics. Every state here is plain JSON data with an `update`
 * and a `merge(a, b)` equal to one pass over both inputs (up to floating-point rounding of sums,
 * see each state), so a window's state can be checkpointed, rolled up from panes into a cumulative
 * state and combined across instances, as `src/windows/feature-state.ts` does for features.
 * Field names are snake_case because states are persisted as they are.
 */

/**
 * A class label, by its text: labels read from events as numbers or booleans are keyed by
 * `String(value)`, as categorical features are, so `1` and `"1"` are the same class.
 */
export type Label = string;

/**
 * Running moments of one quantity. The mean comes from a compensated Σx (Neumaier), so one huge
 * value (an error at y = 0 in MAPE) does not swallow the small ones; the sum of squared deviations
 * comes from Welford
 * (1962) updates, merged by Chan, Golub & LeVeque (1979), on the values less a `shift` (the first
 * value), so that a large common offset costs no precision (the "shifted data" algorithm of Chan
 * et al. 1983). Two means are kept because each is the accurate one for its use.
 */
export interface Moments {
  /** Number of values. */
  n: number;
  /** Σx, compensated; the mean is `sum / n`. */
  sum: CompensatedSum;
  /** The first value seen (0 while empty). */
  shift: number;
  /** Running mean of x − shift, the reference of Welford's deviations. */
  shifted_mean: number;
  /** Σ(x − x̄)², compensated. */
  m2: CompensatedSum;
}

/** Running central moments up to the fourth, for the delta-method interval of R² (Pébay 2008). */
export interface HigherMoments extends Moments {
  /** Σ (x − x̄)³. */
  m3: number;
  /** Σ (x − x̄)⁴. */
  m4: number;
}

/** A Neumaier-compensated sum: `[sum, compensation]`; its value is `sum + compensation`. */
export type CompensatedSum = [number, number];

/**
 * Counts of positives and negatives per distinct score: `[negatives, positives]` under the score
 * (−0 counted as 0). The ROC curve and its area depend on the scores only through their order and
 * ties, so this is an exact, mergeable summary of (score, label) pairs; its size is the number of
 * distinct scores in the window. A Map because it is updated for every scored pair, and numeric
 * keys cost a fraction of a text key on an object; checkpoints hold `ScoreCountsRecord` instead.
 */
export type ScoreCounts = Map<number, [number, number]>;

/**
 * `ScoreCounts` as checkpointed, plain JSON: keyed by the score's text (`String(score)`, which
 * round-trips every double).
 */
export type ScoreCountsRecord = Record<string, [number, number]>;

/** Equal-width reliability bins over confidence in [0, 1], for the expected calibration error. */
export interface CalibrationBins {
  /** Observations per bin; bin b covers (b/B, (b+1)/B], bin 0 also takes a confidence of 0. */
  count: number[];
  /** Σ confidence per bin. */
  confidence: CompensatedSum[];
  /** Observations per bin whose predicted label was the actual one. */
  correct: number[];
  /**
   * Σ confidence² per bin: with `confidence` and `count`, the spread of the confidences within
   * each bin, which the bootstrap interval of the ECE resamples. Absent in states checkpointed
   * before it existed; such a state keeps it absent (a sum started later would miss the earlier
   * observations), as does any merge with one, and its ECE has no interval.
   */
  confidence_sq?: CompensatedSum[];
}

/**
 * One labelled prediction of a classifier. A probability is optional: `score` is the probability
 * of the state's positive label (binary models), `probabilities` the probability of every class.
 * Without either, only the confusion-matrix metrics are computed from the observation.
 */
export interface ClassificationObservation {
  /** The true label, joined from the label stream. */
  readonly actual: Label;
  /** The label the model predicted. */
  readonly predicted: Label;
  /** Probability of the positive label, in [0, 1]. */
  readonly score?: number;
  /** Probability per class, each in [0, 1]; a class left out has probability 0. */
  readonly probabilities?: Readonly<Record<Label, number>>;
  /**
   * The prediction carried a probability that could not be read (not a number, an array of the
   * wrong length): counted in `invalid_scores`, like a probability outside [0, 1].
   */
  readonly unusable_score?: boolean;
}

/** Parameters fixed when a classification state is created; merged states must agree on them. */
export interface ClassificationParams {
  /** The label whose probability `score` is (binary models); null when no `score` is given. */
  readonly positive?: Label | null;
  /** Number of equal-width calibration bins (default 10). */
  readonly calibration_bins?: number;
}

/**
 * What a classification window holds: the confusion matrix and the scored summaries. Its records
 * keyed by label have no prototype, so that a label such as "__proto__" or "constructor" is an
 * ordinary key; `classificationStateJson` gives its plain-JSON form for checkpoints and
 * `reviveClassificationState` takes that form back.
 */
export interface ClassificationState {
  /** The label whose probability `score` is; null when observations carry no `score`. */
  readonly positive: Label | null;
  /** Counts per (actual, predicted) pair: `confusion[actual][predicted]`. */
  confusion: Record<Label, Record<Label, number>>;
  /** Observations that carried a usable probability (they feed log loss, ECE and ROC AUC). */
  scored: number;
  /** Observations whose probability was not a number in [0, 1] (counted in the confusion only). */
  invalid_scores: number;
  /** Per-observation log loss, −ln(clip(p(actual), ε, 1 − ε)). */
  log_loss: Moments;
  /** Score counts per class: the positive label's for `score`, every class's for `probabilities`. */
  roc: Record<Label, ScoreCounts>;
  /** Reliability bins of the probability given to the predicted label. */
  calibration: CalibrationBins;
}

/** A classification state as checkpointed: plain JSON, with its score counts as records. */
export type ClassificationStateJson = Omit<ClassificationState, "roc"> & {
  roc: Record<Label, ScoreCountsRecord>;
};

/** One prediction of a regression model and its true value. */
export interface RegressionObservation {
  readonly actual: number;
  readonly predicted: number;
}

/**
 * What a regression window holds: running moments of the absolute, squared and absolute
 * percentage errors and of the actual values, plus the two co-moments of squared error and actual
 * value that the delta-method interval of R² needs. `merge` follows Chan et al. (1979) and Pébay
 * (2008) exactly; it differs from one pass only by floating-point rounding.
 */
export interface RegressionState {
  /** |y − ŷ|. */
  absolute_error: Moments;
  /** (y − ŷ)². */
  squared_error: Moments;
  /** |y − ŷ| / max(|y|, ε) with ε the float64 machine epsilon, as scikit-learn's MAPE. */
  percentage_error: Moments;
  /** y, with third and fourth central moments. */
  actual: HigherMoments;
  /** Σ (e² − mean e²)(y − ȳ). */
  co_moment: number;
  /** Σ (e² − mean e²)(y − ȳ)². */
  co_moment2: number;
  /** Observations whose actual or predicted value was not a finite number (not counted). */
  invalid: number;
}

/** How an interval was obtained; reports print it next to the bounds. */
export type IntervalMethod =
  /** Wilson score interval for a binomial proportion (Wilson 1927). */
  | "wilson"
  /** Normal approximation with the delta-method standard error. */
  | "delta"
  /** DeLong, DeLong & Clarke-Pearson (1988) variance of the ROC AUC. */
  | "delong"
  /**
   * Normal approximation with an upper bound on the standard error of a mean of ROC AUCs: the
   * mean of the DeLong standard errors (Cauchy–Schwarz), conservative.
   */
  | "delong-bound"
  /** Percentile interval of a seeded Poisson bootstrap (Chamandy et al. 2012). */
  | "bootstrap"
  /** Normal approximation: mean ± z·s/√n with the sample standard deviation s. */
  | "normal";

/** A two-sided confidence interval. */
export interface Interval {
  readonly low: number;
  readonly high: number;
  /** Confidence level, e.g. 0.95. */
  readonly level: number;
  readonly method: IntervalMethod;
}

/**
 * A metric value with its confidence interval. `value` is null where scikit-learn returns NaN or
 * raises (e.g. ROC AUC with one class present); `interval` is null where no interval is defined
 * (too few observations, or no analytic interval for this metric).
 */
export interface Estimate {
  readonly value: number | null;
  readonly interval: Interval | null;
}

/** Options of the metric functions. */
export interface MetricOptions {
  /** Confidence level of the intervals (default 0.95). */
  readonly level?: number;
  /**
   * Value of precision, recall or F1 when its denominator is 0, as scikit-learn's `zero_division`:
   * 0 (default, scikit-learn's "warn" without the warning), 1, or "nan" (value null, left out
   * of macro averages as scikit-learn's `np.nan` is).
   */
  readonly zero_division?: 0 | 1 | "nan";
  /**
   * Replicates of the bootstrap intervals (default 200), a non-negative integer; 0 skips the
   * bootstrap (null interval). Each replicate costs a pass over the calibration bins, whatever the
   * number of observations.
   */
  readonly bootstrap_replicates?: number;
}

/** Precision, recall and F1 of one class. */
export interface ClassMetrics {
  readonly label: Label;
  /** Number of observations whose actual label is this class. */
  readonly support: number;
  readonly precision: Estimate;
  readonly recall: Estimate;
  readonly f1: Estimate;
}

/** Everything computed from a classification state. */
export interface ClassificationMetrics {
  /** Observations in the state. */
  readonly count: number;
  /** Observations with a usable probability. */
  readonly scored: number;
  /** Observations whose probability could not be used (not a number, outside [0, 1], unreadable). */
  readonly invalid_scores: number;
  readonly accuracy: Estimate;
  /** Per class, over the labels seen as actual or predicted, in scikit-learn's sorted order. */
  readonly classes: readonly ClassMetrics[];
  readonly macro_precision: Estimate;
  readonly macro_recall: Estimate;
  readonly macro_f1: Estimate;
  /** Binary ROC AUC of the positive label (null without a positive label or with one class). */
  readonly roc_auc: Estimate;
  /**
   * One-vs-rest macro ROC AUC over the classes given `probabilities` (null when undefined), with a
   * conservative interval (`delong-bound`).
   */
  readonly roc_auc_ovr: Estimate;
  readonly log_loss: Estimate;
  /**
   * Expected calibration error, with the percentile interval of a seeded Poisson bootstrap of the
   * calibration bins (null for a state checkpointed without `confidence_sq`, below two scored
   * observations, or with `bootstrap_replicates: 0`).
   */
  readonly expected_calibration_error: Estimate;
}

/** Everything computed from a regression state. */
export interface RegressionMetrics {
  readonly count: number;
  readonly mae: Estimate;
  readonly rmse: Estimate;
  readonly mape: Estimate;
  readonly r2: Estimate;
}

/** A value a slice condition can list: compared as categories are, by text. */
export type SliceValue = string | number | boolean;

/**
 * A declared slice: the observations whose `feature` is one of `in`, or lies in a numeric range.
 * Declared in config as `slices: { eu: { feature: region, in: [eu] } }` or
 * `{ feature: age, gte: 18, lt: 65 }`.
 */
export type Slice = CategorySlice | RangeSlice;

/** A slice on listed values of a feature. */
export interface CategorySlice {
  /** The feature the slice reads. */
  readonly feature: string;
  /** Values that belong to the slice (a value matches by its text, as categories do). */
  readonly in: readonly SliceValue[];
}

/** A slice on a numeric range of a feature; at least one bound is given. */
export interface RangeSlice {
  readonly feature: string;
  /** Greater than or equal to. */
  readonly gte?: number;
  /** Greater than. */
  readonly gt?: number;
  /** Less than or equal to. */
  readonly lte?: number;
  /** Less than. */
  readonly lt?: number;
}
