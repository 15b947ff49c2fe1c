import type { DriftResult } from "../../src/drift/monitor.js";
import type { OutlierResult } from "../../src/outliers/monitor.js";
import type { PerformanceResult } from "../../src/performance/monitor.js";
import type { ClassificationMetrics } from "../../src/performance/types.js";
import type { ColumnReport } from "../../src/report/model.js";

/** 2024-05-01T00:00:00Z, the start of every fixture's timeline. */
export const T0 = Date.parse("2024-05-01T00:00:00Z");

/** A column verdict with the fields alerts read; the rest zeroed. */
export function column(
  name: string,
  test: string,
  statistic: number,
  p_value: number | null,
  threshold: number,
  drift: boolean,
): ColumnReport {
  return {
    name,
    kind: "numeric",
    test,
    statistic,
    p_value,
    p_value_adjusted: p_value,
    threshold,
    drift,
    n_reference: 1000,
    n_current: 500,
    missing_reference: 0,
    missing_current: 0,
    distances: { psi: 0.3, jensen_shannon: 0.12, hellinger: 0.1, wasserstein: 1.5 },
    details: {},
    histogram: {
      kind: "numeric",
      cuts: [],
      reference: [],
      current: [],
    } as unknown as ColumnReport["histogram"],
  };
}

/** A closed one-hour window `index` of a drift monitor with the given column verdicts. */
export function driftResult(
  index: number,
  columns: ColumnReport[],
  trigger: DriftResult["trigger"] = "window_close",
): DriftResult {
  const drifted = columns.filter((c) => c.drift).length;
  const start = T0 + index * 3_600_000;
  return {
    monitor: "orders",
    trigger,
    reference: "first:100",
    window: {
      index,
      events: 500,
      start,
      end: start + 3_600_000,
      first_time: start + 1_000,
      last_time: start + 3_599_000,
      offsets: { "orders/0": [index * 500, index * 500 + 499] },
      sample_ids: ["o-1", "o-2"],
    },
    evaluation: {
      columns,
      dataset: {
        columns: columns.length,
        drifted_columns: drifted,
        share: drifted / columns.length,
        drift_share: 0.5,
        drift: drifted / columns.length >= 0.5,
        alpha: 0.05,
        correction: "none",
      },
      skipped: [],
    },
    quality: {},
    duration_secs: 0.01,
  };
}

/** A window of an outlier monitor where scorers flag the given numbers of 200 events. */
export function outlierResult(index: number, outliers: Record<string, number>): OutlierResult {
  return {
    monitor: "payments",
    window: { index, events: 200, start: null, end: null, first_time: T0, last_time: T0 + 60_000 },
    scorers: Object.entries(outliers).map(([scorer, n]) => ({
      scorer,
      threshold: 3.5,
      outliers: n,
      ratio: n / 200,
      top: [
        { id: "evt-9", score: 12.5 },
        { id: null, score: 9 },
        { id: "evt-4", score: 7.25 },
      ],
    })),
    incomplete: 2,
  };
}

function estimate(value: number | null) {
  return {
    value,
    interval:
      value === null ? null : { low: value - 0.05, high: value + 0.05, level: 0.95, method: "wilson" },
  };
}

/** Classification metrics with the given accuracy over `count` pairs. */
export function classification(accuracy: number, count: number): ClassificationMetrics {
  return {
    count,
    scored: 0,
    accuracy: estimate(accuracy),
    classes: [],
    macro_precision: estimate(0.9),
    macro_recall: estimate(0.9),
    macro_f1: estimate(0.9),
    roc_auc: estimate(null),
    roc_auc_ovr: estimate(null),
    log_loss: estimate(null),
    expected_calibration_error: estimate(null),
  } as unknown as ClassificationMetrics;
}

/** A closed window of a performance monitor. */
export function performanceResult(
  index: number,
  all: ClassificationMetrics,
  slices: Record<string, ClassificationMetrics> = {},
  drifts: { detector: string; pair: number }[] = [],
): PerformanceResult {
  return {
    monitor: "model",
    task: "classification",
    window: { index, events: all.count, start: null, end: null },
    window_metrics: { all, slices },
    cumulative_metrics: { all: classification(0.95, 10_000), slices: {} },
    join: {
      matched: all.count,
      expired_predictions: 0,
      orphan_labels: 0,
      evicted_predictions: 0,
      evicted_labels: 0,
      duplicates: 0,
      pending_predictions: 0,
      pending_labels: 0,
    },
    detectors: [{ detector: "adwin", drift: drifts.length > 0, warning: false, estimate: 0.31, drifts: 4 }],
    drifts,
  };
}
