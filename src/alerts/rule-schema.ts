// JSON Schema (draft-07) fragments every rule type shares, apart from `schema.ts` so that a
// kind's rule schemas can use them without importing the registry of kinds that imports them.

/** The keys every rule accepts whatever its `type`, as schema properties. */
export const commonRuleProperties = {
  name: {
    type: "string",
    pattern: "^[a-zA-Z_][a-zA-Z0-9_]*$",
    description: "the alertname label (default per type: FeatureDrift, DatasetDrift, PerformanceBelow, ...)",
  },
  for_secs: {
    type: "number",
    minimum: 0,
    description: "seconds a condition must hold before the alert fires; pending until then (default 0)",
  },
  severity: {
    enum: ["warning", "critical"],
    description: "the severity label (default warning)",
  },
  labels: {
    type: "object",
    propertyNames: { pattern: "^[a-zA-Z_][a-zA-Z0-9_]*$" },
    additionalProperties: { type: "string" },
    description:
      "extra labels for routing in an Alertmanager (team, service); alertname, monitor, severity and the rule's own labels take precedence",
  },
  annotations: {
    type: "object",
    additionalProperties: { type: "string" },
    description:
      "extra or replacement annotations (summary, description, runbook_url); {{ name }} is replaced by that label's or annotation's value",
  },
};

/** `consecutive_windows`, for rules that count windows in a row (counters in their `RuleState`). */
export const consecutiveWindowsProperty = {
  type: "integer",
  minimum: 1,
  description: "windows in a row the condition must hold in before it is active (default 1)",
};
