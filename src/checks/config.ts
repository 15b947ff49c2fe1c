import type { AlertRuleConfig } from "../alerts/types.js";
import { pointer, referenceFile } from "../monitors/schema.js";
import { type WindowConfig, windowSchema as window } from "../windows/config.js";

// A checks monitor's configuration: its type and its JSON Schema branch, owned here beside the
// monitor; `src/config/types.ts` re-exports the type, and the kind hands the branch to the schema.

/**
 * A checks monitor: an expectation suite (GE's format) run over one source's events. Row-level
 * expectations judge every event; aggregate, table and stream expectations judge each window.
 */
export interface ChecksMonitorConfig {
  readonly type: "checks";
  /** Alert rules on this monitor's results. */
  readonly alerts?: readonly AlertRuleConfig[];
  /** The source whose events the suite validates. */
  readonly source: string;
  /** The suite file (YAML or JSON, GE's suite format), relative to the config file. */
  readonly suite: string;
  /** The windows to evaluate over, or `{ same_as: <drift monitor> }` to use that monitor's. */
  readonly window: WindowConfig | { readonly same_as: string };
  /** Events whose fields are the reference of `expect_schema_to_match_reference` (default: the first window). */
  readonly reference?: { readonly type: "file"; readonly path: string };
  /** JSON pointer to an event id; a window keeps its first ids as samples for alerts. */
  readonly id?: string;
}

/**
 * The schema branch of a checks monitor's config entry, with `alerts` the schema of its `alerts` key
 * (the rule types the kind brings, which the alerting side composes).
 */
export function checksConfigSchema(alerts: object): Record<string, unknown> {
  return {
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
      alerts,
    },
  };
}
