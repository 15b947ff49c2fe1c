import { alertsSlot, type ConfigOf, pointer, referenceFile } from "../monitors/schema.js";
import { windowSchema as window } from "../windows/config.js";

// A checks monitor's configuration: its type and its JSON Schema branch, owned here beside the
// monitor; `src/config/types.ts` re-exports the type, and the kind hands the branch to the schema.

/** The schema branch of the config entry; `alerts` is filled in by {@link checksConfigSchema}. */
export const checksSchema = {
  type: "object",
  additionalProperties: false,
  required: ["type", "source", "suite", "window"],
  properties: {
    type: {
      const: "checks",
      description:
        "runs an expectation suite (Great Expectations' format) over a source's events and windows",
    },
    source: { type: "string", description: "name of a source under `sources`" },
    suite: {
      type: "string",
      minLength: 1,
      description:
        "the suite file (YAML or JSON), relative to this file; `driftwatch suggest` writes a starter",
    },
    window: {
      description: "windows for aggregate, table and stream expectations, or { same_as: <drift monitor> }",
      anyOf: [
        window,
        {
          type: "object",
          additionalProperties: false,
          required: ["same_as"],
          properties: {
            same_as: { type: "string", description: "a drift monitor whose window this monitor uses" },
          },
        },
      ],
    },
    reference: {
      ...referenceFile,
      description:
        "events (JSON Lines, JSON, CSV) whose fields expect_schema_to_match_reference compares with",
    },
    id: {
      ...pointer,
      description: "JSON pointer to an event id; each window keeps its first ids as samples for alerts",
    },
    alerts: alertsSlot,
  },
} as const;

/**
 * A checks monitor: an expectation suite (GE's format) run over one source's events. Row-level
 * expectations judge every event; aggregate, table and stream expectations judge each window
 * (its type is its schema's).
 */
export type ChecksMonitorConfig = ConfigOf<typeof checksSchema>;

/**
 * The schema branch of a checks monitor's config entry, with `alerts` the schema of its `alerts` key
 * (the rule types the kind brings, which the alerting side composes).
 */
export function checksConfigSchema(alerts: object): Record<string, unknown> {
  return { ...checksSchema, properties: { ...checksSchema.properties, alerts } };
}
