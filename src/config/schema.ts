import { alertingSchema } from "../alerts/schema.js";
import { monitorSchemas } from "../monitors/registry.js";
import { pointer, positive } from "../monitors/schema.js";
import { sources } from "../sources/registry.js";

// JSON Schema (draft-07) of the configuration file. The `description`s are the reference
// documentation; `schemas/config.schema.json` is this object written out for editors
// (a test keeps the two equal). Components own their branches (sources, monitor kinds, alerting);
// this file composes them.

const listen = {
  type: "string",
  pattern: "^[^\\s:]+:\\d{1,5}$|^\\[[0-9a-fA-F:]+\\]:\\d{1,5}$",
  description: "host:port to listen on, e.g. 127.0.0.1:9464",
};

// Each source type owns its branch (src/sources/schema.ts); the registry lists them.
const source = {
  type: "object",
  required: ["type"],
  discriminator: { propertyName: "type" },
  oneOf: Object.values(sources).map((kind) => kind.schema),
};

const feature = {
  type: "object",
  additionalProperties: false,
  required: ["source", "path", "type"],
  properties: {
    source: { type: "string", description: "name of a source under `sources`" },
    path: pointer,
    type: { enum: ["numeric", "categorical"] },
  },
};

const notifierName = {
  type: "string",
  minLength: 1,
  description: "name in logs and metrics (default: the type; needed when two notifiers share a type)",
};
/** One notifier kind: its `type`, an optional `name`, its `url`, and any params of its own. */
const notifierVariant = (
  type: string,
  description: string,
  url: string,
  extra: Record<string, unknown> = {},
) => ({
  type: "object",
  additionalProperties: false,
  required: ["type", "url"],
  properties: {
    type: { const: type, description },
    name: notifierName,
    url: { type: "string", minLength: 1, description: url },
    ...extra,
  },
});
const notifierSchema = {
  type: "object",
  required: ["type"],
  discriminator: { propertyName: "type" },
  oneOf: [
    notifierVariant(
      "webhook",
      "POSTs Alertmanager-style JSON to a URL",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: documents the literal ${NAME} syntax
      "receiver URL, e.g. ${ALERT_WEBHOOK_URL}",
      {
        headers: {
          type: "object",
          additionalProperties: { type: "string" },
          description: "extra request headers",
        },
        timeout_secs: { ...positive, description: "per-request timeout (default 10)" },
      },
    ),
    notifierVariant(
      "alertmanager",
      "hands alerts to an Alertmanager (POST /api/v2/alerts)",
      "base URL of the Alertmanager, e.g. http://127.0.0.1:9093",
    ),
    notifierVariant(
      "slack",
      "a Slack-compatible incoming webhook",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: documents the literal ${NAME} syntax
      "incoming-webhook URL, from the environment: ${SLACK_WEBHOOK_URL}",
    ),
    notifierVariant("faro", "a Grafana Faro collector (e.g. Alloy's faro.receiver)", "collector URL", {
      app_name: {
        type: "string",
        minLength: 1,
        description: "meta.app.name of every payload (default driftwatch)",
      },
    }),
  ],
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
    required: ["sources", "features", "monitors"],
    properties: {
      sources: {
        type: "object",
        minProperties: 1,
        additionalProperties: source,
        description: "named event sources",
      },
      features: {
        type: "object",
        minProperties: 1,
        additionalProperties: feature,
        description: "named features extracted from events",
      },
      monitors: {
        type: "object",
        minProperties: 1,
        additionalProperties: monitorSchemaWith(monitorBranches),
        description: "named monitors",
      },
      metrics: {
        type: "object",
        additionalProperties: false,
        required: ["listen"],
        properties: { listen },
        description: "the Prometheus endpoint (/metrics, /healthz, /readyz)",
      },
      alerting: alertingSchema,
      notifiers: {
        type: "array",
        description:
          "where alerts are sent; URLs and header values may reference environment variables as $NAME in braces",
        items: notifierSchema,
      },
      state: {
        type: "object",
        additionalProperties: false,
        required: ["dir"],
        properties: {
          dir: {
            type: "string",
            minLength: 1,
            description: "checkpoint directory, relative to the config file",
          },
          checkpoint_interval_secs: {
            ...positive,
            description: "how often state and offsets are checkpointed (default 5)",
          },
          persist_timeout_secs: {
            ...positive,
            description:
              "how long shutdown retries its final checkpoint, and a --once replay waits, while state or dead letters cannot be written (e.g. a full disk), before exiting with an error; a running daemon holds consumption and waits (default 20)",
          },
        },
      },
    },
  } as const;
}

/** The configuration schema of the built-in kinds (published as `schemas/config.schema.json`). */
export const configSchema = configSchemaWith(monitorSchemas());
