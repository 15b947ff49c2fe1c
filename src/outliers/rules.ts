import { commonRuleProperties } from "../alerts/rule-schema.js";
import { formatNumber, windowAnnotations, windowPhrase } from "../alerts/rules.js";
import type { AlertRuleCommon, AlertRuleKind, Condition } from "../alerts/types.js";
import type { OutlierResult, SegmentOutlierResult } from "./monitor.js";

/** A scorer's outlier ratio in a window went above a bound (outlier monitors). */
export interface OutlierRatioAboveRule extends AlertRuleCommon {
  readonly type: "outlier_ratio_above";
  /** Only this scorer (default: each scorer of the monitor, one alert each). */
  readonly scorer?: string;
  /** The condition holds while the window's outlier ratio is above this, in [0, 1]. */
  readonly above: number;
}

/** `outlier_ratio_above`: one condition per scorer whose window's ratio is above the bound. */
export const outlierRatioAboveRule: AlertRuleKind<OutlierResult, OutlierRatioAboveRule> = {
  type: "outlier_ratio_above",
  alertname: "OutlierRatioAbove",
  schema: {
    type: "object",
    additionalProperties: false,
    required: ["type", "above"],
    properties: {
      type: {
        const: "outlier_ratio_above",
        description: "a scorer's share of outliers in a window went above a bound (outlier monitors)",
      },
      scorer: {
        enum: ["robust_z", "iqr", "mahalanobis", "isolation_forest"],
        description: "only this scorer (default each of the monitor's scorers, one alert each)",
      },
      above: {
        type: "number",
        minimum: 0,
        maximum: 1,
        description: "the condition holds while the window's outlier ratio is above this",
      },
      ...commonRuleProperties,
    },
  },
  evaluate(rule, result, _state, context) {
    const monitor = context.monitor;
    const conditions: Condition[] = [];
    // The pooled window (the whole monitor's, for an unsegmented one), then each segment's.
    const windows: [OutlierResult, SegmentOutlierResult?][] = [[result]];
    for (const segment of result.segments?.results ?? []) windows.push([segment, segment]);
    for (const [window, segment] of windows) {
      const win = windowAnnotations(window.window);
      const where =
        segment === undefined
          ? `monitor "${monitor}"`
          : `segment ${result.segments?.by}=${segment.segment} of monitor "${monitor}"`;
      for (const s of window.scorers) {
        if (rule.scorer !== undefined && s.scorer !== rule.scorer) continue;
        if (!(s.ratio > rule.above)) continue;
        const ids = s.top.flatMap((e) => (e.id === null ? [] : [e.id]));
        const annotations: Record<string, string> = {
          summary: `${s.outliers} outliers (${formatNumber(s.ratio)}) by ${s.scorer} in ${where}`,
          description: `${s.outliers} of ${window.window.events} events scored above ${formatNumber(s.threshold)} by ${s.scorer}, a ratio of ${formatNumber(s.ratio)} > ${formatNumber(rule.above)}, in ${windowPhrase(win)}; most extreme: ${ids.join(", ") || "(no ids)"}`,
          ratio: formatNumber(s.ratio),
          threshold: formatNumber(rule.above),
          outliers: String(s.outliers),
          score_threshold: formatNumber(s.threshold),
          sample_ids: ids.join(", "),
          top_scores: s.top.map((e) => `${e.id ?? "?"}=${formatNumber(e.score)}`).join(", "),
          incomplete_events: String(window.incomplete),
          ...win,
          ...(segment === undefined
            ? {}
            : { segment_by: result.segments?.by ?? "", segment: segment.segment }),
        };
        const labels: Record<string, string> = { scorer: s.scorer };
        if (segment !== undefined) labels.segment = segment.segment;
        conditions.push(context.condition(labels, annotations, s.ratio));
      }
    }
    return conditions;
  },
};

/** The alert rule types of outlier monitors. */
export const outlierAlertRules = [outlierRatioAboveRule] as const;
