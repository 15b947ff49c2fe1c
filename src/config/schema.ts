import { alertingSchema, alertsSchemaFor } from "../alerts/schema.js";
import { detectorEntrySchema } from "../detectors/registry.js";
import { outlierScorers } from "../outliers/registry.js";
import { sliceSchema } from "../performance/slices.js";
import { sources } from "../sources/registry.js";
import { testsFor } from "../stats/registry.js";
import { windowSchema as window } from "../windows/config.js";

// JSON Schema (draft-07) of the configuration file. The `description`s are the reference
// documentation; `schemas/config.schema.json` is this object written out for editors
// (a test keeps the two equal). Test names come from the registry, so a new test is accepted
// here without an edit.

const pointer = {
  type: "string",
  pattern: "^(/([^~/]|~[01])*)*$",
  description: "JSON pointer (RFC 6901) into the event, e.g. /inputs/temp_max",
};
const listen = {
  type: "string",
  pattern: "^[^\\s:]+:\\d{1,5}$|^\\[[0-9a-fA-F:]+\\]:\\d{1,5}$",
  description: "host:port to listen on, e.g. 127.0.0.1:9464",
};
const positiveInt = { type: "integer", minimum: 1 };
const positive = { type: "number", exclusiveMinimum: 0 };

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

const referenceFile = {
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
};

const referenceFirst = {
  type: "object",
  additionalProperties: false,
  required: ["type", "events"],
  properties: {
    type: { const: "first", description: "the first N events of the stream" },
    events: positiveInt,
  },
};

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

/** A monitor's `features`: names under `features`, each once. */
const featureList = (description: string) => ({
  type: "array",
  minItems: 1,
  uniqueItems: true,
  items: { type: "string" },
  description,
});

const outlierMonitor = {
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
    alerts: alertsSchemaFor("outliers"),
    top: {
      type: "integer",
      minimum: 0,
      maximum: 1000,
      description: "most extreme events kept per window and scorer (default 10)",
    },
  },
};

const checksMonitor = {
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
    alerts: alertsSchemaFor("checks"),
  },
};

const performanceMonitor = {
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
        label: { ...pointer, description: "JSON pointer to the predicted label (or value, for regression)" },
        score: {
          ...pointer,
          description: "JSON pointer to the probability of the positive label (optional)",
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
      items: detectorEntrySchema(),
      description: "concept-drift detectors on the error stream",
    },
    positive: {
      type: "string",
      description: "positive class for ROC AUC, log loss and calibration of binary scores",
    },
    alerts: alertsSchemaFor("performance"),
    level: {
      type: "number",
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      description: "confidence level of the intervals (default 0.95)",
    },
  },
};

const driftMonitor = {
  type: "object",
  additionalProperties: false,
  required: ["type", "features", "reference", "window"],
  properties: {
    type: { const: "drift", description: "data drift of features against a reference" },
    features: featureList("names under `features`"),
    reference,
    window,
    alerts: alertsSchemaFor("drift"),
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

/**
 * The schema of a `monitors` entry: the built-in kinds' branches, then those of kinds registered as
 * extensions (each kind gives its own), picked by `type`.
 */
function monitorSchemaWith(extensions: readonly object[]) {
  return {
    type: "object",
    required: ["type"],
    discriminator: { propertyName: "type" },
    oneOf: [driftMonitor, outlierMonitor, performanceMonitor, checksMonitor, ...extensions],
  };
}

/** The monitor kinds whose config branch is written here; any other kind brings its own. */
export const builtInMonitorTypes: readonly string[] = ["drift", "outliers", "performance", "checks"];

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
 * The configuration schema, with the config branches of monitor kinds registered as extensions
 * (`registerMonitorKind`).
 */
export function configSchemaWith(monitorExtensions: readonly object[]) {
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
        additionalProperties: monitorSchemaWith(monitorExtensions),
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
export const configSchema = configSchemaWith([]);
