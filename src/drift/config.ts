import {
  alertsSlot,
  type ConfigOf,
  featureList,
  pointer,
  positive,
  positiveInt,
  referenceFile,
  referenceFirst,
  segmentProperties,
} from "../monitors/schema.js";
import { type DriftTestName, driftTests, testsFor } from "../stats/registry.js";
import { windowSchema as window } from "../windows/config.js";
import { thresholdsSchema } from "./thresholds.js";

// A drift monitor's configuration: its type and its JSON Schema branch, owned here beside the
// monitor; `src/config/types.ts` re-exports the types, and the kind hands the branch to the schema.
// Test names come from the registry, so a new test is accepted here without an edit.

/** Where a drift monitor's reference comes from: a file, a profile, the first events or the last windows. */
const reference = {
  type: "object",
  required: ["type"],
  discriminator: { propertyName: "type" },
  oneOf: [
    referenceFile,
    {
      type: "object",
      additionalProperties: false,
      required: ["type", "path"],
      properties: {
        type: { const: "profile", description: "a reference profile written by `driftwatch profile`" },
        path: { type: "string", minLength: 1 },
      },
    },
    referenceFirst,
    {
      type: "object",
      additionalProperties: false,
      required: ["type", "windows"],
      properties: {
        type: {
          const: "rolling",
          description:
            "the K windows before each window, for slow seasonal data: the first K windows build it and are not compared",
        },
        windows: { ...positiveInt, maximum: 1000, description: "K, the windows the reference holds" },
      },
    },
  ],
} as const;

/** The p-value tests, whose effect sizes `min_effect` may floor one by one. */
const pValueTests = (Object.keys(driftTests) as DriftTestName[]).filter(
  (name) => driftTests[name].decision === "p_value",
);

const effectFloor = { type: "number", minimum: 0, maximum: 1 } as const;

/** The schema branch of a drift monitor's config entry; `alerts` is filled in by {@link driftConfigSchema}. */
export const driftSchema = {
  type: "object",
  additionalProperties: false,
  required: ["type", "features", "reference", "window"],
  properties: {
    type: { const: "drift", description: "data drift of features against a reference" },
    features: featureList("names under `features`"),
    reference,
    window,
    alerts: alertsSlot,
    id: {
      ...pointer,
      description: "JSON pointer to an event id; each window keeps its first ids as samples for alerts",
    },
    schedule: {
      type: "string",
      description: "cron expression (node-cron) for extra evaluations of the open window",
    },
    numeric_test: {
      enum: testsFor("numeric") as readonly DriftTestName[],
      description: "test for numeric features (default ks), as --numeric-test",
    },
    categorical_test: {
      enum: testsFor("categorical") as readonly DriftTestName[],
      description: "test for categorical features (default chi2), as --categorical-test",
    },
    alpha: {
      type: "number",
      exclusiveMinimum: 0,
      maximum: 1,
      description: "significance level (default 0.05)",
    },
    threshold: { ...positive, description: "threshold of distance tests (default 0.1)" },
    correction: {
      enum: ["none", "bonferroni", "fdr"],
      description: "multiple-testing correction across features (default none)",
    },
    drift_share: {
      type: "number",
      minimum: 0,
      maximum: 1,
      description: "dataset drift when this share of features drifts (default 0.5)",
    },
    min_effect: {
      description:
        "an effect-size floor for p-value tests (default 0, none): one number in [0, 1] for every test, or one per test in its own unit (ks: D; chi2: Cramér's V; chi2_gof: Cohen's w; z: |Δp|)",
      anyOf: [
        effectFloor,
        {
          type: "object",
          additionalProperties: false,
          properties: Object.fromEntries(pValueTests.map((name) => [name, effectFloor])) as Record<
            DriftTestName,
            typeof effectFloor
          >,
        },
      ],
    },
    thresholds: thresholdsSchema,
    mode: {
      enum: ["exact", "sketch"],
      description:
        "exact (default) keeps every numeric value of a window (scipy-exact KS); sketch keeps a KLL quantile sketch per numeric feature and at most `sketch.max_categories` categories per categorical one, so a window's memory does not grow with its length (KS D within the bound reported in `details.d_error_bound`)",
    },
    sketch: {
      type: "object",
      additionalProperties: false,
      description: "parameters of `mode: sketch` (ignored in exact mode)",
      properties: {
        k: {
          type: "integer",
          minimum: 8,
          maximum: 65536,
          description:
            "KLL accuracy parameter (default 1000): about 3k values kept per numeric feature; the rank error falls as about 1/k",
        },
        max_categories: {
          type: "integer",
          minimum: 1,
          maximum: 1000000,
          description:
            "categories kept per categorical feature and window (default 10000): the most frequent; the rest are pooled in `__other__`",
        },
      },
    },
    ...segmentProperties,
  },
} as const;

/** A drift monitor: the report's engine applied to windows of a stream (its type is its schema's). */
export type DriftMonitorConfig = ConfigOf<typeof driftSchema>;

/** Where a drift monitor's reference comes from. */
export type ReferenceConfig = DriftMonitorConfig["reference"];

/**
 * The schema branch of a drift monitor's config entry, with `alerts` the schema of its `alerts` key
 * (the rule types the kind brings, which the alerting side composes).
 */
export function driftConfigSchema(alerts: object): Record<string, unknown> {
  return { ...driftSchema, properties: { ...driftSchema.properties, alerts } };
}
