import type { AlertRuleConfig } from "../alerts/types.js";
import { featureList, pointer, positive, referenceFile, referenceFirst } from "../monitors/schema.js";
import { testsFor } from "../stats/registry.js";
import { type WindowConfig, windowSchema as window } from "../windows/config.js";
import type { DriftOptions } from "./evaluate.js";

// A drift monitor's configuration: its type and its JSON Schema branch, owned here beside the
// monitor; `src/config/types.ts` re-exports the types, and the kind hands the branch to the schema.
// Test names come from the registry, so a new test is accepted here without an edit.

/** Where a drift monitor's reference comes from. */
export type ReferenceConfig =
  | { readonly type: "file"; readonly path: string }
  | { readonly type: "profile"; readonly path: string }
  | { readonly type: "first"; readonly events: number };

/** A drift monitor: the report's engine applied to windows of a stream. */
export interface DriftMonitorConfig extends Partial<DriftOptions> {
  /** Alert rules on this monitor's results. */
  readonly alerts?: readonly AlertRuleConfig[];
  readonly type: "drift";
  readonly features: readonly string[];
  readonly reference: ReferenceConfig;
  readonly window: WindowConfig;
  /** Cron expression (node-cron) for extra evaluations of the open window. */
  readonly schedule?: string;
  /** JSON pointer to an event id; a window keeps its first ids as samples for alerts. */
  readonly id?: string;
}

/** Where a drift monitor's reference comes from: a file, a profile or the first events. */
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
  ],
};

/**
 * The schema branch of a drift monitor's config entry, with `alerts` the schema of its `alerts` key
 * (the rule types the kind brings, which the alerting side composes).
 */
export function driftConfigSchema(alerts: object): Record<string, unknown> {
  return {
    type: "object",
    additionalProperties: false,
    required: ["type", "features", "reference", "window"],
    properties: {
      type: { const: "drift", description: "data drift of features against a reference" },
      features: featureList("names under `features`"),
      reference,
      window,
      alerts,
      id: {
        ...pointer,
        description: "JSON pointer to an event id; each window keeps its first ids as samples for alerts",
      },
      schedule: {
        type: "string",
        description: "cron expression (node-cron) for extra evaluations of the open window",
      },
      numeric_test: {
        enum: testsFor("numeric"),
        description: "test for numeric features (default ks), as --numeric-test",
      },
      categorical_test: {
        enum: testsFor("categorical"),
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
        type: "number",
        minimum: 0,
        maximum: 1,
        description: "effect-size floor for p-value tests (default 0)",
      },
    },
  };
}
