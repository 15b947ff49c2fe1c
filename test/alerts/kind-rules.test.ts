import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../src/config/load.js";
import { Logger } from "../../src/log.js";
import { monitorKinds, registerMonitorKind } from "../../src/monitors/registry.js";
import { Pipeline } from "../../src/pipeline.js";
import { eventCounterKind as counterKind } from "../support/toy-kind.js";

const dir = mkdtempSync(join(tmpdir(), "driftwatch-kind-rules-"));

function configWith(alerts: string, lines: number, hook = "http://127.0.0.1:9/none"): string {
  writeFileSync(join(dir, "events.jsonl"), Array.from({ length: lines }, (_, i) => `{"i":${i}}\n`).join(""));
  const file = join(dir, "driftwatch.yaml");
  writeFileSync(
    file,
    `sources:\n  events: { type: file, path: events.jsonl }\nfeatures:\n  i: { source: events, path: /i, type: numeric }\nmonitors:\n  counter: { type: event_counter, source: events, events: 2, alerts: ${alerts} }\nnotifiers:\n  - { type: webhook, url: "${hook}" }\nstate: { dir: state }\n`,
  );
  return file;
}

describe("alert rules of a registered kind", () => {
  let server: Server;
  let hook: string;
  const received: { labels: Record<string, string>; annotations: Record<string, string> }[] = [];

  before(async () => {
    registerMonitorKind(counterKind);
    server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        received.push(...JSON.parse(body).alerts);
        response.end("ok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  after(() => {
    delete monitorKinds[counterKind.type];
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("accepts its own rule types and source_silent under its monitors, and refuses another kind's", () => {
    loadConfig(
      configWith("[{ type: windows_closed }, { type: source_silent, source: events, silent_secs: 60 }]", 1),
    );
    assert.throws(
      () => loadConfig(configWith("[{ type: feature_drift }]", 1)),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.some((p) => p.path.startsWith("/monitors/counter/alerts/0")),
    );
  });

  it("sends the alerts its rules raise, counting windows in a row in the checkpointed rule state", async () => {
    const config = configWith(
      "[{ type: windows_closed, consecutive_windows: 3, severity: critical, labels: { team: toys } }]",
      8,
      hook,
    );
    const pipeline = await Pipeline.create(loadConfig(config), {
      log: new Logger("error"),
      metricsListen: null,
    });
    try {
      await pipeline.start();
      await pipeline.finished();
    } finally {
      await pipeline.stop();
    }
    const text = await pipeline.metrics.registry.metrics();
    assert.match(text, /^driftwatch_alerts\{alertname="WindowsClosed",state="firing"\} 1$/m);
    // The third window in a row raises the alert; the fourth keeps it firing.
    const [alert, ...others] = received;
    assert.equal(others.length, 0, "a firing alert is sent once until its repeat interval");
    assert.deepEqual(alert.labels, {
      team: "toys",
      alertname: "WindowsClosed",
      monitor: "counter",
      severity: "critical",
    });
    assert.equal(alert.annotations.in_a_row, "3");
    assert.equal(alert.annotations.events, "2");
    assert.equal(alert.annotations.value, "3");
    assert.match(alert.annotations.summary, /3 windows closed in monitor "counter"/);
    const checkpoint = JSON.parse(readFileSync(join(dir, "state", "checkpoint.json"), "utf8"));
    assert.deepEqual(checkpoint.alerts.rules.counter, {
      "counter/alerts/0": { counters: { "": 4 }, last_index: 3 },
    });
  });
});
