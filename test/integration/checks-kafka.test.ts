import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Admin, type IHeaders, Kafka, logLevel, Partitioners, type Producer } from "kafkajs";
import { fieldsOf, shapeOf } from "../../src/checks/expectations/stream.js";
import { expectationFeature } from "../../src/checks/rules.js";
import { loadSuite, validateSuite } from "../../src/checks/suite.js";
import { ColumnTable } from "../../src/checks/table.js";
import type { ExpectationResult } from "../../src/checks/types.js";
import { killAllDaemons, poll, startDaemon } from "../support/daemon.js";
import { createTopic, type KafkaBroker, startKafka } from "../support/kafka.js";

/**
 * The checks monitor on a real broker: the demo's suite (checks/weather.yaml) over a schema-less
 * source, with its `dead_letter` expectation sending bad dates to a dead-letter topic; the
 * expectation metrics of a window equal the engine's results on the same rows; and a kill -9 in
 * the middle of a window loses and repeats nothing.
 */
const SUITE = resolve("checks/weather.yaml");
const REFERENCE = resolve("drift/weather/reference.csv");
const DEMO: Record<string, unknown>[] = readFileSync("drift/demo/seattle-weather.jsonl", "utf8")
  .trimEnd()
  .split("\n")
  .map((line) => JSON.parse(line) as Record<string, unknown>);
const WINDOW = 400;
const PROCESS_MS = 20_000;
const MONITOR = "weather-checks";
const SUITE_NAME = "weather";

/** Demo days from `from` on, with one bad value of each kind the suite looks for in every 200 events. */
function events(from: number, n: number): Record<string, unknown>[] {
  return DEMO.slice(from, from + n).map((e, i) => {
    const k = (from + i) % 200;
    if (k === 17) return { ...e, date: `${String(e.date).slice(0, 5)}13${String(e.date).slice(7)}` }; // no 13th month
    if (k === 51) return { ...e, temp_max: 99 };
    if (k === 88) return { ...e, weather: "hail" };
    if (k === 120) return { ...e, temp_min: (e.temp_max as number) + 5 };
    return e;
  });
}

/**
 * The rows as the daemon's first window sees them: their fields, and no reference yet (the first
 * window becomes the schema's reference, so that expectation warms up).
 */
function firstWindow(rows: readonly Record<string, unknown>[]): ColumnTable {
  const table = ColumnTable.fromRows(rows);
  const data = Object.fromEntries(table.columns.map((c) => [c, table.column(c)]));
  return new ColumnTable(table.rows, data, table.columns, false, {
    now: Date.now(),
    last_arrival: Date.now(),
    fields: fieldsOf(rows.map(shapeOf)),
    reference_fields: null,
  });
}

/** The success gauge a result gives: 1 or 0, absent while the expectation warms up. */
function successOf(r: ExpectationResult): number | undefined {
  if ((r.result.details as { warming_up?: boolean } | undefined)?.warming_up === true) return undefined;
  return r.success ? 1 : 0;
}

function header(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return value === undefined ? undefined : Array.isArray(value) ? String(value[0]) : String(value);
}

describe("checks monitor against a Kafka broker", () => {
  let kafka: KafkaBroker | undefined;
  let client: Kafka;
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  let work = "";

  before(async function () {
    this.timeout(6 * 60_000);
    assert.ok(existsSync("dist/cli/main.js"), "run `npm run build` first (npm test does)");
    kafka = await startKafka();
    client = new Kafka({ clientId: "checks-kafka-test", brokers: kafka.brokers, logLevel: logLevel.WARN });
    admin = client.admin();
    await admin.connect();
    producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    work = mkdtempSync(join(tmpdir(), "driftwatch-checks-kafka-"));
  });

  afterEach(async () => {
    await killAllDaemons();
  });

  after(async function () {
    this.timeout(90_000);
    await killAllDaemons();
    await producer?.disconnect().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    await kafka?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function produce(topic: string, rows: readonly Record<string, unknown>[]): Promise<void> {
    const messages = rows.map((r) => ({ key: String(r.date), value: JSON.stringify(r) }));
    for (let i = 0; i < messages.length; i += 500)
      await producer?.send({ topic, acks: -1, messages: messages.slice(i, i + 500) });
  }

  function writeConfig(topic: string, interval: number): string {
    const path = join(work, `${topic}.yaml`);
    writeFileSync(
      path,
      [
        "sources:",
        "  weather:",
        "    type: kafka",
        `    brokers: [${kafka?.brokers.join(", ")}]`,
        `    topic: ${topic}`,
        `    group_id: ${topic}`,
        "    session_timeout_secs: 6",
        `    dead_letter: { topic: ${topic}.dlq }`,
        "features:",
        "  temp_max: { source: weather, path: /temp_max, type: numeric }",
        "  weather: { source: weather, path: /weather, type: categorical }",
        "monitors:",
        "  weather-drift:",
        "    type: drift",
        "    features: [temp_max, weather]",
        `    reference: { type: file, path: ${JSON.stringify(REFERENCE)} }`,
        `    window: { type: tumbling, events: ${WINDOW} }`,
        `  ${MONITOR}:`,
        "    type: checks",
        "    source: weather",
        `    suite: ${JSON.stringify(SUITE)}`,
        "    window: { same_as: weather-drift }",
        "    id: /date",
        `state: { dir: state, checkpoint_interval_secs: ${interval} }`,
        "",
      ].join("\n"),
    );
    return path;
  }

  it("exports each expectation's result, equal to the engine's on the same rows, and dead-letters bad dates", async function () {
    this.timeout(120_000);
    const topic = "weather.checks";
    await createTopic(kafka?.brokers ?? [], topic, 3);
    await createTopic(kafka?.brokers ?? [], `${topic}.dlq`, 1);
    const daemon = await startDaemon({ config: writeConfig(topic, 5), stateDir: join(work, "state-1") });
    await daemon.waitReady(30_000);
    const window = events(1061, WINDOW); // 2014-11-27 .. 2015-12-31
    await produce(topic, window);
    const labels = (type: string, feature: string) => ({
      monitor: MONITOR,
      suite: SUITE_NAME,
      expectation: type,
      feature,
    });
    const scrape = await daemon.waitFor(
      (s) => s.value("driftwatch_expectation_suite_success", { monitor: MONITOR }) !== undefined,
      PROCESS_MS,
      "the checks window to close",
    );

    // The engine over the same 400 rows (in any order: the suite has no order-dependent expectation).
    const expected = validateSuite(loadSuite(SUITE), firstWindow(window));
    assert.equal(
      scrape.value("driftwatch_expectation_suite_success", { monitor: MONITOR }),
      expected.success ? 1 : 0,
    );
    assert.equal(expected.success, false);
    for (const r of expected.results) {
      const at = labels(r.expectation_config.type, expectationFeature(r.expectation_config.kwargs));
      assert.equal(scrape.value("driftwatch_expectation_success", at), successOf(r), JSON.stringify(at));
      if (r.result.unexpected_count !== undefined)
        assert.equal(
          scrape.value("driftwatch_expectation_unexpected_total", at),
          r.result.unexpected_count,
          JSON.stringify(at),
        );
      if (typeof r.result.observed_value === "number") {
        // The broker interleaves the 3 partitions, so sums run in another order: equal to rounding.
        const observed = scrape.value("driftwatch_expectation_observed_value", at) ?? Number.NaN;
        const expected = r.result.observed_value;
        assert.ok(
          Math.abs(observed - expected) <= 1e-12 * Math.abs(expected),
          `${JSON.stringify(at)}: ${observed}`,
        );
      }
    }
    const failed = (type: string, feature: string) =>
      scrape.value("driftwatch_expectation_success", labels(type, feature));
    assert.equal(failed("expect_column_values_to_match_strftime_format", "date"), 0);
    assert.equal(failed("expect_column_values_to_be_between", "temp_max"), 0);
    assert.equal(failed("expect_column_values_to_be_in_set", "weather"), 0);
    assert.equal(failed("expect_column_pair_values_a_to_be_greater_than_b", "temp_max,temp_min"), 0);
    assert.equal(failed("expect_column_values_to_not_be_null", "temp_max"), 1);
    assert.equal(failed("expect_column_values_to_be_unique", "date"), 1);
    assert.equal(
      scrape.value(
        "driftwatch_expectation_unexpected_total",
        labels("expect_column_values_to_be_between", "temp_max"),
      ),
      2,
    );

    // Bad dates went to the dead letter with the expectation's name; the drift monitor never saw them.
    assert.equal(
      scrape.value("driftwatch_events_invalid_total", { source: "weather", reason: "expectation" }),
      2,
    );
    assert.equal(
      scrape.value("driftwatch_events_total", { source: "weather", outcome: "valid" }),
      WINDOW - 2,
    );
    assert.equal(
      scrape.value("driftwatch_windows_evaluated_total", {
        monitor: "weather-drift",
        trigger: "window_close",
      }),
      undefined,
    );
    const letters: { value: Buffer | null; headers?: IHeaders }[] = [];
    const consumer = client.consumer({ groupId: `checks-dlq-${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({ topics: [`${topic}.dlq`], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void letters.push(message) });
    await poll(
      () => (letters.length >= 2 ? true : undefined),
      PROCESS_MS,
      () => `2 dead letters, got ${letters.length}`,
    );
    await consumer.disconnect();
    for (const letter of letters) {
      assert.equal(
        header(letter.headers, "driftwatch-reason"),
        "expectation:expect_column_values_to_match_strftime_format",
      );
      assert.match(String(JSON.parse(String(letter.value)).date), /-13-\d\d$/);
    }
    const verdict = daemon.verdicts.find((l) => l.startsWith(`[${MONITOR}] window 0 (${WINDOW} events)`));
    assert.ok(verdict, daemon.verdicts.join("\n"));
    assert.match(verdict, /suite weather FAILED/);
    assert.match(verdict, /expect_column_values_to_be_between temp_max: 2 unexpected \(0\.5%\)/);
    await daemon.stop();
  });

  it("survives kill -9 in the middle of a window: the window counts every event once", async function () {
    this.timeout(180_000);
    const topic = "weather.checks-kill";
    await createTopic(kafka?.brokers ?? [], topic, 3);
    await createTopic(kafka?.brokers ?? [], `${topic}.dlq`, 1);
    const config = writeConfig(topic, 0.5);
    const stateDir = join(work, "state-kill");
    const first = await startDaemon({ config, stateDir, label: "before kill" });
    await first.waitReady(30_000);
    const rows = events(1061, WINDOW);
    const badDates = (r: readonly Record<string, unknown>[]) =>
      r.filter((e) => /-13-\d\d$/.test(String(e.date))).length;
    await produce(topic, rows.slice(0, 250));
    await first.waitFor(
      (s) =>
        (s.value("driftwatch_checkpoints_total", { outcome: "ok" }) ?? 0) >= 2 &&
        s.value("driftwatch_events_total", { source: "weather", outcome: "valid" }) ===
          250 - badDates(rows.slice(0, 250)),
      PROCESS_MS,
      "250 events read and checkpointed",
    );
    // A checkpoint after the last event, then kill -9.
    await new Promise((r) => setTimeout(r, 1500));
    await first.kill();
    const second = await startDaemon({ config, stateDir, label: "after kill" });
    await second.waitReady(30_000);
    await produce(topic, rows.slice(250));
    const done = await second.waitFor(
      (s) => s.value("driftwatch_expectation_suite_success", { monitor: MONITOR }) !== undefined,
      PROCESS_MS,
      "the checks window to close after the restart",
    );
    assert.equal(done.value("driftwatch_window_events", { monitor: MONITOR }), WINDOW);
    const expected = validateSuite(loadSuite(SUITE), firstWindow(rows));
    for (const r of expected.results) {
      const at = {
        monitor: MONITOR,
        suite: SUITE_NAME,
        expectation: r.expectation_config.type,
        feature: expectationFeature(r.expectation_config.kwargs),
      };
      assert.equal(done.value("driftwatch_expectation_success", at), successOf(r), JSON.stringify(at));
    }
    const verdict = second.verdicts.find((l) => l.startsWith(`[${MONITOR}] window 0 (${WINDOW} events)`));
    assert.ok(verdict, second.verdicts.join("\n"));
    assert.match(verdict, /expect_column_values_to_be_between temp_max: 2 unexpected/);
    assert.match(verdict, /expect_column_values_to_match_strftime_format date: 2 unexpected/);
    await second.stop();
  });
});
