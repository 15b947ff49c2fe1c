import type { AlertRuleType } from "./types.js";

// JSON Schema (draft-07) fragments of the alerting config, in the style of src/config/schema.ts:
// `additionalProperties: false` everywhere, a `type` discriminator, descriptions as the reference
// docs. The config owner wires `alertsSchemaFor(<monitor type>)` under each monitor's `alerts`
// key and `alertingSchema` at the top level.

const common = {
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

const consecutive = {
  type: "integer",
  minimum: 1,
  description: "windows in a row the condition must hold in before it is active (default 1)",
};

/** The schema of each rule type, by its `type`. */
export const alertRuleSchemas: Readonly<Record<AlertRuleType, object>> = {
  feature_drift: {
    type: "object",
    additionalProperties: false,
    required: ["type"],
    properties: {
      type: {
        const: "feature_drift",
        description: "a feature drifted (drift monitors); one alert per feature",
      },
      consecutive_windows: consecutive,
      features: {
        type: "array",
        minItems: 1,
        uniqueItems: true,
        items: { type: "string", minLength: 1 },
        description: "only these features of the monitor (default all)",
      },
      ...common,
    },
  },
  dataset_drift: {
    type: "object",
    additionalProperties: false,
    required: ["type"],
    properties: {
      type: {
        const: "dataset_drift",
        description: "the share of drifted features reached the monitor's drift_share (drift monitors)",
      },
      consecutive_windows: consecutive,
      ...common,
    },
  },
  performance_below: {
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
      ...common,
    },
  },
  concept_drift: {
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
        description: "only these detector types (default all of the monitor's detectors)",
      },
      ...common,
    },
  },
  outlier_ratio_above: {
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
      ...common,
    },
  },
  expectation_failed: {
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
      consecutive_windows: consecutive,
      ...common,
    },
  },
  source_silent: {
    type: "object",
    additionalProperties: false,
    required: ["type", "source", "silent_secs"],
    properties: {
      type: {
        const: "source_silent",
        description: "no event arrived from a source for a while (any monitor)",
      },
      source: { type: "string", minLength: 1, description: "the source, by its name under sources" },
      silent_secs: {
        type: "number",
        exclusiveMinimum: 0,
        description: "seconds without an event (by arrival time) after which the condition holds",
      },
      ...common,
    },
  },
};

/** Rule types each monitor type accepts. */
export const ruleTypesByMonitor: Readonly<
  Record<"drift" | "outliers" | "performance" | "checks", readonly AlertRuleType[]>
> = {
  drift: ["feature_drift", "dataset_drift", "source_silent"],
  checks: ["expectation_failed", "source_silent"],
  outliers: ["outlier_ratio_above", "source_silent"],
  performance: ["performance_below", "concept_drift", "source_silent"],
};

function alertList(types: readonly AlertRuleType[]): object {
  return {
    type: "array",
    description: "alert rules of this monitor; each condition becomes an Alertmanager-shaped alert",
    items: {
      type: "object",
      required: ["type"],
      discriminator: { propertyName: "type" },
      oneOf: types.map((t) => alertRuleSchemas[t]),
    },
  };
}

/** `alerts: [...]` under a monitor of the given type, accepting only the rules that apply to it. */
export function alertsSchemaFor(monitor: keyof typeof ruleTypesByMonitor): object {
  return alertList(ruleTypesByMonitor[monitor]);
}

/** `alerts: [...]` accepting every rule type. */
export const alertsSchema: object = alertList(Object.keys(alertRuleSchemas) as AlertRuleType[]);

/** Top-level `alerting: {...}`: how the engine repeats and links alerts. */
export const alertingSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    repeat_interval_secs: {
      type: "number",
      exclusiveMinimum: 0,
      description:
        "a firing alert is sent again after this many seconds (default 3600); use about 60 when sending to an Alertmanager, which repeats notifications itself",
    },
    resolve_timeout_secs: {
      type: "number",
      exclusiveMinimum: 0,
      description:
        "endsAt of a firing alert is its send time plus this, so an Alertmanager resolves it if the daemon stops; must exceed repeat_interval_secs (default 4 × repeat_interval_secs)",
    },
    evaluation_interval_secs: {
      type: "number",
      exclusiveMinimum: 0,
      description: "how often pending alerts, repeats and source_silent rules are evaluated (default 15)",
    },
    generator_url: {
      type: "string",
      description:
        "template of each alert's generatorURL, e.g. https://grafana.example.com/d/drift?var-monitor={{ monitor }} (default empty)",
    },
    top_features: {
      type: "integer",
      minimum: 1,
      description: "features listed in the top_features annotation of drift alerts (default 5)",
    },
  },
  description: "how alerts are repeated, timed out and linked",
};
