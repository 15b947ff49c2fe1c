import { alertsSchemaOf } from "../alerts/schema.js";
import type { Metrics } from "../metrics/metrics.js";
import { adaptMonitor } from "../monitors/adapt.js";
import type { MonitorInput, MonitorKind } from "../monitors/types.js";
import { performanceConfigSchema } from "./config.js";
import type { EstimationCheckResult, EstimationReferenceResult, EstimationResult } from "./estimation.js";
import {
  checkPerformanceMonitorState,
  type DetectorStatus,
  PerformanceMonitor,
  type PerformanceMonitorState,
  type PerformanceResult,
} from "./monitor.js";
import { performanceProblems } from "./problems.js";
import { performanceAlertRules } from "./rules.js";
import {
  formatDetection,
  formatEstimationCheck,
  formatEstimationReference,
  formatEstimationVerdict,
  formatPerformanceVerdict,
} from "./verdict.js";

/** A performance monitor's config entry (as the monitor takes it; `config/` composes the schema). */
type PerformanceConfig = ConstructorParameters<typeof PerformanceMonitor>[1];

/** Concept-drift detectors that fired or entered or left their warning zone on one event. */
export interface Detections {
  readonly monitor: string;
  readonly detections: readonly DetectorStatus[];
}

/**
 * What a performance monitor produces: closed windows of joined pairs, detections at once, and
 * with `estimation`, windows of predictions estimated and the estimation's reference fitted.
 */
export type PerformanceOutput =
  | PerformanceResult
  | Detections
  | EstimationResult
  | EstimationReferenceResult
  | EstimationCheckResult;

const isDetections = (result: PerformanceOutput): result is Detections => "detections" in result;

/**
 * Exports a window of estimated metrics beside the realized ones: `driftwatch_performance` and its
 * bounds with `scope="estimated"` (the confidence boundaries NannyML draws, value ± 3 sampling
 * errors), the reference's thresholds, and whether the estimate is outside them.
 */
function exportEstimation(result: EstimationResult, m: Metrics): void {
  const monitor = result.monitor;
  for (const [metric, row] of Object.entries(result.estimation.metrics)) {
    if (row === undefined) continue;
    const labels = { monitor, metric, slice: "all", scope: "estimated" };
    if (row.value === null) {
      m.performance.remove(labels);
      m.performanceLower.remove(labels);
      m.performanceUpper.remove(labels);
    } else {
      m.performance.set(labels, row.value);
      if (row.lower_confidence_boundary !== null)
        m.performanceLower.set(labels, row.lower_confidence_boundary);
      if (row.upper_confidence_boundary !== null)
        m.performanceUpper.set(labels, row.upper_confidence_boundary);
    }
    for (const [bound, value] of [
      ["lower", row.lower_threshold],
      ["upper", row.upper_threshold],
    ] as const)
      if (value !== null) m.performanceThreshold.set({ monitor, metric, bound }, value);
    m.performanceEstimateAlert.set({ monitor, metric }, row.alert ? 1 : 0);
  }
  m.performanceCount.set({ monitor, slice: "all", scope: "estimated" }, result.estimation.predictions);
}

/** The join's buffers and outcomes (counters follow the monitor's cumulative counts). */
function exportJoin(monitor: PerformanceMonitor, m: Metrics): void {
  const { predictions, labels } = monitor.pending;
  m.joinPending.set({ monitor: monitor.name, side: "predictions" }, predictions);
  m.joinPending.set({ monitor: monitor.name, side: "labels" }, labels);
  for (const [outcome, count] of Object.entries(monitor.joinCounts))
    m.joinEvents.set({ monitor: monitor.name, outcome }, count);
}

/** Exports a closed window of model metrics (window and cumulative, overall and per slice). */
function exportWindow(result: PerformanceResult, m: Metrics): void {
  const monitor = result.monitor;
  const scopes = [
    ["window", result.window_metrics],
    ["cumulative", result.cumulative_metrics],
  ] as const;
  for (const [scope, metrics] of scopes) {
    for (const [slice, values] of [["all", metrics.all] as const, ...Object.entries(metrics.slices)]) {
      for (const [metric, estimate] of Object.entries(values)) {
        if (estimate === null || typeof estimate !== "object" || !("value" in estimate)) continue;
        const labels = { monitor, metric, slice, scope };
        if (estimate.value === null) {
          m.performance.remove(labels);
          continue;
        }
        m.performance.set(labels, estimate.value);
        if (estimate.interval) {
          m.performanceLower.set(labels, estimate.interval.low);
          m.performanceUpper.set(labels, estimate.interval.high);
        }
      }
      m.performanceCount.set({ monitor, slice, scope }, values.count);
    }
  }
  for (const status of result.detectors) {
    m.conceptDriftWarning.set({ monitor, detector: status.detector }, status.warning ? 1 : 0);
    if (status.estimate !== null)
      m.conceptDriftEstimate.set({ monitor, detector: status.detector }, status.estimate);
  }
  m.windowEvents.set({ monitor }, result.window.events);
  m.windowsTotal.inc({ monitor, trigger: "window_close" });
}

/** A detector fired or entered/left its warning zone: counted at once, not at window close. */
function exportDetections(result: Detections, m: Metrics): void {
  const monitor = result.monitor;
  for (const status of result.detections) {
    if (status.drift) m.conceptDriftTotal.inc({ monitor, detector: status.detector });
    m.conceptDriftWarning.set({ monitor, detector: status.detector }, status.warning ? 1 : 0);
    if (status.estimate !== null)
      m.conceptDriftEstimate.set({ monitor, detector: status.detector }, status.estimate);
  }
}

/**
 * Model quality from predictions joined with their labels (from one or two sources): windowed
 * metrics with intervals, per slice, and concept-drift detectors on the error stream.
 */
export const performanceKind: MonitorKind<PerformanceConfig, PerformanceMonitorState, PerformanceOutput> = {
  type: "performance",
  schema: performanceConfigSchema(alertsSchemaOf(performanceAlertRules)),
  example: {
    type: "performance",
    task: "classification",
    predictions: { source: "events", id: "/id", label: "/predicted" },
    labels: { source: "events", id: "/id", label: "/actual" },
    window: { type: "tumbling", events: 10 },
    detectors: [{ type: "ddm" }],
  },
  exampleFeatures: {},

  sources: (config) => [...new Set([config.predictions.source, config.labels.source])],

  problems: performanceProblems,

  async create(context, name, config, restore) {
    // The features are not part of its identity (it reads events, not features), as before.
    const state = restore({ monitor: config, features: [] });
    const monitor = new PerformanceMonitor(name, config, state, () => context.now());
    if (config.estimation !== undefined)
      context.metrics.estimationReferenceFailuresTotal.inc({ monitor: name }, 0);
    for (const entry of config.detectors ?? [])
      context.metrics.conceptDriftTotal.inc(
        { monitor: name, detector: typeof entry.name === "string" ? entry.name : entry.type },
        0,
      );
    return adaptMonitor(monitor, {
      name,
      sources: monitor.sources,
      add(input: MonitorInput) {
        const { detections, closed, estimated } = monitor.add(
          input.source,
          input.event as Record<string, unknown>,
          input.values,
        );
        if (detections.length > 0) context.emit({ monitor: name, detections } satisfies Detections);
        return estimated.length === 0 ? closed : [...closed, ...estimated];
      },
      observe: (m: Metrics) => exportJoin(monitor, m),
    });
  },

  checkState: checkPerformanceMonitorState,

  publish(result, m) {
    if (isDetections(result)) exportDetections(result, m);
    else if ("estimation" in result) exportEstimation(result, m);
    else if ("estimation_check" in result) {
      for (const [metric, row] of Object.entries(result.estimation_check.metrics))
        if (row?.error !== null && row?.error !== undefined)
          m.performanceEstimationError.set({ monitor: result.monitor, metric }, row.error);
    } else if ("estimation_reference" in result) {
      if (result.estimation_reference.failed !== null)
        m.estimationReferenceFailuresTotal.inc({ monitor: result.monitor });
    } else exportWindow(result, m);
  },

  alertRules: performanceAlertRules,

  verdict(result) {
    if ("estimation" in result) return formatEstimationVerdict(result);
    if ("estimation_reference" in result) return formatEstimationReference(result);
    if ("estimation_check" in result) return formatEstimationCheck(result);
    if (!isDetections(result)) return formatPerformanceVerdict(result);
    // One line per detector that fired or entered or left its warning zone (several may on one pair).
    const lines = result.detections.map((status) => formatDetection(result.monitor, status));
    return lines.length > 0 ? lines.join("\n") : null;
  },
};
