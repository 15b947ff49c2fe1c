import type { AlertRuleConfig } from "../alerts/types.js";
import {
  featureList,
  pointer,
  positive,
  positiveInt,
  referenceFile,
  referenceFirst,
} from "../monitors/schema.js";
import { outlierScorers } from "./registry.js";

// An outlier monitor's configuration: its type and its JSON Schema branch, owned here beside the
// monitor; `src/config/types.ts` re-exports the types, and the kind hands the branch to the schema.

/** One outlier scorer of a monitor: its registry name, its threshold, and its own params. */
export interface OutlierScorerConfig {
  readonly type: "robust_z" | "iqr" | "mahalanobis" | "isolation_forest";
  /** Percentile of the reference scores (default 99) or an explicit value. */
  readonly threshold?: { readonly percentile?: number; readonly value?: number };
  readonly [param: string]: unknown;
}

/** An outlier monitor: scores every event against models fitted on a reference. */
export interface OutlierMonitorConfig {
  readonly type: "outliers";
  /** Alert rules on this monitor's results. */
  readonly alerts?: readonly AlertRuleConfig[];
  /** Numeric features of one source, in the order rows are built. */
  readonly features: readonly string[];
  readonly reference:
    | { readonly type: "file"; readonly path: string }
    | { readonly type: "first"; readonly events: number };
  /** Default: robust_z and isolation_forest. */
  readonly scorers?: readonly OutlierScorerConfig[];
  /** Tumbling windows over which outlier ratios are reported. */
  readonly window:
    | { readonly type: "tumbling"; readonly events: number }
    | { readonly type: "tumbling"; readonly duration_secs: number; readonly time?: "event" | "processing" };
  /** JSON pointer to an event id, kept for the most extreme events of each window. */
  readonly id?: string;
  /** How many of the most extreme events each window keeps per scorer (default 10). */
  readonly top?: number;
}

/**
 * The schema branch of an outlier monitor's config entry, with `alerts` the schema of its `alerts` key
 * (the rule types the kind brings, which the alerting side composes).
 */
export function outliersConfigSchema(alerts: object): Record<string, unknown> {
  return {
    type: "object",
    additionalProperties: false,
    required: ["type", "features", "reference", "window"],
    properties: {
      type: { const: "outliers", description: "scores every event for outliers against a reference" },
      features: featureList("numeric features under `features`, of one source"),
      reference: {
        type: "object",
        required: ["type"],
        discriminator: { propertyName: "type" },
        oneOf: [referenceFile, referenceFirst],
      },
      scorers: {
        type: "array",
        minItems: 1,
        description: "scorers with their params and threshold (default: robust_z and isolation_forest)",
        items: {
          type: "object",
          required: ["type"],
          properties: {
            type: { enum: Object.keys(outlierScorers), description: "a registered scorer" },
            threshold: {
              type: "object",
              description: "{ percentile: 0-100 } of the reference scores (default 99) or { value: N }",
            },
          },
        },
      },
      window: {
        type: "object",
        additionalProperties: false,
        required: ["type"],
        properties: {
          type: { const: "tumbling" },
          events: { ...positiveInt, description: "window length in events" },
          duration_secs: { ...positive, description: "window length in seconds" },
          time: {
            enum: ["event", "processing"],
            description: "which clock time windows follow (default processing)",
          },
        },
        oneOf: [
          { required: ["events"], not: { anyOf: [{ required: ["duration_secs"] }, { required: ["time"] }] } },
          { required: ["duration_secs"], not: { required: ["events"] } },
        ],
      },
      id: { ...pointer, description: "JSON pointer to an event id kept for the most extreme events" },
      alerts,
      top: {
        type: "integer",
        minimum: 0,
        maximum: 1000,
        description: "most extreme events kept per window and scorer (default 10)",
      },
    },
  };
}
