import { detectorEntrySchema } from "../detectors/registry.js";
import { alertsSlot, type ConfigOf, pointer, positive, positiveInt } from "../monitors/schema.js";
import { DEFAULT_CBPE_METRICS } from "./cbpe.js";
import { sliceSchema } from "./slices.js";

/** The most classes a prediction's `probabilities` may name; a record naming more is not used. */
export const MAX_CLASSES = 1000;

// A performance monitor's configuration: its type and its JSON Schema branch, owned here beside the
// monitor; `src/config/types.ts` re-exports the type, and the kind hands the branch to the schema.

/** The schema branch of the config entry; `alerts` is filled in by {@link performanceConfigSchema}. */
export const performanceSchema = {
  type: "object",
  additionalProperties: false,
  required: ["type", "task", "predictions", "labels", "window"],
  properties: {
    type: { const: "performance", description: "model quality from predictions joined with late labels" },
    task: { enum: ["classification", "regression"] },
    predictions: {
      type: "object",
      additionalProperties: false,
      required: ["source", "id", "label"],
      description: "where predictions come from",
      properties: {
        source: { type: "string", description: "name of a source under `sources`" },
        id: { ...pointer, description: "JSON pointer to the id that labels refer to" },
        label: {
          ...pointer,
          description: "JSON pointer to the predicted label (or value, for regression)",
        },
        score: {
          ...pointer,
          description:
            "JSON pointer to the probability of the positive label, a number (binary models; needs `positive`)",
        },
        probabilities: {
          ...pointer,
          description:
            "JSON pointer to the probability of every class: an object {label: p}, or an array in the order of `classes` (multiclass ROC AUC one-vs-rest, log loss, calibration)",
        },
        classes: {
          type: "array",
          items: { type: "string", minLength: 1 },
          minItems: 2,
          maxItems: MAX_CLASSES,
          uniqueItems: true,
          description: "the class of each entry of an array of `probabilities`, in its order",
        },
      },
    },
    labels: {
      type: "object",
      additionalProperties: false,
      required: ["source", "id", "label"],
      description: "where ground truth comes from",
      properties: {
        source: { type: "string", description: "name of a source under `sources`" },
        id: { ...pointer, description: "JSON pointer to the prediction id" },
        label: { ...pointer, description: "JSON pointer to the true label (or value)" },
      },
    },
    join: {
      type: "object",
      additionalProperties: false,
      properties: {
        ttl_secs: {
          ...positive,
          description: "how long a prediction waits for its label, and the reverse (default 86400)",
        },
        max_pending: {
          ...positiveInt,
          description: "most entries waiting per side; the oldest are evicted beyond (default 1000000)",
        },
      },
    },
    window: {
      $comment: "driftwatch:pair-window",
      type: "object",
      additionalProperties: false,
      required: ["type"],
      properties: {
        type: { const: "tumbling" },
        events: { ...positiveInt, description: "window length in joined pairs" },
        duration_secs: { ...positive, description: "window length in seconds of processing time" },
      },
      oneOf: [
        { required: ["events"], not: { required: ["duration_secs"] } },
        { required: ["duration_secs"], not: { required: ["events"] } },
      ],
    },
    slices: {
      type: "object",
      additionalProperties: sliceSchema,
      description: "declarative slices on features of the predictions source",
    },
    detectors: {
      type: "array",
      items: { ...detectorEntrySchema(), $comment: "driftwatch:detector" },
      description: "concept-drift detectors on the error stream",
    },
    positive: {
      type: "string",
      description: "positive class for ROC AUC, log loss and calibration of binary scores",
    },
    estimation: {
      type: "object",
      additionalProperties: false,
      required: ["reference", "chunk_size"],
      description:
        "performance before the labels arrive (CBPE, NannyML's confidence-based estimation): windows of predictions estimated from their calibrated probabilities",
      properties: {
        reference: {
          type: "object",
          additionalProperties: false,
          required: ["pairs"],
          properties: {
            pairs: {
              ...positiveInt,
              maximum: 1_000_000,
              description:
                "the first N joined pairs (labels known) fit the calibration, sampling errors and thresholds; at least two chunks",
            },
          },
        },
        chunk_size: {
          ...positiveInt,
          maximum: 1_000_000,
          description: "predictions per estimated window, and per reference chunk",
        },
        metrics: {
          type: "array",
          minItems: 1,
          uniqueItems: true,
          items: { enum: [...DEFAULT_CBPE_METRICS.binary] },
          description:
            "metrics to estimate (default all: roc_auc, f1, precision, recall, specificity, accuracy, and confusion_matrix for binary models)",
        },
        calibrate: {
          type: "object",
          additionalProperties: { type: "boolean" },
          description: "per class, whether to calibrate, instead of NannyML's test",
        },
      },
    },
    alerts: alertsSlot,
    level: {
      type: "number",
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      description: "confidence level of the intervals (default 0.95)",
    },
  },
} as const;

/** A performance monitor: predictions joined with late labels, windowed model metrics, detectors (its type is its schema's). */
export type PerformanceMonitorConfig = ConfigOf<
  typeof performanceSchema,
  [
    {
      pattern: { $comment: "driftwatch:pair-window" };
      output:
        | { readonly type: "tumbling"; readonly events: number }
        | { readonly type: "tumbling"; readonly duration_secs: number };
    },
    {
      pattern: { $comment: "driftwatch:detector" };
      output: { readonly type: string } & Readonly<Record<string, unknown>>;
    },
  ]
>;

/**
 * The schema branch of a performance monitor's config entry, with `alerts` the schema of its `alerts` key
 * (the rule types the kind brings, which the alerting side composes).
 */
export function performanceConfigSchema(alerts: object): Record<string, unknown> {
  return { ...performanceSchema, properties: { ...performanceSchema.properties, alerts } };
}
