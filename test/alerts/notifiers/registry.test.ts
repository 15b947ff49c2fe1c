// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${NAME}` is the config syntax for environment references, not a template
import assert from "node:assert/strict";
import { buildNotifiers, notifierKinds } from "../../../src/alerts/notifiers/registry.js";
import { UserError } from "../../../src/errors.js";

describe("buildNotifiers", () => {
  it("builds every kind, named after its type unless named", () => {
    const env = { AM: "http://127.0.0.1:9093", SLACK: "https://hooks.slack.com/services/T/B/x" };
    const notifiers = buildNotifiers(
      [
        { type: "webhook", url: "http://127.0.0.1:1/h" },
        { type: "alertmanager", url: "${AM}" },
        { type: "slack", url: "${SLACK}" },
        { type: "faro", name: "alloy", url: "http://127.0.0.1:12347/collect" },
      ],
      { env },
    );
    assert.deepEqual(
      notifiers.map((n) => [n.name, n.endpoint]),
      [
        ["webhook", "http://127.0.0.1:1"],
        ["alertmanager", "http://127.0.0.1:9093"],
        ["slack", "https://hooks.slack.com"],
        ["alloy", "http://127.0.0.1:12347"],
      ],
    );
    assert.deepEqual(Object.keys(notifierKinds).sort(), ["alertmanager", "faro", "slack", "webhook"]);
  });

  it("reports every problem at once, naming missing variables but not values", () => {
    assert.throws(
      () =>
        buildNotifiers(
          [
            { type: "slack", url: "${SLACK_WEBHOOK_URL}" },
            {
              type: "webhook",
              url: "https://h.example.com/?t=${HOOK_TOKEN}",
              headers: { "x-key": "${KEY}" },
            },
            { type: "webhook", url: "https://h.example.com/${PRESENT}" },
          ],
          { env: { PRESENT: "present-secret", KEY: "k" } },
          "alerts/notifiers",
        ),
      (error: unknown) => {
        assert.ok(error instanceof UserError);
        assert.equal(
          error.message,
          [
            "3 problems:",
            '  alerts/notifiers/0/url: environment variable "SLACK_WEBHOOK_URL" not set or empty; export it before starting driftwatch',
            '  alerts/notifiers/1/url: environment variable "HOOK_TOKEN" not set or empty; export it before starting driftwatch',
            '  alerts/notifiers/2/name: notifier name "webhook" is already used by alerts/notifiers/1; give each a distinct "name"',
          ].join("\n"),
        );
        return true;
      },
    );
  });
});
