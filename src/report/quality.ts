import { showValue, UserError } from "../errors.js";
import type { RawValue } from "../io/rows.js";
import { DEFAULT_SCORERS } from "../outliers/monitor.js";
import { type AnyOutlierScorerKind, outlierScorers } from "../outliers/registry.js";
import { calibrate } from "../outliers/threshold.js";
import { keepTop, type Row } from "../outliers/types.js";
import {
  classificationMetrics,
  emptyClassificationState,
  sortLabels,
  updateClassification,
} from "../performance/classification.js";
import { emptyRegressionState, regressionMetrics, updateRegression } from "../performance/regression.js";
import type { ClassificationMetrics, RegressionMetrics } from "../performance/types.js";
import type { ModelQuality, OutlierSection } from "./model.js";

/** The `--target`/`--prediction` part of a report request. */
export interface QualityRequest {
  readonly target: string;
  readonly prediction: string;
  /** The positive class's probability column (binary models). */
  readonly score?: string;
  /** Every class's probability column (`--probabilities`), instead of `score`. */
  readonly probabilities?: readonly ProbabilityColumn[];
  readonly task?: "classification" | "regression";
  readonly positive?: string;
}

/** A class and the column holding its probability. */
export interface ProbabilityColumn {
  readonly label: string;
  readonly column: string;
}

/** The columns model quality reads, in the order `modelQuality` expects its rows. */
export function qualityColumns(request: QualityRequest): string[] {
  return [
    request.target,
    request.prediction,
    ...(request.score === undefined ? [] : [request.score]),
    ...(request.probabilities ?? []).map((p) => p.column),
  ];
}

/** Above this many distinct integer values, a target of integers is taken for regression. */
export const MAX_INTEGER_CLASSES = 20;

function text(value: RawValue): string | null {
  return value === null || value === "" ? null : String(value);
}

function numeric(value: RawValue): number | null {
  if (typeof value === "number") return value;
  if (typeof value !== "string" || value.trim() === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/**
 * The task of a report without `--task`, and why, by the first rule that applies to the target
 * and prediction values of both files: probabilities given → classification; a value that is not
 * a number (a text label) → classification; a non-integer number, which no classifier predicts →
 * regression; integers with more than {@link MAX_INTEGER_CLASSES} distinct values → regression;
 * otherwise (few distinct integers, such as 0/1 or ratings) → classification.
 */
function inferTask(
  request: QualityRequest,
  rows: readonly RawValue[][],
): { task: "classification" | "regression"; reason: string } {
  if (request.score !== undefined || request.probabilities !== undefined)
    return { task: "classification", reason: "probabilities were given" };
  const distinct = new Set<number>();
  let fractional: number | null = null;
  for (const row of rows) {
    for (const value of [row[0], row[1]]) {
      if (value === null || value === "") continue;
      const n = numeric(value);
      if (n === null)
        return { task: "classification", reason: `the labels are text (such as ${showValue(value)})` };
      if (!Number.isInteger(n)) fractional ??= n;
      else if (distinct.size <= MAX_INTEGER_CLASSES) distinct.add(n);
    }
  }
  if (fractional !== null)
    return { task: "regression", reason: `the values are not all integers (such as ${fractional})` };
  return distinct.size > MAX_INTEGER_CLASSES
    ? {
        task: "regression",
        reason: `the values are integers with more than ${MAX_INTEGER_CLASSES} distinct values`,
      }
    : {
        task: "classification",
        reason: `the values are integers with ${distinct.size} distinct values (at most ${MAX_INTEGER_CLASSES})`,
      };
}

function metricsOf(
  rows: readonly RawValue[][],
  task: "classification" | "regression",
  positive: string | null,
  probabilities: readonly ProbabilityColumn[] | undefined,
): { metrics: ClassificationMetrics | RegressionMetrics; skipped: number } {
  let skipped = 0;
  if (task === "regression") {
    const state = emptyRegressionState();
    for (const [a, p] of rows) {
      const actual = numeric(a);
      const predicted = numeric(p);
      if (actual === null || predicted === null) skipped++;
      else updateRegression(state, { actual, predicted });
    }
    return { metrics: regressionMetrics(state), skipped };
  }
  const state = emptyClassificationState({ positive });
  for (const row of rows) {
    const actual = text(row[0]);
    const predicted = text(row[1]);
    if (actual === null || predicted === null) {
      skipped++;
      continue;
    }
    if (probabilities !== undefined) {
      const values = probabilities.map((_, i) => numeric(row[2 + i]));
      updateClassification(
        state,
        values.every((v) => v !== null)
          ? {
              actual,
              predicted,
              // fromEntries defines own properties: a class named "__proto__" is an ordinary key.
              probabilities: Object.fromEntries(probabilities.map(({ label }, i) => [label, values[i]])),
            }
          : { actual, predicted, unusable_score: true },
      );
      continue;
    }
    const score = row[2] === undefined ? null : numeric(row[2]);
    updateClassification(
      state,
      row.length > 2 && score === null
        ? { actual, predicted, unusable_score: true }
        : { actual, predicted, ...(score === null ? {} : { score }) },
    );
  }
  return { metrics: classificationMetrics(state), skipped };
}

/**
 * Model quality of both sides from their (target, prediction[, score]) rows, with the same metric
 * code as the daemon's performance monitor. The positive class defaults to the greater of two
 * labels, as scikit-learn's does for a binary target.
 */
export function modelQuality(
  request: QualityRequest,
  reference: readonly RawValue[][],
  current: readonly RawValue[][],
): ModelQuality {
  const { task, reason } =
    request.task === undefined
      ? inferTask(request, [...reference, ...current])
      : { task: request.task, reason: "given by --task" };
  if (task === "regression" && (request.score !== undefined || request.probabilities !== undefined))
    throw new UserError(
      `--${request.score === undefined ? "probabilities" : "score"} is for classification; --task is regression`,
    );
  let positive: string | null = request.positive ?? null;
  if (task === "classification" && positive === null && request.score !== undefined) {
    const labels = sortLabels(
      new Set([...reference, ...current].map((r) => text(r[0])).filter((l): l is string => l !== null)),
    );
    if (labels.length === 2) positive = labels[1];
    else
      throw new UserError(
        `--score needs --positive when the target ${showValue(request.target)} has ${labels.length} classes`,
      );
  }
  const ref = metricsOf(reference, task, positive, request.probabilities);
  const cur = metricsOf(current, task, positive, request.probabilities);
  return {
    task,
    task_reason: reason,
    target: request.target,
    prediction: request.prediction,
    score: request.score ?? null,
    probabilities: request.probabilities ?? null,
    positive: task === "classification" ? positive : null,
    reference: ref.metrics,
    current: cur.metrics,
    skipped_rows: { reference: ref.skipped, current: cur.skipped },
  };
}

/**
 * Fits the daemon's default scorers (robust z and a seeded Isolation Forest) on the reference rows
 * and counts the current rows above each threshold (the 99th percentile of the reference's own
 * scores), keeping the `top` most extreme rows.
 */
export function outlierSection(
  features: readonly string[],
  reference: readonly (number | null)[][],
  current: readonly (number | null)[][],
  top = 10,
): OutlierSection {
  const scorers = DEFAULT_SCORERS.map((config) => {
    const { type, threshold, ...params } = config;
    const kind = outlierScorers[type] as AnyOutlierScorerKind;
    const calibrated = calibrate(
      kind as never,
      reference as readonly Row[],
      params as never,
      threshold ?? {},
    );
    let outliers = 0;
    const best: { row: number; score: number }[] = [];
    for (const [i, row] of current.entries()) {
      const score = kind.score(calibrated.model, row);
      if (score > calibrated.threshold) outliers++;
      keepTop(best, { row: i + 1, score }, top);
    }
    return {
      scorer: type,
      threshold: calibrated.threshold,
      outliers,
      ratio: current.length === 0 ? 0 : outliers / current.length,
      top: best,
    };
  });
  return { features, rows: current.length, scorers };
}
