// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${NAME}` is the config syntax for environment references, not a template
import assert from "node:assert/strict";
import { formatSlackMessage, SlackNotifier } from "../../../src/alerts/notifiers/slack.js";
import { firing, now, resolved } from "./fixtures.js";
import { type Receiver, startReceiver } from "./receiver.js";

describe("SlackNotifier", () => {
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  it("posts a readable text for a firing alert", async () => {
    receiver = await startReceiver();
    const notifier = new SlackNotifier(
      { type: "slack", url: "${SLACK_WEBHOOK_URL}" },
      { env: { SLACK_WEBHOOK_URL: `${receiver.url}/services/T0/B0/XYZ` }, now: () => now },
    );
    assert.deepEqual(await notifier.notify([firing]), { ok: true });
    assert.equal(receiver.requests[0].path, "/services/T0/B0/XYZ");
    assert.deepEqual(receiver.requests[0].body, {
      text: [
        ":warning: *[FIRING] DriftDetected* · warning",
        "monitor `orders` · feature `amount` · test `ks`",
        "statistic 0.3125 · p-value 0.000412 · window 2024-05-01T10:00:00Z → 2024-05-01T11:00:00Z",
        "amount drifted from the reference",
        "<http://driftwatch.local/monitors/orders|source>",
      ].join("\n"),
    });
  });

  it("says a resolved alert is resolved, and when", () => {
    assert.equal(
      formatSlackMessage([resolved], now),
      [
        ":white_check_mark: *[RESOLVED] DriftDetected* · warning",
        "monitor `orders` · feature `amount` · test `ks`",
        "statistic 0.3125 · p-value 0.000412 · window 2024-05-01T10:00:00Z → 2024-05-01T11:00:00Z",
        "resolved at 2024-05-01T11:59:00Z",
        "amount drifted from the reference",
        "<http://driftwatch.local/monitors/orders|source>",
      ].join("\n"),
    );
  });

  it("heads a batch with its counts and leaves out fields an alert does not have", () => {
    const bare = {
      labels: { alertname: "QualityCheckFailed", monitor: "users", severity: "critical" },
      annotations: { statistic: "0.123456789" },
      startsAt: "2024-05-01T11:00:00Z",
    };
    assert.equal(
      formatSlackMessage([bare, resolved], now).split("\n\n").slice(0, 2).join("\n\n"),
      [
        "*driftwatch: 2 alerts* (1 firing, 1 resolved)",
        ":rotating_light: *[FIRING] QualityCheckFailed* · critical\nmonitor `users`\nstatistic 0.1235",
      ].join("\n\n"),
    );
  });
});
