import { positive } from "../../monitors/schema.js";

// The JSON Schema of the `notifiers` entries, owned here beside the notifiers; their config types
// (`types.ts`) are made from it and `src/config/schema.ts` composes it. The `description`s are the
// reference documentation.

const notifierName = {
  type: "string",
  minLength: 1,
  description: "name in logs and metrics (default: the type; needed when two notifiers share a type)",
} as const;

/** One notifier kind: its `type`, an optional `name`, its `url`, and any params of its own. */
function notifierVariant<
  const T extends string,
  const D extends string,
  const U extends string,
  const E extends Record<string, unknown> = Record<never, never>,
>(type: T, description: D, url: U, extra: E = {} as E) {
  return {
    type: "object",
    additionalProperties: false,
    required: ["type", "url"],
    properties: {
      type: { const: type, description },
      name: notifierName,
      url: { type: "string", minLength: 1, description: url },
      ...extra,
    },
  } as const;
}

/** POSTs Alertmanager-style JSON to a URL. */
export const webhookSchema = notifierVariant(
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
);

/** Hands alerts to an Alertmanager (`POST <url>/api/v2/alerts`), for routing, grouping and silencing. */
export const alertmanagerSchema = notifierVariant(
  "alertmanager",
  "hands alerts to an Alertmanager (POST /api/v2/alerts)",
  "base URL of the Alertmanager, e.g. http://127.0.0.1:9093",
);

/** A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat). */
export const slackSchema = notifierVariant(
  "slack",
  "a Slack-compatible incoming webhook",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: documents the literal ${NAME} syntax
  "incoming-webhook URL, from the environment: ${SLACK_WEBHOOK_URL}",
);

/** A Grafana Faro collector (e.g. Grafana Alloy's `faro.receiver`). */
export const faroSchema = notifierVariant(
  "faro",
  "a Grafana Faro collector (e.g. Alloy's faro.receiver)",
  "collector URL",
  {
    app_name: {
      type: "string",
      minLength: 1,
      description: "meta.app.name of every payload (default driftwatch)",
    },
  },
);

/** A `notifiers` entry: one of the notifier kinds, picked by `type`. */
export const notifierSchema = {
  type: "object",
  required: ["type"],
  discriminator: { propertyName: "type" },
  oneOf: [webhookSchema, alertmanagerSchema, slackSchema, faroSchema],
} as const;
