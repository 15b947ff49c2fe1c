import { commonRuleProperties } from "./rule-schema.js";
import type { AlertRuleKind } from "./types.js";

/** What composing a schema needs of a rule type. */
type RuleSchema = Pick<AlertRuleKind, "type" | "schema">;

// JSON Schema (draft-07) fragments of the alerting config, in the style of src/config/schema.ts:
// `additionalProperties: false` everywhere, a `type` discriminator, descriptions as the reference
// docs. A monitor's `alerts` accept the rule types its kind brings (`MonitorKind.alertRules`, each
// with its schema) and `source_silent`, which is about sources and so belongs to every monitor.

/** `source_silent`: no event from a source for a while (any monitor). */
export const sourceSilentSchema = {
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
    ...commonRuleProperties,
  },
};

function alertList(schemas: readonly object[]): Record<string, unknown> {
  return {
    type: "array",
    description: "alert rules of this monitor; each condition becomes an Alertmanager-shaped alert",
    items: {
      type: "object",
      required: ["type"],
      discriminator: { propertyName: "type" },
      oneOf: schemas,
    },
  };
}

/**
 * `alerts: [...]` of a monitor whose kind brings these rule types: theirs and `source_silent`.
 * A kind registered as an extension composes the `alerts` key of its config schema with it.
 */
export function alertsSchemaOf(rules: readonly RuleSchema[]): Record<string, unknown> {
  return alertList([...rules.map((r) => r.schema), sourceSilentSchema]);
}

/**
 * The schema of each rule type the given kinds bring (the registry's `monitorKinds`), and
 * `source_silent`'s, by `type`. The kinds are an argument rather than imported: the kinds import
 * this file for their own schema.
 */
export function alertRuleSchemas(
  kinds: Iterable<{ readonly alertRules?: readonly RuleSchema[] }>,
): Record<string, object> {
  const schemas: Record<string, object> = {};
  for (const kind of kinds) for (const rule of kind.alertRules ?? []) schemas[rule.type] = rule.schema;
  schemas.source_silent = sourceSilentSchema;
  return schemas;
}

/** `alerts: [...]` accepting every rule type of the given kinds. */
export function anyAlertsSchema(
  kinds: Iterable<{ readonly alertRules?: readonly RuleSchema[] }>,
): Record<string, unknown> {
  return alertList(Object.values(alertRuleSchemas(kinds)));
}

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
} as const;
