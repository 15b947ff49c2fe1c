import assert from "node:assert/strict";
import { VERSION } from "@grafana/faro-core";
import { FaroNotifier, pushVerdict } from "../../../src/alerts/notifiers/faro.js";
import { firing, now, resolved } from "./fixtures.js";
import { type Receiver, startReceiver } from "./receiver.js";

const timestamp = new Date(now).toISOString();

describe("FaroNotifier", () => {
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  it("posts each alert as a Faro event, with its statistic and p-value as a measurement", async () => {
    receiver = await startReceiver();
    const notifier = new FaroNotifier(
      { type: "faro", url: `${receiver.url}/collect`, app_name: "driftwatch-test" },
      { now: () => now },
    );
    assert.deepEqual(await notifier.notify([firing, resolved]), { ok: true });
    assert.equal(receiver.requests.length, 1, "one Faro body per batch");
    const [request] = receiver.requests;
    assert.equal(request.path, "/collect");
    assert.equal(request.headers["content-type"], "application/json");
    const event = (status: string, alert: typeof firing) => ({
      name: "driftwatch_alert",
      timestamp,
      attributes: {
        status,
        ...alert.annotations,
        ...alert.labels,
        startsAt: alert.startsAt,
        ...(alert.endsAt ? { endsAt: alert.endsAt } : {}),
        generatorURL: alert.generatorURL,
      },
    });
    const measurement = (status: string) => ({
      type: "driftwatch_alert",
      values: { statistic: 0.3125, p_value: 0.000412 },
      timestamp,
      context: {
        status,
        alertname: "DriftDetected",
        monitor: "orders",
        feature: "amount",
        test: "ks",
        severity: "warning",
      },
    });
    assert.deepEqual(request.body, {
      meta: { sdk: { name: "faro", version: VERSION }, app: { name: "driftwatch-test" } },
      events: [event("firing", firing), event("resolved", resolved)],
      measurements: [measurement("firing"), measurement("resolved")],
    });
  });

  it("sends an alert without numbers as an event only, and repeats are not deduplicated", async () => {
    receiver = await startReceiver();
    const notifier = new FaroNotifier({ type: "faro", url: receiver.url }, { now: () => now });
    const plain = {
      labels: { alertname: "SourceDown", monitor: "orders" },
      annotations: {},
      startsAt: firing.startsAt,
    };
    await notifier.notify([plain]);
    await notifier.notify([plain]);
    assert.equal(receiver.requests.length, 2);
    for (const request of receiver.requests) {
      const body = request.body as {
        events: unknown[];
        measurements?: unknown;
        meta: { app: { name: string } };
      };
      assert.equal(body.events.length, 1);
      assert.equal(body.measurements, undefined);
      assert.equal(body.meta.app.name, "driftwatch");
    }
  });

  it("pushes a drift verdict as a driftwatch_drift measurement", async () => {
    receiver = await startReceiver();
    const notifier = new FaroNotifier({ type: "faro", url: receiver.url }, { now: () => now });
    const result = await pushVerdict(notifier, {
      monitor: "orders",
      feature: "amount",
      test: "ks",
      statistic: 0.3125,
      p_value: 0.000412,
      drifted: true,
      window_start: "2024-05-01T10:00:00Z",
      window_end: "2024-05-01T11:00:00Z",
    });
    assert.deepEqual(result, { ok: true });
    assert.deepEqual(receiver.requests[0].body, {
      meta: { sdk: { name: "faro", version: VERSION }, app: { name: "driftwatch" } },
      measurements: [
        {
          type: "driftwatch_drift",
          values: { statistic: 0.3125, drifted: 1, p_value: 0.000412 },
          timestamp,
          context: {
            monitor: "orders",
            feature: "amount",
            test: "ks",
            window_start: "2024-05-01T10:00:00Z",
            window_end: "2024-05-01T11:00:00Z",
          },
        },
      ],
    });
  });

  it("keeps several instances apart and off the global object", async () => {
    receiver = await startReceiver();
    const a = new FaroNotifier(
      { type: "faro", name: "faro_a", url: `${receiver.url}/a` },
      { now: () => now },
    );
    const b = new FaroNotifier(
      { type: "faro", name: "faro_b", url: `${receiver.url}/b` },
      { now: () => now },
    );
    await Promise.all([a.notify([firing]), b.notify([resolved])]);
    const paths = receiver.requests.map((r) => r.path).sort();
    assert.deepEqual(paths, ["/a", "/b"]);
    assert.equal((globalThis as Record<string, unknown>).faro, undefined);
  });

  it("reports a collector's 5xx as retryable", async () => {
    receiver = await startReceiver({ statuses: [502] });
    const notifier = new FaroNotifier({ type: "faro", url: receiver.url });
    const result = await notifier.notify([firing]);
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.retryable);
  });
});
