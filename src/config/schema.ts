import { notifierSchema } from "../alerts/notifiers/schema.js";
import { alertingSchema } from "../alerts/schema.js";
import { monitorSchemas } from "../monitors/registry.js";
import { sources } from "../sources/registry.js";
import { featureSchema, metricsSchema, stateSchema } from "./sections.js";

// JSON Schema (draft-07) of the configuration file. The `description`s are the reference
// documentation; `schemas/config.schema.json` is this object written out for editors
// (a test keeps the two equal). Components own their branches (sources, monitor kinds, alerting);
// this file composes them.

// Each source type owns its branch (src/sources/schema.ts); the registry lists them.
const source = {
  type: "object",
  required: ["type"],
  discriminator: { propertyName: "type" },
  oneOf: Object.values(sources).map((kind) => kind.schema),
};

/**
 * The schema of a `monitors` entry: the branches of the monitor kinds (each kind gives its own),
 * picked by `type`.
 */
function monitorSchemaWith(branches: readonly object[]) {
  return {
    type: "object",
    required: ["type"],
    discriminator: { propertyName: "type" },
    oneOf: branches,
  };
}

/**
 * The configuration schema with these monitor kinds' config branches (`monitorSchemas()` of the
 * registry, which holds the kinds registered as extensions too).
 */
export function configSchemaWith(monitorBranches: readonly object[]) {
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://driftwatch.dev/schemas/config.schema.json",
    title: "driftwatch configuration",
    type: "object",
    additionalProperties: false,
    required: ["sources", "monitors"],
    properties: {
      sources: {
        type: "object",
        minProperties: 1,
        additionalProperties: source,
        description: "named event sources",
      },
      features: {
        type: "object",
        additionalProperties: featureSchema,
        description:
          "named features extracted from events (none needed by a config whose monitors read none, such as a performance monitor)",
      },
      monitors: {
        type: "object",
        minProperties: 1,
        additionalProperties: monitorSchemaWith(monitorBranches),
        description: "named monitors",
      },
      metrics: metricsSchema,
      alerting: alertingSchema,
      notifiers: {
        type: "array",
        description:
          "where alerts are sent; URLs and header values may reference environment variables as $NAME in braces",
        items: notifierSchema,
      },
      state: stateSchema,
    },
  } as const;
}

/** The configuration schema of the built-in kinds (published as `schemas/config.schema.json`). */
export const configSchema = configSchemaWith(monitorSchemas());
