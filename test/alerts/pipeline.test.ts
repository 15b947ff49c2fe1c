import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadConfig } from "../../src/config/load.js";
import { Logger } from "../../src/log.js";
import { Pipeline } from "../../src/pipeline.js";

describe("alerting in the pipeline", () => {
  it("sends a feature-drift alert with its context to a webhook whose URL comes from the environment", async () => {
    const received: { alerts: { labels: Record<string, string>; annotations: Record<string, string> }[] }[] =
      [];
    const server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        received.push(JSON.parse(body));
        response.end("ok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as AddressInfo).port;
    process.env.DW_TEST_HOOK = `http://127.0.0.1:${port}/hook?token=secret`;
    const dir = mkdtempSync(join(tmpdir(), "driftwatch-alerting-"));
    const events = readFileSync("drift/demo/seattle-weather.jsonl", "utf8")
      .trim()
      .split("\n")
      .filter((l) => l.includes('"date":"2015-'));
    writeFileSync(join(dir, "events.jsonl"), `${events.join("\n")}\n`);
    const config = join(dir, "c.yaml");
    writeFileSync(
      config,
      `
sources:
  s: { type: file, path: events.jsonl }
features:
  temp_max: { source: s, path: /temp_max, type: numeric }
  wind: { source: s, path: /wind, type: numeric }
monitors:
  weather:
    type: drift
    features: [temp_max, wind]
    id: /date
    reference: { type: file, path: ${resolve("drift/examples/seattle-weather-2012.csv")} }
    window: { type: tumbling, events: ${events.length} }
    alerts:
      - { type: feature_drift, severity: critical }
notifiers:
  - { type: webhook, url: "\${DW_TEST_HOOK}" }
state: { dir: state }
`,
    );
    const logs: string[] = [];
    const log = new Logger("info", {}, (line) => logs.push(line));
    const pipeline = await Pipeline.create(loadConfig(config), { log, metricsListen: null });
    try {
      await pipeline.start();
      await pipeline.finished();
    } finally {
      await pipeline.stop();
      server.close();
    }
    const alerts = received.flatMap((r) => r.alerts);
    assert.equal(alerts.length, 1, "temp_max drifts, wind does not");
    const [alert] = alerts;
    assert.equal(alert.labels.alertname, "FeatureDrift");
    assert.equal(alert.labels.monitor, "weather");
    assert.equal(alert.labels.feature, "temp_max");
    assert.equal(alert.labels.severity, "critical");
    assert.equal(alert.annotations.test, "ks");
    assert.match(alert.annotations.p_value, /^\d(\.\d+)?e-\d+$|^0\.000\d+$/);
    assert.equal(alert.annotations.offsets, `line 0-${events.length - 1}`, "where the window's events are");
    assert.equal(alert.annotations.sample_ids, "2015-01-01, 2015-01-02, 2015-01-03, 2015-01-04, 2015-01-05");
    const text = await pipeline.metrics.registry.metrics();
    assert.match(text, /^driftwatch_alerts\{alertname="FeatureDrift",state="firing"\} 1$/m);
    assert.match(text, /^driftwatch_notifications_total\{notifier="webhook",outcome="sent"\} 1$/m);
    assert.ok(!logs.join("").includes("secret"), "the token never reaches a log line");
    const checkpoint = JSON.parse(readFileSync(join(dir, "state", "checkpoint.json"), "utf8"));
    assert.ok(checkpoint.alerts.engine, "the alert state is checkpointed");
  });
});
