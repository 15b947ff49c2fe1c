import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChecksResult } from "../../src/checks/monitor.js";
import { loadConfig } from "../../src/config/load.js";
import { Logger } from "../../src/log.js";
import { resultsOf } from "../../src/monitors/results.js";
import { Pipeline } from "../../src/pipeline.js";

/**
 * A checks monitor in the daemon's pipeline, from a file source: event-time windows of a minute,
 * a volume expectation warming up and then judging a quiet minute, the bounds exported, and a
 * dead_letter expectation setting events aside with its name as the reason.
 */
const dir = mkdtempSync(join(tmpdir(), "driftwatch-checks-pipeline-"));
const T0 = Date.parse("2026-01-01T00:00:00Z");
const COUNTS = [50, 52, 48, 51, 49, 50, 53, 47, 5, 50, 50];

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function metric(pipeline: Pipeline, name: string, labels: Record<string, string>) {
  const all = await pipeline.metrics.registry.getMetricsAsJSON();
  const found = all.find((m) => m.name === name);
  return found?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

describe("checks monitor in the pipeline", () => {
  it("warms a volume expectation up, judges a quiet minute, exports its bounds and dead-letters bad events", async () => {
    const lines: string[] = [];
    let n = 0;
    COUNTS.forEach((count, minute) => {
      for (let i = 0; i < count; i++) {
        const time = new Date(T0 + minute * 60_000 + Math.floor((i * 60_000) / count)).toISOString();
        // Every 25th event lacks its amount: the suite sets those aside.
        lines.push(JSON.stringify({ id: `e${n}`, time, amount: n % 25 === 24 ? null : n % 7 }));
        n++;
      }
    });
    // One event in the next minute closes the last full one.
    lines.push(
      JSON.stringify({ id: "last", time: new Date(T0 + COUNTS.length * 60_000).toISOString(), amount: 1 }),
    );
    const suite = write(
      "suite.yaml",
      [
        "name: orders",
        "expectations:",
        "  - type: expect_column_values_to_not_be_null",
        "    kwargs: { column: amount }",
        "    dead_letter: true",
        "  - type: expect_window_event_count_to_be_within_history",
        "    kwargs: { history_windows: 10, min_history: 5, k: 3 }",
        "",
      ].join("\n"),
    );
    const config = write(
      "driftwatch.yaml",
      [
        "sources:",
        "  orders:",
        "    type: file",
        `    path: ${write("events.jsonl", `${lines.join("\n")}\n`)}`,
        "    event_time: /time",
        `    dead_letter: { path: ${join(dir, "dead.jsonl")} }`,
        "features:",
        "  amount: { source: orders, path: /amount, type: numeric }",
        "monitors:",
        "  orders-checks:",
        "    type: checks",
        "    source: orders",
        `    suite: ${suite}`,
        "    window: { type: tumbling, duration_secs: 60, time: event }",
        "    id: /id",
        `state: { dir: ${join(dir, "state")} }`,
        "",
      ].join("\n"),
    );
    const results: ChecksResult[] = [];
    const pipeline = await Pipeline.create(loadConfig(config), {
      log: new Logger("error"),
      metricsListen: null,
      onResult: resultsOf<ChecksResult>("checks", (r) => {
        if (r.trigger === "window_close") results.push(r);
      }),
    });
    await pipeline.start();
    await pipeline.finished();
    await pipeline.stop();

    assert.deepEqual(
      results.map((r) => r.window.events),
      COUNTS,
      "one window per minute, set-aside events included",
    );
    const volume = results.map((r) => r.validation.results[1]);
    assert.deepEqual(
      volume.map((r) => r.result.details?.warming_up),
      [true, true, true, true, true, false, false, false, false, false, false],
    );
    assert.deepEqual(
      volume.map((r) => r.success),
      [true, true, true, true, true, true, true, true, false, true, true],
      "the quiet minute (5 events) fails",
    );
    // History of the last window: the 10 windows before it.
    const history = COUNTS.slice(0, 10);
    const mean = history.reduce((a, b) => a + b, 0) / history.length;
    const sd = Math.sqrt(history.reduce((a, b) => a + (b - mean) ** 2, 0) / (history.length - 1));
    const labels = {
      monitor: "orders-checks",
      suite: "orders",
      expectation: "expect_window_event_count_to_be_within_history",
      feature: "",
    };
    assert.equal(
      await metric(pipeline, "driftwatch_expectation_bound", { ...labels, bound: "lower" }),
      mean - 3 * sd,
    );
    assert.equal(
      await metric(pipeline, "driftwatch_expectation_bound", { ...labels, bound: "upper" }),
      mean + 3 * sd,
    );
    assert.equal(await metric(pipeline, "driftwatch_expectation_success", labels), 1);
    assert.equal(await metric(pipeline, "driftwatch_expectation_warming_up", labels), 0);
    assert.equal(await metric(pipeline, "driftwatch_expectation_observed_value", labels), 50);

    // Events without an amount: dead-lettered with the expectation's name, counted, and unexpected.
    const missing = lines.filter((l) => l.includes('"amount":null')).length;
    const letters = readFileSync(join(dir, "dead.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.equal(letters.length, missing);
    for (const letter of letters)
      assert.equal(letter.reason, "expectation:expect_column_values_to_not_be_null");
    assert.equal(
      await metric(pipeline, "driftwatch_events_invalid_total", { source: "orders", reason: "expectation" }),
      missing,
    );
    const notNull = {
      monitor: "orders-checks",
      suite: "orders",
      expectation: "expect_column_values_to_not_be_null",
      feature: "amount",
    };
    const inWindows = results.reduce((a, r) => a + (r.validation.results[0].result.unexpected_count ?? 0), 0);
    assert.equal(inWindows, missing - (lines[lines.length - 1].includes("null") ? 1 : 0));
    assert.equal(await metric(pipeline, "driftwatch_expectation_unexpected_total", notNull), inWindows);
    const first = results.find((r) => (r.validation.results[0].result.unexpected_count ?? 0) > 0);
    assert.ok(first);
    const partial = first.validation.results[0].result.partial_unexpected_list ?? [];
    assert.ok(partial.length > 0 && partial.every((v) => v === null), "the unexpected values are the nulls");
  });
});
