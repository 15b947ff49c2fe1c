import { commonRuleProperties } from "../alerts/rule-schema.js";
import { formatNumber, windowAnnotations, windowPhrase } from "../alerts/rules.js";
import type { AlertRuleCommon, AlertRuleKind, Condition, RuleContext, RuleState } from "../alerts/types.js";
import type { CbpeColumn } from "./cbpe.js";
import type { EstimationCheckResult, EstimationReferenceResult, EstimationResult } from "./estimation.js";
import type { DetectorStatus, PerformanceResult } from "./monitor.js";
import type { Estimate } from "./types.js";

/**
 * What the rules read: a closed window of joined pairs, or detections as they happen (the kind's
 * `PerformanceOutput`, spelled out here so that the kind imports its rules and not the reverse).
 */
type PerformanceOutput =
  | PerformanceResult
  | { readonly monitor: string; readonly detections: readonly DetectorStatus[] }
  | EstimationResult
  | EstimationReferenceResult
  | EstimationCheckResult;

/** Whether an output is a closed window of joined pairs. */
const isWindow = (output: PerformanceOutput): output is PerformanceResult => "window_metrics" in output;

/** Model metrics whose higher values are better, the ones `performance_below` can bound. */
export type BoundedMetric =
  | "accuracy"
  | "macro_precision"
  | "macro_recall"
  | "macro_f1"
  | "roc_auc"
  | "roc_auc_ovr"
  | "r2";

/** A model metric fell below a bound (performance monitors). */
export interface PerformanceBelowRule extends AlertRuleCommon {
  readonly type: "performance_below";
  readonly metric: BoundedMetric;
  /** A declared slice, or `all` (default). */
  readonly slice?: string;
  /** The closed window's metrics (default) or the cumulative ones since start. */
  readonly scope?: "window" | "cumulative";
  /** The condition holds while the metric's estimate is below this. */
  readonly below: number;
  /** Joined pairs the scope must hold before its estimate is trusted (default 1). */
  readonly min_pairs?: number;
}

/** A concept-drift detector fired (performance monitors). */
export interface ConceptDriftRule extends AlertRuleCommon {
  readonly type: "concept_drift";
  /** Only these detectors, by name (a detector's `name`, or its type; default: every detector of the monitor). */
  readonly detectors?: readonly string[];
}

/** `performance_below`: a closed window's (or the cumulative) metric is below the bound. */
export const performanceBelowRule: AlertRuleKind<PerformanceOutput, PerformanceBelowRule> = {
  type: "performance_below",
  alertname: "PerformanceBelow",
  schema: {
    type: "object",
    additionalProperties: false,
    required: ["type", "metric", "below"],
    properties: {
      type: {
        const: "performance_below",
        description: "a model metric fell below a bound (performance monitors)",
      },
      metric: {
        enum: ["accuracy", "macro_precision", "macro_recall", "macro_f1", "roc_auc", "roc_auc_ovr", "r2"],
        description:
          "a metric where higher is better; a classification metric on a regression monitor never fires",
      },
      slice: { type: "string", minLength: 1, description: "a declared slice, or all (default all)" },
      scope: {
        enum: ["window", "cumulative"],
        description: "the closed window's metrics, or the cumulative ones since start (default window)",
      },
      below: { type: "number", description: "the condition holds while the metric's estimate is below this" },
      min_pairs: {
        type: "integer",
        minimum: 1,
        description: "joined pairs the scope must hold before its estimate is trusted (default 1)",
      },
      ...commonRuleProperties,
    },
  },
  evaluate(rule, output, _state, context) {
    // Detections come between windows; the metrics are judged when a window closes.
    if (!isWindow(output)) return null;
    const result = output;
    const monitor = context.monitor;
    const win = windowAnnotations(result.window);
    const scope = rule.scope ?? "window";
    const slice = rule.slice ?? "all";
    const metrics = scope === "window" ? result.window_metrics : result.cumulative_metrics;
    const m = slice === "all" ? metrics.all : metrics.slices[slice];
    if (m === undefined || m.count < (rule.min_pairs ?? 1)) return [];
    // A classification metric on a regression monitor (or the reverse) has no estimate: no condition.
    const estimate = (m as unknown as Partial<Record<BoundedMetric, Estimate>>)[rule.metric];
    const value = estimate?.value ?? null;
    if (value === null || !(value < rule.below)) return [];
    const annotations: Record<string, string> = {
      summary: `${rule.metric} ${formatNumber(value)} < ${formatNumber(rule.below)} in monitor "${monitor}" (slice ${slice})`,
      description: `${scope} ${rule.metric} of slice ${slice} is ${formatNumber(value)} over ${m.count} joined pairs, below ${formatNumber(rule.below)}, in ${windowPhrase(win)}`,
      metric: rule.metric,
      scope,
      threshold: formatNumber(rule.below),
      pairs: String(m.count),
      task: result.task,
      ...win,
    };
    if (estimate?.interval)
      annotations.interval = `[${formatNumber(estimate.interval.low)}, ${formatNumber(estimate.interval.high)}] (${formatNumber(estimate.interval.level)})`;
    return [context.condition({ metric: rule.metric, slice }, annotations, value)];
  },
};

/** `concept_drift` on a closed window: active while the window had a detection by the detector. */
function conceptDriftOfWindow(
  rule: ConceptDriftRule,
  result: PerformanceResult,
  state: RuleState,
  context: RuleContext,
): Condition[] {
  const monitor = context.monitor;
  const win = windowAnnotations(result.window);
  const only = rule.detectors && new Set(rule.detectors);
  const pairs = new Map<string, number[]>();
  for (const d of result.drifts) {
    if (only && !only.has(d.detector)) continue;
    pairs.set(d.detector, [...(pairs.get(d.detector) ?? []), d.pair]);
  }
  // A window without a detection ends the alert: detections are events, not lasting states.
  state.counters = Object.fromEntries([...pairs.keys()].map((d) => [d, 1]));
  return [...pairs].map(([detector, at]) => {
    const status = result.detectors.find((s) => s.detector === detector);
    return context.condition(
      { detector },
      {
        summary: `concept drift detected by ${detector} in monitor "${monitor}"`,
        description: `${detector} detected drift ${at.length} time(s) on the error stream (at joined pairs ${at.join(", ")}) in ${windowPhrase(win)}`,
        detections: String(at.length),
        pairs: at.join(", "),
        ...(status?.estimate != null ? { estimate: formatNumber(status.estimate) } : {}),
        ...(status ? { total_detections: String(status.drifts) } : {}),
        ...win,
      },
      at.length,
    );
  });
}

/** `concept_drift` on detections as they happen, added to what the open window already raised. */
function conceptDriftOfDetections(
  rule: ConceptDriftRule,
  detections: readonly DetectorStatus[],
  state: RuleState,
  context: RuleContext,
): Condition[] | null {
  const monitor = context.monitor;
  const only = rule.detectors && new Set(rule.detectors);
  const fresh = detections.filter((d) => d.drift && (!only || only.has(d.detector)));
  if (fresh.length === 0) return null;
  // A detection adds to what the open window already raised; the window's close settles the set.
  for (const d of fresh) state.counters[d.detector] = 1;
  return Object.keys(state.counters).map((detector) => {
    const status = fresh.find((d) => d.detector === detector);
    return context.condition(
      { detector },
      {
        summary: `concept drift detected by ${detector} in monitor "${monitor}"`,
        description: `${detector} detected drift on the error stream in the open window`,
        ...(status?.estimate != null ? { estimate: formatNumber(status.estimate) } : {}),
        ...(status ? { total_detections: String(status.drifts) } : {}),
      },
      1,
    );
  });
}

/**
 * `concept_drift`: raised by a detection as it happens and settled by the window's close, active
 * while the closing window had a detection by that detector.
 */
export const conceptDriftRule: AlertRuleKind<PerformanceOutput, ConceptDriftRule> = {
  type: "concept_drift",
  alertname: "ConceptDrift",
  schema: {
    type: "object",
    additionalProperties: false,
    required: ["type"],
    properties: {
      type: {
        const: "concept_drift",
        description:
          "a concept-drift detector fired on the error stream (performance monitors); active until a window closes without a detection",
      },
      detectors: {
        type: "array",
        minItems: 1,
        uniqueItems: true,
        items: { type: "string", minLength: 1 },
        description:
          "only these detectors, by name (a detector's name, or its type; default all of the monitor's detectors)",
      },
      ...commonRuleProperties,
    },
  },
  evaluate(rule, output, state, context) {
    if ("detections" in output) return conceptDriftOfDetections(rule, output.detections, state, context);
    return isWindow(output) ? conceptDriftOfWindow(rule, output, state, context) : null;
  },
};

/** An estimated metric left its reference thresholds (performance monitors with `estimation`). */
export interface EstimatedPerformanceRule extends AlertRuleCommon {
  readonly type: "estimated_performance";
  /** Only these metrics (default: every estimated metric). */
  readonly metrics?: readonly CbpeColumn[];
}

/**
 * `estimated_performance`: a window of predictions' estimated metric is outside the thresholds
 * its estimation's reference set (NannyML's alert), before any label has come; judged at each
 * estimated window, one alert per metric.
 */
export const estimatedPerformanceRule: AlertRuleKind<PerformanceOutput, EstimatedPerformanceRule> = {
  type: "estimated_performance",
  alertname: "EstimatedPerformanceOutsideThresholds",
  schema: {
    type: "object",
    additionalProperties: false,
    required: ["type"],
    properties: {
      type: {
        const: "estimated_performance",
        description:
          "an estimated metric (CBPE, before labels) is outside its reference thresholds (performance monitors with estimation)",
      },
      metrics: {
        type: "array",
        minItems: 1,
        uniqueItems: true,
        items: { type: "string", minLength: 1 },
        description: "only these estimated metrics (default all)",
      },
      ...commonRuleProperties,
    },
  },
  evaluate(rule, output, _state, context) {
    if (!("estimation" in output)) return null;
    const only = rule.metrics && new Set<string>(rule.metrics);
    const { estimation } = output;
    const conditions: Condition[] = [];
    for (const [metric, row] of Object.entries(estimation.metrics)) {
      if (row === undefined || row.value === null || !row.alert || (only && !only.has(metric))) continue;
      const below = row.lower_threshold !== null && row.value < row.lower_threshold;
      const bound = (below ? row.lower_threshold : row.upper_threshold) ?? Number.NaN;
      conditions.push(
        context.condition(
          { metric },
          {
            summary: `estimated ${metric} ${formatNumber(row.value)} ${below ? "<" : ">"} ${formatNumber(bound)} in monitor "${context.monitor}"`,
            description: `estimated ${metric} of window ${estimation.index} (${estimation.predictions} predictions, no labels needed) is ${formatNumber(row.value)}, ${below ? "below" : "above"} the reference threshold ${formatNumber(bound)}`,
            metric,
            window: String(estimation.index),
            predictions: String(estimation.predictions),
            ...(row.sampling_error === null ? {} : { sampling_error: formatNumber(row.sampling_error) }),
          },
          row.value,
        ),
      );
    }
    return conditions;
  },
};

/** The alert rule types of performance monitors, in the order their schema lists them. */
export const performanceAlertRules = [
  performanceBelowRule,
  conceptDriftRule,
  estimatedPerformanceRule,
] as const;
