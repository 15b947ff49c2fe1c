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
  readonly score?: string;
  readonly task?: "classification" | "regression";
  readonly positive?: string;
}

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
 * Classification unless told otherwise, or unless the target holds non-integer numbers, which no
 * classifier predicts: then regression.
 */
function inferTask(rows: readonly RawValue[][]): "classification" | "regression" {
  for (const [actual] of rows) {
    const n = numeric(actual);
    if (n !== null && !Number.isInteger(n)) return "regression";
  }
  return "classification";
}

function metricsOf(
  rows: readonly RawValue[][],
  task: "classification" | "regression",
  positive: string | null,
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
  for (const [a, p, s] of rows) {
    const actual = text(a);
    const predicted = text(p);
    if (actual === null || predicted === null) {
      skipped++;
      continue;
    }
    const score = s === undefined ? null : numeric(s);
    updateClassification(state, { actual, predicted, ...(score === null ? {} : { score }) });
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
  const task = request.task ?? inferTask([...reference, ...current]);
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
  const ref = metricsOf(reference, task, positive);
  const cur = metricsOf(current, task, positive);
  return {
    task,
    target: request.target,
    prediction: request.prediction,
    score: request.score ?? null,
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
