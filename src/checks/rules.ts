import { commonRuleProperties, consecutiveWindowsProperty } from "../alerts/rule-schema.js";
import { formatNumber, freshWindow, windowAnnotations, windowPhrase } from "../alerts/rules.js";
import type { AlertRuleCommon, AlertRuleKind, Condition } from "../alerts/types.js";
import { LIVE_EXPECTATIONS } from "./expectations/stream.js";
import type { ChecksResult } from "./monitor.js";

/** An expectation failed in a window (checks monitors): one alert per expectation and column. */
export interface ExpectationFailedRule extends AlertRuleCommon {
  readonly type: "expectation_failed";
  /** Only these expectation types (default: all of the suite's). */
  readonly expectations?: readonly string[];
  /** Also alert on `warn`-severity expectations (default false). */
  readonly include_warn?: boolean;
  /** Windows in a row the expectation must fail in (default 1). */
  readonly consecutive_windows?: number;
}

/** The column(s) an expectation is about, as the `feature` label: "" for table expectations. */
export function expectationFeature(kwargs: Readonly<Record<string, unknown>>): string {
  if (typeof kwargs.column === "string") return kwargs.column;
  if (typeof kwargs.column_A === "string") return `${kwargs.column_A},${kwargs.column_B}`;
  if (Array.isArray(kwargs.column_list)) return kwargs.column_list.join(",");
  return "";
}

/**
 * `expectation_failed`: one condition per failed expectation and column, after N windows in a
 * row; clock-driven expectations (freshness) are judged at each tick, in a set of their own.
 */
export const expectationFailedRule: AlertRuleKind<ChecksResult, ExpectationFailedRule> = {
  type: "expectation_failed",
  alertname: "ExpectationFailed",
  schema: {
    type: "object",
    additionalProperties: false,
    required: ["type"],
    properties: {
      type: {
        const: "expectation_failed",
        description:
          "an expectation of the suite failed in a window (checks monitors); one alert per expectation and column",
      },
      expectations: {
        type: "array",
        minItems: 1,
        uniqueItems: true,
        items: { type: "string", minLength: 1 },
        description: "only these expectation types (default all)",
      },
      include_warn: {
        type: "boolean",
        description: "also alert on expectations of severity warn (default false: only fail)",
      },
      consecutive_windows: consecutiveWindowsProperty,
      ...commonRuleProperties,
    },
  },
  clock: (result) => result.trigger === "tick",
  evaluate(rule, result, state, context) {
    // Clock-driven expectations (time since the last event) are judged on the clock alone, in a
    // condition set of their own (`clockKey`); a window judges the others, each window once.
    const clock = result.trigger === "tick";
    if (!clock && !freshWindow(state, result.window.index)) return null;
    const monitor = context.monitor;
    const win = windowAnnotations(result.window);
    const counters: Record<string, number> = {};
    const conditions: Condition[] = [];
    for (const r of result.validation.results) {
      const config = r.expectation_config;
      if (!clock && LIVE_EXPECTATIONS.has(config.type)) continue;
      if (rule.expectations !== undefined && !rule.expectations.includes(config.type)) continue;
      if (config.severity === "warn" && rule.include_warn !== true) continue;
      if (r.success) continue;
      const feature = expectationFeature(config.kwargs);
      const key = `${config.type}\u0000${feature}`;
      const n = clock ? 1 : (state.counters[key] ?? 0) + 1;
      if (!clock) counters[key] = n;
      if (n < (rule.consecutive_windows ?? 1)) continue;
      const body = r.result;
      const observed =
        body.unexpected_count !== undefined
          ? `${body.unexpected_count} unexpected of ${body.element_count} (${formatNumber(body.unexpected_percent ?? 0)}% of non-missing)`
          : `observed ${JSON.stringify(body.observed_value ?? null)?.slice(0, 200)}`;
      const error = r.exception_info.raised_exception ? `; error: ${r.exception_info.exception_message}` : "";
      conditions.push(
        context.condition(
          { expectation: config.type, feature },
          {
            summary: `${config.type} failed on "${feature || "table"}" in monitor "${monitor}"`,
            description: `${config.type} ${JSON.stringify(config.kwargs).slice(0, 300)}: ${observed}${error}${clock ? "" : `, in ${windowPhrase(win)}`}`,
            suite: result.suite,
            observed_value: JSON.stringify(body.observed_value ?? null)?.slice(0, 200) ?? "null",
            unexpected_count: String(body.unexpected_count ?? ""),
            partial_unexpected_list: JSON.stringify(body.partial_unexpected_list ?? []).slice(0, 300),
            consecutive_windows: String(n),
            ...(clock ? {} : win),
          },
          body.unexpected_percent ?? (typeof body.observed_value === "number" ? body.observed_value : 1),
        ),
      );
    }
    if (!clock) state.counters = counters;
    return conditions;
  },
};

/** The alert rule types of checks monitors. */
export const checksAlertRules = [expectationFailedRule] as const;
