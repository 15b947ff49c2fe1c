// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${NAME}` is the config syntax for environment references, not a template
import assert from "node:assert/strict";
import { WebhookNotifier, webhookPayload } from "../../../src/alerts/notifiers/webhook.js";
import { firing, now, resolved } from "./fixtures.js";
import { type Receiver, startReceiver } from "./receiver.js";

describe("WebhookNotifier", () => {
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  it("posts Alertmanager-style JSON with a status per alert and for the batch", async () => {
    receiver = await startReceiver();
    const notifier = new WebhookNotifier(
      {
        type: "webhook",
        url: "${HOOK_URL}/hook?token=${HOOK_TOKEN}",
        headers: { authorization: "Bearer ${HOOK_TOKEN}" },
      },
      { env: { HOOK_URL: receiver.url, HOOK_TOKEN: "tok-123" }, now: () => now },
    );
    assert.deepEqual(await notifier.notify([firing, resolved]), { ok: true });
    const [request] = receiver.requests;
    assert.equal(request.method, "POST");
    assert.equal(request.path, "/hook?token=tok-123");
    assert.equal(request.headers["content-type"], "application/json");
    assert.equal(request.headers.authorization, "Bearer tok-123");
    assert.deepEqual(request.body, {
      version: "1",
      status: "firing",
      alerts: [
        { status: "firing", ...firing },
        { status: "resolved", ...resolved },
      ],
    });
    assert.equal(notifier.name, "webhook");
    assert.equal(notifier.endpoint, receiver.url);
  });

  it("reports a batch whose alerts have all ended as resolved", () => {
    assert.equal(webhookPayload([resolved], now).status, "resolved");
    assert.equal(webhookPayload([firing], now).status, "firing");
    // An endsAt in the future is when the alert will end, not an end.
    assert.equal(webhookPayload([{ ...firing, endsAt: "2024-05-01T13:00:00Z" }], now).status, "firing");
  });

  it("says a 5xx is retryable and a 4xx is not, without the URL's path in the reason", async () => {
    receiver = await startReceiver({ statuses: [503, 400] });
    const notifier = new WebhookNotifier({ type: "webhook", url: `${receiver.url}/secret-path-xyz` });
    const first = await notifier.notify([firing]);
    assert.deepEqual(first, {
      ok: false,
      retryable: true,
      reason: "HTTP 503: status 503 from the test receiver",
    });
    const second = await notifier.notify([firing]);
    assert.deepEqual(second, {
      ok: false,
      retryable: false,
      reason: "HTTP 400: status 400 from the test receiver",
    });
  });

  it("times out as a retryable failure", async () => {
    receiver = await startReceiver({ delayMs: 2_000 });
    const notifier = new WebhookNotifier({ type: "webhook", url: receiver.url, timeout_secs: 0.2 });
    const started = Date.now();
    assert.deepEqual(await notifier.notify([firing]), {
      ok: false,
      retryable: true,
      reason: "timed out after 0.2s",
    });
    assert.ok(Date.now() - started < 1_500, "the timeout bounds the request");
  });

  it("reports a refused connection as retryable", async () => {
    receiver = await startReceiver();
    const url = `${receiver.url}/path-with-token-abc`;
    await receiver.close();
    receiver = undefined;
    const result = await new WebhookNotifier({ type: "webhook", url }).notify([firing]);
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.retryable);
    assert.ok(!result.ok && /ECONNREFUSED/.test(result.reason), JSON.stringify(result));
    assert.ok(!result.ok && !result.reason.includes("token-abc"));
  });
});
