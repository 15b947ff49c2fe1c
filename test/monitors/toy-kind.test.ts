import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../src/config/load.js";
import { Logger } from "../../src/log.js";
import { monitorKinds, registerMonitorKind } from "../../src/monitors/registry.js";
import type { MonitorResult } from "../../src/monitors/types.js";
import { Pipeline } from "../../src/pipeline.js";
import { eventCounterKind as counterKind } from "../support/toy-kind.js";

const dir = mkdtempSync(join(tmpdir(), "driftwatch-toy-kind-"));

function configWith(monitor: string, lines: number): string {
  writeFileSync(join(dir, "events.jsonl"), Array.from({ length: lines }, (_, i) => `{"i":${i}}\n`).join(""));
  const file = join(dir, "driftwatch.yaml");
  writeFileSync(
    file,
    `sources:\n  events: { type: file, path: events.jsonl }\nfeatures:\n  i: { source: events, path: /i, type: numeric }\nmonitors:\n  counter: ${monitor}\nstate: { dir: state }\n`,
  );
  return file;
}

describe("registerMonitorKind", () => {
  before(() => registerMonitorKind(counterKind));
  after(() => {
    delete monitorKinds[counterKind.type];
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a second kind under a type already taken", () => {
    assert.throws(
      () => registerMonitorKind({ ...counterKind }),
      /monitor kind event_counter is already registered/,
    );
    assert.throws(
      () => registerMonitorKind({ ...monitorKinds.drift }),
      /monitor kind drift is already registered/,
    );
  });

  it("checks a registered kind's config with the schema and the cross-checks it brings", () => {
    assert.throws(
      () => loadConfig(configWith("{ type: event_counter, source: events, events: 0 }", 1)),
      (error: unknown) =>
        error instanceof ConfigError && error.problems.some((p) => p.path === "/monitors/counter/events"),
    );
    assert.throws(
      () => loadConfig(configWith("{ type: event_counter, source: evnets, events: 2 }", 1)),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.some(
          (p) =>
            p.path === "/monitors/counter/source" &&
            /unknown source "evnets" \(did you mean "events"\?\)/.test(p.message),
        ),
    );
  });

  it("runs a registered kind in the pipeline: routed events, its metric on /metrics, its verdicts and its checkpointed state", async () => {
    const config = configWith("{ type: event_counter, source: events, events: 3 }", 10);
    const results: MonitorResult[] = [];
    const pipeline = await Pipeline.create(loadConfig(config), {
      log: new Logger("error"),
      metricsListen: "127.0.0.1:0",
      onResult: (result) => results.push(result),
    });
    await pipeline.start();
    try {
      await pipeline.finished();
      const text = await (await fetch(`http://127.0.0.1:${pipeline.metricsPort}/metrics`)).text();
      assert.match(text, /^toy_windows_closed\{monitor="counter"\} 3$/m);
      assert.match(text, /^driftwatch_events_total\{source="events",outcome="valid"\} 10$/m);
    } finally {
      await pipeline.stop();
    }
    assert.deepEqual(
      results.map(({ kind, result }) => kind.verdict(result)),
      ["[counter] window 0: 3 events", "[counter] window 1: 3 events", "[counter] window 2: 3 events"],
    );

    // A restart restores its state from the checkpoint: one more event closes the fourth window.
    writeFileSync(join(dir, "events.jsonl"), Array.from({ length: 12 }, (_, i) => `{"i":${i}}\n`).join(""));
    const again: MonitorResult[] = [];
    const restarted = await Pipeline.create(loadConfig(config), {
      log: new Logger("error"),
      metricsListen: null,
      onResult: (result) => again.push(result),
    });
    await restarted.start();
    await restarted.finished();
    await restarted.stop();
    assert.deepEqual(
      again.map(({ result }) => result),
      [{ monitor: "counter", window: 3, events: 3 }],
    );
  });
});
