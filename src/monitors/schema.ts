import type { DeserializationPattern, FromSchema, JSONSchema } from "json-schema-to-ts";
import type { AlertRuleConfig } from "../alerts/types.js";
import type { WindowConfig } from "../windows/config.js";

// JSON Schema fragments the monitor kinds' config branches share (each kind's branch lives in its
// own `config.ts`; `src/config/schema.ts` composes them through the kind registry), and the one
// way a kind's config type is made: from its schema branch.

/** A JSON pointer into an event. */
export const pointer = {
  type: "string",
  pattern: "^(/([^~/]|~[01])*)*$",
  description: "JSON pointer (RFC 6901) into the event, e.g. /inputs/temp_max",
} as const;
/** An integer of at least 1. */
export const positiveInt = { type: "integer", minimum: 1 } as const;
/** A number above 0. */
export const positive = { type: "number", exclusiveMinimum: 0 } as const;

/** A reference read from a file of events. */
export const referenceFile = {
  type: "object",
  additionalProperties: false,
  required: ["type", "path"],
  properties: {
    type: {
      const: "file",
      description: "a CSV, JSON Lines, JSON or Parquet file whose columns are named like the features",
    },
    path: { type: "string", minLength: 1 },
  },
} as const;

/** A reference made of the first events of the stream. */
export const referenceFirst = {
  type: "object",
  additionalProperties: false,
  required: ["type", "events"],
  properties: {
    type: { const: "first", description: "the first N events of the stream" },
    events: positiveInt,
  },
} as const;

/** The keys a segmented monitor kind (`segment_by`: drift, outliers) adds to its config branch; `monitors/segments.ts` checks and applies them. */
export const segmentProperties = {
  segment_by: {
    type: "string",
    minLength: 1,
    description:
      "a categorical feature of the same source: each window is cut by its value into segments, each compared with its own reference when the reference has that column (else with the shared one)",
  },
  max_segments: {
    type: "integer",
    minimum: 1,
    maximum: 1000,
    description:
      "segments of their own at most (default 20): the values with the most reference rows, or else the first seen; the others are pooled in __other__",
  },
} as const;

/** A monitor's `features`: names under `features`, each once. */
export const featureList = <D extends string>(description: D) =>
  ({
    type: "array",
    minItems: 1,
    uniqueItems: true,
    items: { type: "string" },
    description,
  }) as const;

/**
 * The place of a kind's `alerts` key in its schema branch: the kind hands its branch to the
 * config schema with the schema of its own rule types here (`alertsSchemaOf`), and its config type
 * reads the key as alert rules.
 */
export const alertsSlot = { $comment: "driftwatch:alerts" } as const;

/**
 * The TypeScript type of a config schema branch: what the schema accepts, so that a key added to
 * the schema is in the type with nothing else to edit. Sub-schemas marked with a `$comment` are
 * typed by their owners, where the schema alone is looser than what the code relies on: `alerts`
 * (the rule types' own configs), a window (`WindowConfig`, narrowed by the windows' cross-checks),
 * and the `leaves` a kind adds (registry entries such as detectors, typed by their registry).
 */
export type ConfigOf<S extends JSONSchema, Leaves extends DeserializationPattern[] = []> = FromSchema<
  S,
  {
    deserialize: [
      { pattern: typeof alertsSlot; output: readonly AlertRuleConfig[] },
      { pattern: { $comment: "driftwatch:window" }; output: WindowConfig },
      ...Leaves,
    ];
  }
>;
