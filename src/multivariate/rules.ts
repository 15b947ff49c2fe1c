import { commonRuleProperties, consecutiveWindowsProperty } from "../alerts/rule-schema.js";
import { formatNumber, freshWindow, windowAnnotations, windowPhrase } from "../alerts/rules.js";
import type { AlertRuleCommon, AlertRuleKind } from "../alerts/types.js";
import type { MultivariateResult } from "./monitor.js";

/** Drift of the features taken together (multivariate monitors). */
export interface MultivariateDriftRule extends AlertRuleCommon {
  readonly type: "multivariate_drift";
  /** Windows in a row the test must find drift in (default 1). */
  readonly consecutive_windows?: number;
}

/** The features the test found separating the two samples, when it names them (the classifier). */
function separating(result: MultivariateResult): string | null {
  const importance = result.details.importance;
  if (!Array.isArray(importance) || importance.length === 0) return null;
  return importance
    .slice(0, 5)
    .map((entry) => (entry as { name: string }).name)
    .join(", ");
}

/**
 * `multivariate_drift`: the monitor's test found drift in N closed windows in a row. A window the
 * test skipped (too few complete rows) breaks the run.
 */
export const multivariateDriftRule: AlertRuleKind<MultivariateResult, MultivariateDriftRule> = {
  type: "multivariate_drift",
  alertname: "MultivariateDrift",
  schema: {
    type: "object",
    additionalProperties: false,
    required: ["type"],
    properties: {
      type: {
        const: "multivariate_drift",
        description: "the multivariate test found drift (multivariate monitors)",
      },
      consecutive_windows: consecutiveWindowsProperty,
      ...commonRuleProperties,
    },
  },
  evaluate(rule, result, state, context) {
    if (!freshWindow(state, result.window.index)) return null;
    const n = result.drift ? (state.counters[""] ?? 0) + 1 : 0;
    state.counters = n > 0 ? { "": n } : {};
    if (n < (rule.consecutive_windows ?? 1) || result.statistic === null) return [];
    const win = { ...windowAnnotations(result.window), reference: result.reference };
    const verdict =
      result.p_value !== null
        ? `p-value ${formatNumber(result.p_value)} < ${formatNumber(result.threshold as number)}`
        : `statistic outside its threshold ${formatNumber(result.threshold as number)}`;
    const features = result.features.join(", ");
    const by = separating(result);
    const annotations: Record<string, string> = {
      summary: `multivariate drift of ${features} in monitor "${context.monitor}"`,
      description: `${result.test} statistic ${formatNumber(result.statistic)} (${verdict}) in ${windowPhrase(win)}, ${n} window(s) in a row${by === null ? "" : `; separated most by ${by}`}${result.sampled ? `; on samples of ${result.reference_rows.sampled_rows} reference and ${result.current_rows.sampled_rows} window rows` : ""}`,
      test: result.test,
      statistic: formatNumber(result.statistic),
      threshold: formatNumber(result.threshold as number),
      features,
      consecutive_windows: String(n),
      ...win,
    };
    if (result.p_value !== null) annotations.p_value = formatNumber(result.p_value);
    if (by !== null) annotations.separating_features = by;
    return [context.condition({ test: result.test }, annotations, result.statistic)];
  },
};

/** The alert rule types of multivariate monitors. */
export const multivariateAlertRules = [multivariateDriftRule] as const;
