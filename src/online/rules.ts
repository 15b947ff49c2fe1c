import { commonRuleProperties } from "../alerts/rule-schema.js";
import { formatNumber } from "../alerts/rules.js";
import type { AlertRuleCommon, AlertRuleKind } from "../alerts/types.js";
import type { OnlineDetection, OnlineResult } from "./monitor.js";

/** An online detector found drift (online drift monitors). */
export interface OnlineDriftRule extends AlertRuleCommon {
  readonly type: "online_drift";
}

/** The window sizes whose statistic exceeded the threshold at a detection, with both numbers. */
export function exceeded(result: OnlineDetection): string {
  return result.window_sizes
    .flatMap((size, i) => {
      const statistic = result.statistics[i];
      const threshold = result.thresholds[i];
      return statistic !== null && threshold !== null && statistic >= threshold
        ? [`window ${size}: ${formatNumber(statistic)} ≥ ${formatNumber(threshold)}`]
        : [];
    })
    .join(", ");
}

/**
 * `online_drift`: active from a detection until every window of the detector has refilled with
 * events after it without another detection (the monitor's `recovered` result).
 */
export const onlineDriftRule: AlertRuleKind<OnlineResult, OnlineDriftRule> = {
  type: "online_drift",
  alertname: "OnlineDrift",
  schema: {
    type: "object",
    additionalProperties: false,
    required: ["type"],
    properties: {
      type: {
        const: "online_drift",
        description:
          "the online detector found drift (online_drift monitors); active until its windows refill without another detection",
      },
      ...commonRuleProperties,
    },
  },
  evaluate(_rule, result, _state, context) {
    if (result.kind === "summary" || result.kind === "reference_failed") return null;
    if (result.kind === "recovered") return [];
    const where =
      result.position === null ? "" : ` (${result.position.key} offset ${result.position.offset})`;
    const annotations: Record<string, string> = {
      summary: `online drift of feature "${result.feature}" in monitor "${context.monitor}"`,
      description: `${result.detector} detector: ${exceeded(result)} at event ${result.events}${where}, ${result.t} events after the start or the last detection; thresholds calibrated for one false alarm per ${formatNumber(result.ert)} events`,
      detector: result.detector,
      run_length: String(result.t),
      ert: formatNumber(result.ert),
      detections: String(result.detections),
      exceeded: exceeded(result),
    };
    if (result.event_time !== null) annotations.event_time = new Date(result.event_time).toISOString();
    const top = Math.max(
      ...result.statistics.map((s, i) => {
        const threshold = result.thresholds[i];
        return s === null || threshold === null || threshold === 0 ? 0 : s / threshold;
      }),
    );
    return [context.condition({ feature: result.feature }, annotations, top)];
  },
};

/** The alert rule types of online drift monitors. */
export const onlineAlertRules = [onlineDriftRule] as const;
