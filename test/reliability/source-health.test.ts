/**
 * `driftwatch_source_up` and `/readyz` follow the connection, not the configuration: before,
 * source_up stayed 1 through a whole broker outage. A consumer that kafkajs gives up on (a crash
 * with restart=false) used to stay dead; it is restarted with backoff and resumes where the state
 * stands.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Kafka, logLevel, type Producer } from "kafkajs";
import { Logger } from "../../src/log.js";
import { Metrics } from "../../src/metrics/metrics.js";
import { KafkaSource } from "../../src/sources/kafka.js";
import type { SourceRecord } from "../../src/sources/source.js";
import { killAllDaemons, poll, readCheckpoint, startDaemon } from "../support/daemon.js";
import { createTopic, type KafkaBroker, startKafka } from "../support/kafka.js";

const SCHEMA = resolve("drift/weather/schemas/weather-input.json");
const DEMO = readFileSync("drift/demo/seattle-weather.jsonl", "utf8").trimEnd().split("\n");

describe("source health", () => {
  let kafka: KafkaBroker | undefined;
  let producer: Producer | undefined;
  let work: string;

  before(async function () {
    this.timeout(6 * 60_000);
    assert.ok(existsSync("dist/cli/main.js"), "run `npm run build` first (npm test does)");
    kafka = await startKafka();
    producer = new Kafka({
      clientId: "health-test",
      brokers: kafka.brokers,
      logLevel: logLevel.NOTHING,
    }).producer();
    await producer.connect();
    work = mkdtempSync(join(tmpdir(), "driftwatch-health-"));
  });

  afterEach(killAllDaemons);

  after(async function () {
    this.timeout(90_000);
    await killAllDaemons();
    await producer?.disconnect().catch(() => undefined);
    await kafka?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("reports the source down and the daemon not ready through a broker outage, and recovers", async function () {
    this.timeout(180_000);
    const broker = kafka as KafkaBroker;
    await createTopic(broker.brokers, "health.inputs", 1);
    const config = join(work, "outage.yaml");
    writeFileSync(
      config,
      [
        "sources:",
        "  inputs:",
        "    type: kafka",
        `    brokers: [${broker.brokers[0]}]`,
        "    topic: health.inputs",
        "    group_id: health",
        "    session_timeout_secs: 6",
        "    stall_timeout_secs: 3",
        `    schema: ${SCHEMA}`,
        "features:",
        "  temp_max: { source: inputs, path: /temp_max, type: numeric }",
        "monitors:",
        "  m:",
        "    type: drift",
        "    features: [temp_max]",
        "    reference: { type: first, events: 100 }",
        "    window: { type: tumbling, events: 100 }",
        "state: { dir: state }",
      ].join("\n"),
    );
    const daemon = await startDaemon({ config, stateDir: join(work, "outage-state") });
    await daemon.waitReady(60_000);
    const valid = (s: { value(n: string, l: Record<string, string>): number | undefined }) =>
      s.value("driftwatch_events_total", { source: "inputs", outcome: "valid" }) ?? 0;
    await producer?.send({
      topic: "health.inputs",
      acks: -1,
      messages: DEMO.slice(0, 10).map((value) => ({ value })),
    });
    await daemon.waitFor((s) => valid(s) === 10, 30_000, "10 events before the outage");
    assert.equal((await daemon.scrape()).value("driftwatch_source_up", { source: "inputs" }), 1);

    // The broker stops answering (frozen, as a hung or partitioned broker would be).
    const pid = Number(readFileSync(join(broker.dir, "broker.pid"), "utf8").trim());
    process.kill(pid, "SIGSTOP");
    try {
      await daemon.waitFor(
        (s) => s.value("driftwatch_source_up", { source: "inputs" }) === 0,
        60_000,
        "source_up to fall to 0 during the outage",
      );
      const ready = await daemon.readyz();
      assert.equal(ready.status, 503);
      assert.match(ready.text, /source inputs: /);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    await producer?.send({
      topic: "health.inputs",
      acks: -1,
      messages: DEMO.slice(10, 20).map((value) => ({ value })),
    });
    await daemon.waitFor(
      (s) => valid(s) === 20 && s.value("driftwatch_source_up", { source: "inputs" }) === 1,
      120_000,
      "recovery: the 10 events after the outage counted and source_up back to 1",
    );
    await daemon.waitReady(30_000);
    await daemon.stop(60_000);
    assert.match(daemon.stderr, /msg="source down" source=inputs/);
  });

  it("recovers on its own when the broker is stopped and started again, losing and repeating nothing", async function () {
    this.timeout(240_000);
    const broker = kafka as KafkaBroker;
    await createTopic(broker.brokers, "health.restart", 2);
    const config = join(work, "restart.yaml");
    writeFileSync(
      config,
      [
        "sources:",
        "  inputs:",
        "    type: kafka",
        `    brokers: [${broker.brokers[0]}]`,
        "    topic: health.restart",
        "    group_id: restart",
        "    session_timeout_secs: 6",
        "    dead_letter: { topic: health.restart.dlq }",
        `    schema: ${SCHEMA}`,
        "features:",
        "  temp_max: { source: inputs, path: /temp_max, type: numeric }",
        "monitors:",
        "  m:",
        "    type: drift",
        "    features: [temp_max]",
        "    reference: { type: first, events: 50 }",
        "    window: { type: tumbling, events: 50 }",
        "state: { dir: state, checkpoint_interval_secs: 1 }",
      ].join("\n"),
    );
    const daemon = await startDaemon({ config, stateDir: join(work, "restart-state") });
    await daemon.waitReady(60_000);
    const counted = (s: { value(n: string, l: Record<string, string>): number | undefined }) => [
      s.value("driftwatch_events_total", { source: "inputs", outcome: "valid" }) ?? 0,
      s.value("driftwatch_events_total", { source: "inputs", outcome: "invalid" }) ?? 0,
    ];
    const send = (from: number, to: number) =>
      producer?.send({
        topic: "health.restart",
        acks: -1,
        messages: [...DEMO.slice(from, to).map((value) => ({ value })), { value: `{"bad": ${from}` }],
      });
    await send(0, 120);
    await daemon.waitFor(
      (s) => counted(s).join() === "120,1",
      30_000,
      "120 events and a dead letter before the restart",
    );

    // The broker process stops and starts again with its data (topics, offsets, transactions).
    await broker.restart();
    await send(120, 300);
    const scrape = await daemon.waitFor(
      (s) => counted(s).join() === "300,2" && s.value("driftwatch_source_up", { source: "inputs" }) === 1,
      120_000,
      "every event after the restart counted once, the source up again",
    );
    assert.equal(
      scrape.value("driftwatch_windows_evaluated_total", { monitor: "m", trigger: "window_close" }),
      5,
    );
    await daemon.stop(60_000);
    // The final checkpoint holds every message's position once: 302 messages over the 2 partitions.
    const positions = readCheckpoint(join(work, "restart-state"))?.positions.inputs ?? {};
    assert.equal(
      Object.values(positions).reduce((a, b) => a + b, 0),
      302,
    );
  });

  it("restarts a consumer that crashed without a restart and resumes at the live position", async function () {
    this.timeout(120_000);
    const broker = kafka as KafkaBroker;
    await createTopic(broker.brokers, "health.crash", 1);
    await producer?.send({
      topic: "health.crash",
      acks: -1,
      messages: DEMO.slice(0, 5).map((value) => ({ value })),
    });
    const metrics = new Metrics({ processMetrics: false });
    const logs: string[] = [];
    const log = new Logger("info", {}, (line) => logs.push(line));
    const source = new KafkaSource(
      "crash",
      {
        type: "kafka",
        brokers: broker.brokers,
        topic: "health.crash",
        group_id: "crash",
        session_timeout_secs: 6,
      },
      (path) => path,
      log,
      metrics,
    );
    const positions: Record<string, number> = {};
    const delivered: number[] = [];
    let calls = 0;
    await source.start(async (records: readonly SourceRecord[]) => {
      calls++;
      // The first batch meets a bug (not a Kafka error): kafkajs crashes with restart=false.
      if (calls === 1) throw new TypeError("a bug in processing");
      for (const record of records) {
        delivered.push(record.position?.offset ?? -1);
        positions[record.position?.key ?? ""] = (record.position?.offset ?? 0) + 1;
      }
      return { accepted: records.length, rejected: 0 };
    }, positions);
    try {
      await poll(
        () => (source.health(Date.now()).up ? undefined : source.health(Date.now()).reason),
        30_000,
        () => "the crash to show in health",
      ).then((reason) => assert.match(reason, /consumer crashed: a bug in processing/));
      await poll(
        () => (delivered.length === 5 ? true : undefined),
        60_000,
        () => `delivered ${delivered}`,
      );
      assert.deepEqual(delivered, [0, 1, 2, 3, 4]);
      assert.equal((await metrics.sourceRestartsTotal.get()).values[0]?.value, 1);
      await poll(
        () => (source.health(Date.now()).up ? true : undefined),
        30_000,
        () => "health up again",
      );
      assert.ok(
        logs.some((l) => l.includes('msg="restarting the kafka consumer"')),
        logs.join(""),
      );
    } finally {
      await source.drain();
      await source.stop();
    }
  });
});
