import { commonRuleProperties, consecutiveWindowsProperty } from "../alerts/rule-schema.js";
import { formatNumber, freshWindow, windowAnnotations, windowPhrase } from "../alerts/rules.js";
import type { AlertRuleCommon, AlertRuleKind, Condition, RuleContext, RuleState } from "../alerts/types.js";
import type { ColumnReport } from "../report/model.js";
import type { DriftResult, SegmentDriftResult } from "./monitor.js";
import { describeVerdict } from "./scope.js";
import { isReferenceThreshold } from "./thresholds.js";

/** Drift of individual features (drift monitors): one alert per drifting feature. */
export interface FeatureDriftRule extends AlertRuleCommon {
  readonly type: "feature_drift";
  /** Windows in a row a feature must drift in before the condition holds (default 1). */
  readonly consecutive_windows?: number;
  /** Only these features (default: every feature of the monitor). */
  readonly features?: readonly string[];
}

/** Dataset drift (drift monitors): the share of drifted features reached the monitor's `drift_share`. */
export interface DatasetDriftRule extends AlertRuleCommon {
  readonly type: "dataset_drift";
  /** Windows in a row the dataset must drift in (default 1). */
  readonly consecutive_windows?: number;
}

/**
 * Drifting columns ranked by how clearly they drifted: p-value tests by p-value (adjusted when a
 * correction applies) ascending, then distance tests by statistic / threshold descending; ties by
 * statistic, then name, so the order is stable.
 */
export function rankColumns(columns: readonly ColumnReport[]): ColumnReport[] {
  const p = (c: ColumnReport) => c.p_value_adjusted ?? c.p_value;
  return columns
    .filter((c) => c.drift)
    .sort((a, b) => {
      const pa = p(a);
      const pb = p(b);
      if (pa !== null && pb === null) return -1;
      if (pa === null && pb !== null) return 1;
      if (pa !== null && pb !== null && pa !== pb) return pa - pb;
      if (pa === null && pb === null) {
        const ra = a.threshold > 0 ? a.statistic / a.threshold : a.statistic;
        const rb = b.threshold > 0 ? b.statistic / b.threshold : b.statistic;
        if (ra !== rb) return rb - ra;
      }
      if (a.statistic !== b.statistic) return b.statistic - a.statistic;
      return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    });
}

function describeColumn(c: ColumnReport): string {
  const p = c.p_value_adjusted ?? c.p_value;
  if (isReferenceThreshold(c.details.reference_threshold))
    return p !== null
      ? `${c.name} (${c.test} ${formatNumber(c.statistic)}, p=${formatNumber(p)} < ${formatNumber(c.threshold)} from the reference)`
      : `${c.name} (${c.test} ${formatNumber(c.statistic)} > ${formatNumber(c.threshold)} from the reference)`;
  return p !== null
    ? `${c.name} (${c.test} ${formatNumber(c.statistic)}, p=${formatNumber(p)})`
    : `${c.name} (${c.test} ${formatNumber(c.statistic)} > ${formatNumber(c.threshold)})`;
}

function topFeatures(columns: readonly ColumnReport[], n: number): string {
  return rankColumns(columns).slice(0, n).map(describeColumn).join(", ");
}

function columnAnnotations(c: ColumnReport): Record<string, string> {
  const a: Record<string, string> = {
    test: c.test,
    statistic: formatNumber(c.statistic),
    threshold: formatNumber(c.threshold),
  };
  const own = c.details.reference_threshold;
  if (isReferenceThreshold(own))
    a.threshold_source = `reference: ${
      "quantile" in own.rule
        ? `quantile ${formatNumber(own.rule.quantile)}`
        : `mean + ${formatNumber(own.rule.std)} sd`
    } of ${own.samples} draws of ${own.window_events} events`;
  if (c.p_value !== null) a.p_value = formatNumber(c.p_value);
  if (c.p_value_adjusted !== null && c.p_value_adjusted !== c.p_value)
    a.p_value_adjusted = formatNumber(c.p_value_adjusted);
  const d = Object.entries(c.distances)
    .filter((e): e is [string, number] => typeof e[1] === "number")
    .map(([k, v]) => `${k}=${formatNumber(v)}`);
  if (d.length > 0) a.distances = d.join(", ");
  a.n_reference = String(c.n_reference);
  a.n_current = String(c.n_current);
  return a;
}

/** What both drift rules say of a window: the drifted share and the top features. */
interface WindowContext {
  readonly top: string;
  readonly win: Record<string, string>;
  readonly drifted: string;
}

/** What a window says of itself, pooled or a segment's. */
function windowContext(result: DriftResult, context: RuleContext): WindowContext {
  const { columns, dataset } = result.evaluation;
  return {
    top: topFeatures(columns, context.options.top_features ?? 5),
    // Which reference the window was compared with travels with the alert.
    win: { ...windowAnnotations(result.window), reference: result.reference },
    drifted: `${dataset.drifted_columns}/${dataset.columns}`,
  };
}

/**
 * The counter key of a segment's condition: apart from the pooled ones (`""` for the dataset, a
 * feature's name), which checkpoints written before segments keep using.
 */
function segmentKey(segment: string, feature = ""): string {
  return `\u0000${segment}\u0000${feature}`;
}

/**
 * Annotations that place a window in its segmented monitor: for the pooled window the
 * dataset-level verdict, for a segment's window its segment. None for an unsegmented monitor.
 */
function segmentAnnotations(result: DriftResult, segment?: SegmentDriftResult): Record<string, string> {
  const segments = result.segments;
  if (segments === undefined) return {};
  const verdict = {
    segment_by: segments.by,
    drift_scope: segments.verdict.scope,
    drifted_segments: segments.verdict.drifted.join(", "),
    segments_verdict: describeVerdict(segments.verdict),
  };
  return segment === undefined ? verdict : { ...verdict, segment: segment.segment };
}

/**
 * The window a drift rule counts, or null when it counts none. A scheduled evaluation looks at
 * the open, partial window: it is not one of the windows counted in a row, and it would flap
 * with the window's size. A replayed window is counted once.
 */
function countedWindow(result: DriftResult, state: RuleState, context: RuleContext): WindowContext | null {
  if (result.trigger !== "window_close") return null;
  if (!freshWindow(state, result.window.index)) return null;
  return windowContext(result, context);
}

/** `dataset_drift`: the monitor's dataset drifted in N closed windows in a row. */
export const datasetDriftRule: AlertRuleKind<DriftResult, DatasetDriftRule> = {
  type: "dataset_drift",
  alertname: "DatasetDrift",
  schema: {
    type: "object",
    additionalProperties: false,
    required: ["type"],
    properties: {
      type: {
        const: "dataset_drift",
        description: "the share of drifted features reached the monitor's drift_share (drift monitors)",
      },
      consecutive_windows: consecutiveWindowsProperty,
      ...commonRuleProperties,
    },
  },
  evaluate(rule, result, state, context) {
    const counted = countedWindow(result, state, context);
    if (counted === null) return null;
    const monitor = context.monitor;
    const counters: Record<string, number> = {};
    const conditions: Condition[] = [];
    // The pooled window (the whole monitor's, for an unsegmented one), then each segment's.
    const windows: [string, DriftResult, WindowContext, SegmentDriftResult?][] = [["", result, counted]];
    for (const segment of result.segments?.results ?? [])
      windows.push([segmentKey(segment.segment), segment, windowContext(segment, context), segment]);
    for (const [key, window, { top, win, drifted }, segment] of windows) {
      const { dataset } = window.evaluation;
      const n = dataset.drift ? (state.counters[key] ?? 0) + 1 : 0;
      if (n > 0) counters[key] = n;
      if (n === 0 || n < (rule.consecutive_windows ?? 1)) continue;
      const where =
        segment === undefined
          ? `monitor "${monitor}"`
          : `segment ${result.segments?.by}=${segment.segment} of monitor "${monitor}"`;
      const annotations = {
        summary: `dataset drift in ${where}: ${drifted} features drifted`,
        description: `${formatNumber(dataset.share)} of features drifted (bound ${formatNumber(dataset.drift_share)}) in ${windowPhrase(win)}, ${n} window(s) in a row; top features: ${top}`,
        share: formatNumber(dataset.share),
        threshold: formatNumber(dataset.drift_share),
        drifted_features: drifted,
        consecutive_windows: String(n),
        top_features: top,
        ...win,
        ...segmentAnnotations(result, segment),
      };
      const labels: Record<string, string> = segment === undefined ? {} : { segment: segment.segment };
      conditions.push(context.condition(labels, annotations, dataset.share));
    }
    state.counters = counters;
    return conditions;
  },
};

/** `feature_drift`: a feature drifted in N closed windows in a row; one condition per feature. */
export const featureDriftRule: AlertRuleKind<DriftResult, FeatureDriftRule> = {
  type: "feature_drift",
  alertname: "FeatureDrift",
  schema: {
    type: "object",
    additionalProperties: false,
    required: ["type"],
    properties: {
      type: {
        const: "feature_drift",
        description: "a feature drifted (drift monitors); one alert per feature",
      },
      consecutive_windows: consecutiveWindowsProperty,
      features: {
        type: "array",
        minItems: 1,
        uniqueItems: true,
        items: { type: "string", minLength: 1 },
        description: "only these features of the monitor (default all)",
      },
      ...commonRuleProperties,
    },
  },
  evaluate(rule, result, state, context) {
    const counted = countedWindow(result, state, context);
    if (counted === null) return null;
    const monitor = context.monitor;
    const only = rule.features && new Set(rule.features);
    const counters: Record<string, number> = {};
    const conditions: Condition[] = [];
    const windows: [DriftResult, WindowContext, SegmentDriftResult?][] = [[result, counted]];
    for (const segment of result.segments?.results ?? [])
      windows.push([segment, windowContext(segment, context), segment]);
    for (const [window, { top, win, drifted }, segment] of windows) {
      for (const c of window.evaluation.columns) {
        if (only && !only.has(c.name)) continue;
        if (!c.drift) continue;
        // Skipped columns and non-drifting ones break the run: their counters are dropped.
        const key = segment === undefined ? c.name : segmentKey(segment.segment, c.name);
        const n = (state.counters[key] ?? 0) + 1;
        counters[key] = n;
        if (n < (rule.consecutive_windows ?? 1)) continue;
        const ctx = columnAnnotations(c);
        const p = c.p_value_adjusted ?? c.p_value;
        const verdict =
          p !== null
            ? `p-value ${formatNumber(p)} < ${ctx.threshold}`
            : `statistic above threshold ${ctx.threshold}`;
        const where =
          segment === undefined
            ? `monitor "${monitor}"`
            : `segment ${result.segments?.by}=${segment.segment} of monitor "${monitor}"`;
        conditions.push(
          context.condition(
            segment === undefined ? { feature: c.name } : { feature: c.name, segment: segment.segment },
            {
              summary: `feature "${c.name}" drifted in ${where}`,
              description: `${c.test} statistic ${ctx.statistic} (${verdict}) in ${windowPhrase(win)}, ${n} window(s) in a row; ${drifted} features drifted; top features: ${top}`,
              ...ctx,
              consecutive_windows: String(n),
              drifted_features: drifted,
              top_features: top,
              ...win,
              ...segmentAnnotations(result, segment),
            },
            c.statistic,
          ),
        );
      }
    }
    state.counters = counters;
    return conditions;
  },
};

/** The alert rule types of drift monitors, in the order their schema lists them. */
export const driftAlertRules = [featureDriftRule, datasetDriftRule] as const;
