import { formatNumber } from "../report/markdown.js";
import type { EstimationCheckResult, EstimationReferenceResult, EstimationResult } from "./estimation.js";
import type { DetectorStatus, PerformanceResult } from "./monitor.js";
import type { ClassificationMetrics, Estimate, RegressionMetrics } from "./types.js";

function estimate(name: string, e: Estimate): string | null {
  if (e.value === null) return null;
  const interval = e.interval ? ` [${formatNumber(e.interval.low)}, ${formatNumber(e.interval.high)}]` : "";
  return `${name} ${formatNumber(e.value)}${interval}`;
}

function summary(metrics: ClassificationMetrics | RegressionMetrics): string {
  const parts =
    "accuracy" in metrics
      ? [
          estimate("accuracy", metrics.accuracy),
          estimate("macro_f1", metrics.macro_f1),
          estimate("roc_auc", metrics.roc_auc),
          // One-vs-rest for per-class probabilities, where there is no single positive class.
          metrics.roc_auc.value === null ? estimate("roc_auc_ovr", metrics.roc_auc_ovr) : null,
          metrics.invalid_scores > 0 ? `(${metrics.invalid_scores} unusable probabilities)` : null,
        ]
      : [estimate("mae", metrics.mae), estimate("rmse", metrics.rmse), estimate("r2", metrics.r2)];
  return parts.filter((p) => p !== null).join(" ") || "no pairs";
}

/**
 * One line per closed window of joined pairs:
 * `[churn-performance] window 3 (1000 pairs): accuracy 0.91 [0.89, 0.93] macro_f1 0.88 | eu: accuracy 0.71 ... | ddm drift at pair 2871 | join: 120 pending, 4000 matched, 3 expired`
 */
export function formatPerformanceVerdict(result: PerformanceResult): string {
  const parts = [
    `[${result.monitor}] window ${result.window.index} (${result.window.events} pairs): ${summary(result.window_metrics.all)}`,
  ];
  for (const [slice, metrics] of Object.entries(result.window_metrics.slices))
    parts.push(`${slice}: ${summary(metrics)}`);
  for (const drift of result.drifts) parts.push(`${drift.detector} drift at pair ${drift.pair}`);
  const j = result.join;
  parts.push(
    `join: ${j.pending_predictions} predictions and ${j.pending_labels} labels pending, ${j.matched} matched, ${j.expired_predictions} expired, ${j.orphan_labels} orphan labels`,
  );
  return parts.join(" | ");
}

/**
 * One line when a concept-drift detector fires, enters its warning zone (the error rising, not yet
 * a drift) or leaves it; a detection is handed over only on one of these changes.
 */
export function formatDetection(monitor: string, status: DetectorStatus): string {
  const estimate = `estimate ${formatNumber(status.estimate)}`;
  if (status.drift)
    return `[${monitor}] ${status.detector} detected concept drift (${estimate}, ${status.drifts} so far)`;
  return status.warning
    ? `[${monitor}] ${status.detector} warning: the error is rising (${estimate})`
    : `[${monitor}] ${status.detector} left its warning zone (${estimate})`;
}

/**
 * One line per estimated window of predictions:
 * `[churn-performance] estimated window 4 (500 predictions): roc_auc 0.91 [0.88, 0.94] accuracy 0.86 [0.83, 0.89] | ALERT f1 0.62 below 0.7`
 */
export function formatEstimationVerdict(result: EstimationResult): string {
  const { estimation } = result;
  const parts: string[] = [];
  const alerts: string[] = [];
  for (const [metric, row] of Object.entries(estimation.metrics)) {
    if (row === undefined || row.value === null) continue;
    const bounds =
      row.lower_confidence_boundary === null || row.upper_confidence_boundary === null
        ? ""
        : ` [${formatNumber(row.lower_confidence_boundary)}, ${formatNumber(row.upper_confidence_boundary)}]`;
    parts.push(`${metric} ${formatNumber(row.value)}${bounds}`);
    if (row.alert) {
      const below = row.lower_threshold !== null && row.value < row.lower_threshold;
      alerts.push(
        `ALERT ${metric} ${formatNumber(row.value)} ${below ? `below ${formatNumber(row.lower_threshold)}` : `above ${formatNumber(row.upper_threshold)}`}`,
      );
    }
  }
  const invalid = estimation.invalid > 0 ? ` (${estimation.invalid} unusable probabilities)` : "";
  return [
    `[${result.monitor}] estimated window ${estimation.index} (${estimation.predictions} predictions${invalid}): ${parts.join(" ") || "no estimate"}`,
    ...alerts,
  ].join(" | ");
}

/** One line when the estimation's reference is fitted, or could not be. */
export function formatEstimationReference(result: EstimationReferenceResult): string {
  const { estimation_reference: r } = result;
  if (r.failed !== null)
    return `[${result.monitor}] estimation cannot use its reference of ${r.pairs} pairs (${r.failed}); collecting the next ${r.pairs}`;
  const calibrated = Object.entries(r.calibrated ?? {})
    .map(([label, yes]) => `${label} ${yes ? "calibrated" : "as given"}`)
    .join(", ");
  return `[${result.monitor}] estimation ready: reference of ${r.pairs} pairs; probabilities: ${calibrated}`;
}

/**
 * One line when every label of an estimated window has come:
 * `[m] estimated window 3 settled by its 500 labels: accuracy 0.84 realized 0.866 (error -0.026) | roc_auc ...`
 */
export function formatEstimationCheck(result: EstimationCheckResult): string {
  const { estimation_check: check } = result;
  const parts = Object.entries(check.metrics)
    .filter(([, row]) => row !== undefined && row.estimated !== null && row.realized !== null)
    .map(
      ([metric, row]) =>
        `${metric} ${formatNumber(row?.estimated ?? null)} realized ${formatNumber(row?.realized ?? null)} (error ${formatNumber(row?.error ?? null)})`,
    );
  return `[${result.monitor}] estimated window ${check.index} settled by its ${check.predictions} labels: ${parts.join(" | ") || "nothing to compare"}`;
}
