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
import type { WindowConfig } from "../windows/config.js";
import { type OutlierScorerName, outlierScorers } from "./registry.js";
import type { ThresholdParams } from "./threshold.js";

// An outlier monitor's configuration: its type and its JSON Schema branch, owned here beside the
// monitor; `src/config/types.ts` re-exports the types, and the kind hands the branch to the schema.

/** The schema branch of the config entry; `alerts` is filled in by {@link outliersConfigSchema}. */
export const outliersSchema = {
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
          type: {
            enum: Object.keys(outlierScorers) as OutlierScorerName[],
            description: "a registered scorer",
          },
          name: {
            type: "string",
            pattern: "^[A-Za-z0-9_.:-]{1,64}$",
            description:
              "the scorer's name in metrics and results (default: its type); gives one type twice, e.g. two forests with other settings",
          },
          threshold: {
            $comment: "driftwatch:outlier-threshold",
            type: "object",
            description: "{ percentile: 0-100 } of the reference scores (default 99) or { value: N }",
          },
        },
      },
    },
    window: {
      $comment: "driftwatch:tumbling-window",
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
    alerts: alertsSlot,
    top: {
      type: "integer",
      minimum: 0,
      maximum: 1000,
      description: "most extreme events kept per window and scorer (default 10)",
    },
    scoring_thread: {
      enum: ["worker", "main"],
      description:
        "where events are scored: `worker` (default) in blocks on a worker thread, beside the rest of the pipeline, a window's result coming up to a second after its last event; `main` as each event arrives. The same numbers either way; a segmented monitor always scores on the main thread",
    },
    ...segmentProperties,
  },
} as const;

/** An outlier monitor: scores every event against models fitted on a reference (its type is its schema's). */
export type OutlierMonitorConfig = ConfigOf<
  typeof outliersSchema,
  [
    { pattern: { $comment: "driftwatch:outlier-threshold" }; output: Readonly<ThresholdParams> },
    {
      pattern: { $comment: "driftwatch:tumbling-window" };
      output: Extract<WindowConfig, { type: "tumbling" }>;
    },
  ]
>;

/** One outlier scorer of a monitor: its registry name, its threshold, and its own params. */
export type OutlierScorerConfig = NonNullable<OutlierMonitorConfig["scorers"]>[number];

/**
 * The schema branch of an outlier monitor's config entry, with `alerts` the schema of its `alerts` key
 * (the rule types the kind brings, which the alerting side composes).
 */
export function outliersConfigSchema(alerts: object): Record<string, unknown> {
  return { ...outliersSchema, properties: { ...outliersSchema.properties, alerts } };
}
