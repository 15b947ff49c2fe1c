import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { type Admin, type IHeaders, Kafka, logLevel, Partitioners, type Producer } from "kafkajs";
import type { DriftMonitorState } from "../../src/drift/monitor.js";
import type { DriftReport } from "../../src/report/model.js";
import type { Checkpoint } from "../../src/state/checkpoint.js";
import {
  assertPortFree,
  type Daemon,
  killAllDaemons,
  poll,
  readCheckpoint,
  type Scrape,
  startDaemon,
} from "../support/daemon.js";
import { createTopic, type KafkaBroker, startKafka } from "../support/kafka.js";

/** The example config promises a broker on 127.0.0.1:9092 and metrics on 127.0.0.1:9464. */
const EXAMPLE_CONFIG = "drift/weather/driftwatch.yaml";
const EXAMPLE_BROKER_PORT = 9092;
const EXAMPLE_METRICS_PORT = 9464;
const EXAMPLE_METRICS = `127.0.0.1:${EXAMPLE_METRICS_PORT}`;
const SCHEMA = resolve("drift/weather/schemas/weather-input.json");
const REFERENCE = resolve("drift/weather/reference.csv");
/** 1461 daily events, 2012-01-01 .. 2015-12-31, one JSON object per line. */
const DEMO = readFileSync("drift/demo/seattle-weather.jsonl", "utf8").trimEnd().split("\n");
const FEATURES = ["temp_max", "temp_min", "precipitation", "wind", "weather"] as const;

/** kafkajs retries a join for as long as a killed member's session lasts (6 s in these configs). */
const RESTART_AFTER_KILL_MS = 30_000;
/** From produce to the metric: generous for a 2-core machine, far below any retry or session timeout. */
const PROCESS_MS = 15_000;

interface Message {
  readonly key: string;
  readonly value: string | Buffer;
}

/** A demo line as a message keyed by its date, so that messages spread over the partitions. */
function event(line: string): Message {
  return { key: (JSON.parse(line) as { date: string }).date, value: line };
}

const sumOf = (positions: Readonly<Record<string, number>>) =>
  Object.values(positions).reduce((a, b) => a + b, 0);

describe("driftwatch run against a Kafka broker", () => {
  let kafka: KafkaBroker | undefined;
  let client: Kafka;
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  let work: string;

  before(async function () {
    // The first run fetches the broker jars from Maven Central (startKafka bounds that at 5 min).
    this.timeout(6 * 60_000);
    assert.ok(existsSync("dist/cli/main.js"), "run `npm run build` first (npm test does)");
    await assertPortFree(EXAMPLE_METRICS_PORT, "the example config's metrics port");
    kafka = await startKafka({ port: EXAMPLE_BROKER_PORT });
    client = new Kafka({ clientId: "daemon-kafka-test", brokers: kafka.brokers, logLevel: logLevel.WARN });
    admin = client.admin();
    await admin.connect();
    producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    work = mkdtempSync(join(tmpdir(), "driftwatch-daemon-kafka-"));
  });

  afterEach(async () => {
    // A failed test must not leave its daemon consuming into the next one.
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

  function tempDir(prefix: string): string {
    return mkdtempSync(join(work, prefix));
  }

  async function produce(topic: string, messages: readonly Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 500) {
      await producer?.send({ topic, acks: -1, messages: messages.slice(i, i + 500) });
    }
  }

  /** Produces `perTick` messages every `tickMs` in the background, so that a kill can land mid-stream. */
  function produceSteadily(topic: string, messages: readonly Message[], perTick: number, tickMs: number) {
    let sent = 0;
    const done = (async () => {
      while (sent < messages.length) {
        const started = Date.now();
        const chunk = messages.slice(sent, sent + perTick);
        await producer?.send({ topic, acks: -1, messages: chunk });
        sent += chunk.length;
        await new Promise((r) => setTimeout(r, Math.max(0, tickMs - (Date.now() - started))));
      }
    })();
    return { done, sent: () => sent, finished: () => sent === messages.length };
  }

  async function endOffsets(topic: string): Promise<Record<string, number>> {
    const offsets = await (admin as Admin).fetchTopicOffsets(topic);
    return Object.fromEntries(offsets.map((p) => [`${topic}/${p.partition}`, Number(p.high)]));
  }

  async function committedOffsets(groupId: string, topic: string): Promise<Record<string, number>> {
    const [committed] = await (admin as Admin).fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries(
      (committed?.partitions ?? []).map((p) => [`${topic}/${p.partition}`, Number(p.offset)]),
    );
  }

  /** A config for one scenario: its own topic and group, every demo feature, absolute paths. */
  function writeConfig(
    dir: string,
    o: { topic: string; group: string; window: number; interval: number; fromBeginning?: boolean },
  ) {
    const path = join(dir, "driftwatch.yaml");
    writeFileSync(
      path,
      [
        "sources:",
        "  weather:",
        "    type: kafka",
        `    brokers: [${kafka?.brokers.join(", ")}]`,
        `    topic: ${o.topic}`,
        `    group_id: ${o.group}`,
        `    from_beginning: ${o.fromBeginning ?? true}`,
        // A killed instance holds its partitions for the session timeout: keep restarts quick.
        "    session_timeout_secs: 6",
        `    schema: ${JSON.stringify(SCHEMA)}`,
        "features:",
        ...FEATURES.map(
          (f) =>
            `  ${f}: { source: weather, path: /${f}, type: ${f === "weather" ? "categorical" : "numeric"} }`,
        ),
        "monitors:",
        "  weather-drift:",
        "    type: drift",
        `    features: [${FEATURES.join(", ")}]`,
        `    reference: { type: file, path: ${JSON.stringify(REFERENCE)} }`,
        `    window: { type: tumbling, events: ${o.window} }`,
        `state: { dir: state, checkpoint_interval_secs: ${o.interval} }`,
        "",
      ].join("\n"),
    );
    return path;
  }

  /** Statistic and p-value of every feature of the last window, exactly as exported. */
  function statistics(scrape: Scrape): Record<string, { statistic?: number; p_value?: number }> {
    const out: Record<string, { statistic?: number; p_value?: number }> = {};
    for (const feature of FEATURES) {
      const labels = { monitor: "weather-drift", feature };
      out[feature] = {
        statistic: scrape.value("driftwatch_drift_statistic", labels),
        p_value: scrape.value("driftwatch_drift_p_value", labels),
      };
    }
    return out;
  }

  /** Events held by the monitor state of a checkpoint: closed windows of `window` events plus the open one. */
  function eventsInState(checkpoint: Checkpoint, window: number): number {
    const monitor = checkpoint.monitors["weather-drift"] as { state: DriftMonitorState };
    return monitor.state.window.emitted * window + (monitor.state.window.open?.events ?? 0);
  }

  it("runs the example config as written: counts, dead letters, and a window equal to `driftwatch report`'s", async function () {
    this.timeout(120_000);
    const topic = "weather.inputs";
    await createTopic(kafka?.brokers ?? [], topic, 3);
    await createTopic(kafka?.brokers ?? [], "weather.inputs.dlq", 1);
    const stateDir = tempDir("example-state-");
    const daemon = await startDaemon({
      config: EXAMPLE_CONFIG,
      stateDir,
      metricsPort: null,
      metricsAddress: EXAMPLE_METRICS,
      label: "example daemon",
    });
    await daemon.waitReady(30_000);
    assert.match(daemon.stderr, /msg="started" .*metrics=http:\/\/127\.0\.0\.1:9464\/metrics/);

    // t0: the 365 days of 2015 and five bad events in between; no window can close yet.
    const year2015 = DEMO.filter((line) => line.includes('"date":"2015-'));
    assert.equal(year2015.length, 365);
    const bad: { message: Message; reason: string; partition?: number; offset?: string }[] = [
      { message: { key: "bad-1", value: '{"date":"2015-06-01","temp_max":' }, reason: "malformed_json" },
      {
        message: {
          key: "bad-2",
          value:
            '{"date":"2015-06-02","precipitation":0,"temp_max":"hot","temp_min":12,"wind":3,"weather":"sun"}',
        },
        reason: "schema",
      },
      {
        message: { key: "bad-3", value: '{"date":"2015-06-03","precipitation":0,"temp_max":21.1,"wind":3}' },
        reason: "schema",
      },
      {
        message: { key: "bad-4", value: '[{"date":"2015-06-04","temp_max":20,"weather":"sun"}]' },
        reason: "not_an_object",
      },
      // Not UTF-8: the dead letter must carry these bytes, not a decoded and re-encoded string.
      {
        message: { key: "bad-5", value: Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x80]) },
        reason: "malformed_json",
      },
    ];
    await produce(topic, year2015.slice(0, 180).map(event));
    for (const b of bad) {
      const [meta] = await (producer as Producer).send({ topic, acks: -1, messages: [b.message] });
      b.partition = meta.partition;
      b.offset = meta.baseOffset;
    }
    await produce(topic, year2015.slice(180).map(event));
    const partitions = await endOffsets(topic);
    assert.equal(sumOf(partitions), 370);
    for (const [key, n] of Object.entries(partitions)) assert.ok(n > 0, `${key} got no events`);

    // Between t0 and t0 + 15 s: every event counted once, by outcome and by reason.
    const counted = await daemon.waitFor(
      (s) =>
        s.value("driftwatch_events_total", { outcome: "valid" }) === 365 &&
        s.value("driftwatch_events_total", { outcome: "invalid" }) === 5,
      PROCESS_MS,
      "365 valid and 5 invalid events",
    );
    assert.equal(counted.value("driftwatch_events_total", { source: "inputs", outcome: "valid" }), 365);
    assert.equal(counted.value("driftwatch_events_total", { source: "inputs", outcome: "invalid" }), 5);
    assert.deepEqual(
      Object.fromEntries(
        counted
          .all("driftwatch_events_invalid_total")
          .map((s) => [`${s.labels.source}/${s.labels.reason}`, s.value]),
      ),
      { "inputs/malformed_json": 2, "inputs/schema": 2, "inputs/not_an_object": 1 },
    );
    assert.equal(counted.value("driftwatch_dead_letter_total", { source: "inputs", outcome: "written" }), 5);
    assert.equal(counted.value("driftwatch_dead_letter_total", { outcome: "failed" }), 0);
    assert.equal(
      counted.value("driftwatch_windows_evaluated_total"),
      undefined,
      "no window before 368 events",
    );
    assert.deepEqual(daemon.verdicts, []);

    // Each bad event is on the dead-letter topic once, with its original key and bytes and its reason.
    const letters = await consumeAll("weather.inputs.dlq", bad.length);
    assert.equal(letters.length, bad.length);
    for (const b of bad) {
      const letter = letters.find(
        (l) =>
          header(l.headers, "driftwatch-partition") === String(b.partition) &&
          header(l.headers, "driftwatch-offset") === b.offset,
      );
      assert.ok(letter, `dead letter of ${b.message.key} (partition ${b.partition}, offset ${b.offset})`);
      assert.ok(letter.value?.equals(Buffer.from(b.message.value)), `${b.message.key}: original bytes`);
      assert.equal(letter.key?.toString(), b.message.key);
      assert.equal(header(letter.headers, "driftwatch-reason"), b.reason, `${b.message.key}: reason`);
      assert.equal(header(letter.headers, "driftwatch-source"), "inputs");
      assert.equal(header(letter.headers, "driftwatch-topic"), topic);
      assert.ok((header(letter.headers, "driftwatch-detail") ?? "") !== "", `${b.message.key}: a detail`);
    }

    // t1: three more valid events (the last days of 2014) fill the window of 368.
    const last368 = DEMO.slice(-368);
    await produce(topic, DEMO.slice(-368, -365).map(event));
    const labels = { monitor: "weather-drift" };
    const closed = await daemon.waitFor(
      (s) =>
        s.value("driftwatch_window_events", labels) === 368 &&
        [0, 1, 2].every(
          (p) =>
            s.value("driftwatch_kafka_consumer_lag", { source: "inputs", topic, partition: String(p) }) === 0,
        ),
      PROCESS_MS,
      "a window of 368 events and no consumer lag on any of the 3 partitions",
    );
    assert.equal(closed.value("driftwatch_events_total", { outcome: "valid" }), 368);
    assert.equal(
      closed.value("driftwatch_windows_evaluated_total", { ...labels, trigger: "window_close" }),
      1,
    );
    assert.equal(daemon.verdicts.length, 1, daemon.verdicts.join("\n"));
    assert.match(daemon.verdicts[0], /^\[weather-drift\] window 0 \(368 events\): /);

    // One engine: `driftwatch report` on the same 368 rows gives the very same numbers.
    const current = join(stateDir, "window-0.jsonl");
    writeFileSync(current, `${last368.join("\n")}\n`);
    const report = driftwatchReport(REFERENCE, current, "temp_max,weather");
    assert.deepEqual(
      report.columns.map((c) => [c.name, c.test]),
      [
        ["temp_max", "ks"],
        ["weather", "chi2"],
      ],
    );
    for (const column of report.columns) {
      const at = { monitor: "weather-drift", feature: column.name, test: column.test };
      assert.equal(column.n_current + column.missing_current, 368, `${column.name}: the window's rows`);
      assert.equal(
        closed.value("driftwatch_drift_statistic", at),
        column.statistic,
        `${column.name} statistic`,
      );
      assert.equal(
        closed.value("driftwatch_drift_p_value", at),
        column.p_value_adjusted ?? column.p_value,
        `${column.name} p-value`,
      );
      assert.equal(
        closed.value("driftwatch_drift_detected", { monitor: "weather-drift", feature: column.name }),
        column.drift ? 1 : 0,
      );
    }
    assert.equal(closed.value("driftwatch_dataset_drift", labels), report.dataset.drift ? 1 : 0);
    assert.equal(closed.value("driftwatch_drifted_features_share", labels), report.dataset.share);

    const histogram = { monitor: "weather-drift" };
    assert.equal(
      closed.value("driftwatch_evaluation_duration_seconds_count", histogram),
      1,
      "evaluations timed",
    );
    assert.ok((closed.value("driftwatch_evaluation_duration_seconds_sum", histogram) ?? 0) > 0);
    assert.equal(
      closed.value("driftwatch_evaluation_duration_seconds_bucket", { ...histogram, le: "+Inf" }),
      1,
    );

    await daemon.stop();
  });

  it("loses nothing and counts nothing twice across three kill -9s and restarts", async function () {
    this.timeout(300_000);
    const N = DEMO.length;
    const events = DEMO.map(event);
    const window = N; // one window of every event: a lost event keeps it open, a repeated one closes it early

    // The same stream, uninterrupted, gives the statistics the interrupted run must reproduce.
    const baselineDir = tempDir("baseline-");
    await createTopic(kafka?.brokers ?? [], "weather.baseline", 3);
    const baselineConfig = writeConfig(baselineDir, {
      topic: "weather.baseline",
      group: "driftwatch-baseline",
      window,
      interval: 0.5,
    });
    const baseline = await startDaemon({
      config: baselineConfig,
      stateDir: join(baselineDir, "state"),
      label: "baseline",
    });
    await baseline.waitReady(30_000);
    await produce("weather.baseline", events);
    const whole = await baseline.waitFor(
      (s) => s.value("driftwatch_window_events") === N,
      PROCESS_MS,
      `a window of ${N} events`,
    );
    const expected = statistics(whole);
    for (const feature of FEATURES) {
      assert.equal(typeof expected[feature].statistic, "number", `${feature} statistic`);
      assert.equal(typeof expected[feature].p_value, "number", `${feature} p-value`);
    }
    await baseline.stop();

    // The interrupted run: its own topic, group and state dir, used by every restart.
    const dir = tempDir("killed-");
    const topic = "weather.killed";
    const group = "driftwatch-killed";
    await createTopic(kafka?.brokers ?? [], topic, 3);
    const config = writeConfig(dir, { topic, group, window, interval: 0.5 });
    const stateDir = join(dir, "state");
    mkdirSync(stateDir, { recursive: true });
    const runs: Daemon[] = [];
    const start = async () => {
      const daemon = await startDaemon({ config, stateDir, label: `run ${runs.length + 1}` });
      runs.push(daemon);
      await daemon.waitReady(RESTART_AFTER_KILL_MS);
      return daemon;
    };
    let previous: Record<string, number> = {};
    /** After a kill: the checkpoint holds exactly the events its positions say, and positions never go back. */
    const checkAfterKill = (what: string): number => {
      const checkpoint = readCheckpoint(stateDir);
      if (checkpoint === null) return 0;
      const positions = checkpoint.positions.weather ?? {};
      assert.equal(eventsInState(checkpoint, window), sumOf(positions), `${what}: state and positions agree`);
      for (const [key, offset] of Object.entries(previous))
        assert.ok(
          (positions[key] ?? 0) >= offset,
          `${what}: ${key} went back from ${offset} to ${positions[key]}`,
        );
      previous = positions;
      return sumOf(positions);
    };
    const timeline: string[] = [];
    const note = (line: string) => {
      timeline.push(line);
      console.log(`      ${line}`);
    };

    // Kill 1, right after start: 400 events processed in memory, before the first checkpoint.
    await produce(topic, events.slice(0, 400));
    const run1 = await start();
    const seen1 = await run1.waitFor(
      (s) => (s.value("driftwatch_events_total", { outcome: "valid" }) ?? 0) > 0,
      PROCESS_MS,
      "the first events",
      10,
    );
    await run1.kill();
    const processed1 = seen1.value("driftwatch_events_total", { outcome: "valid" }) ?? 0;
    const checkpointed1 = checkAfterKill("kill 1");
    note(`kill 1: ${processed1} processed, ${checkpointed1} checkpointed, 400 produced`);
    assert.ok(checkpointed1 < 400, timeline.join("\n"));

    // Kill 2, mid-stream after some checkpoints: events arrive at 200/s, and the daemon holds some
    // it has not checkpointed yet when it is killed.
    const run2 = await start();
    await run2.waitFor(
      (s) => s.value("driftwatch_events_total", { outcome: "valid" }) === 400 - checkpointed1,
      PROCESS_MS,
      "the first 400 events",
    );
    const stream2 = produceSteadily(topic, events.slice(400, 1000), 20, 100);
    const at2 = await poll(
      async () => {
        const s = await run2.scrape();
        // Read after the scrape: a checkpoint in between only makes the condition harder to meet.
        const saved = sumOf(readCheckpoint(stateDir)?.positions.weather ?? {});
        const held = checkpointed1 + (s.value("driftwatch_events_total", { outcome: "valid" }) ?? 0);
        const checkpoints = s.value("driftwatch_checkpoints_total", { outcome: "ok" }) ?? 0;
        return checkpoints >= 2 && saved >= 500 && held > saved ? { held, saved } : undefined;
      },
      PROCESS_MS,
      () =>
        `two checkpoints, one with at least 500 events, and events beyond it (${stream2.sent()} of 600 sent)\n${run2.logTail()}`,
      20,
    );
    await run2.kill();
    const sentAtKill2 = 400 + stream2.sent();
    const checkpointed2 = checkAfterKill("kill 2");
    note(
      `kill 2: ${at2.held} in memory and ${at2.saved} checkpointed when killed, ${checkpointed2} in the checkpoint after, ${sentAtKill2} produced`,
    );
    assert.ok(!stream2.finished(), `the stream was still flowing at kill 2\n${timeline.join("\n")}`);
    assert.ok(checkpointed2 >= 500 && checkpointed2 < 1000, timeline.join("\n"));
    await stream2.done;

    // Kill 3, just after a checkpoint was written, while events keep arriving: the offsets of that
    // checkpoint may not be committed yet, so Kafka redelivers what the state already holds.
    const run3 = await start();
    await run3.waitFor(
      (s) => s.value("driftwatch_events_total", { outcome: "valid" }) === 1000 - checkpointed2,
      PROCESS_MS,
      "the first 1000 events",
    );
    const before3 = readCheckpoint(stateDir)?.written_at ?? 0;
    const stream3 = produceSteadily(topic, events.slice(1000, 1300), 20, 100);
    const checkpoint3 = await poll(
      () => {
        const checkpoint = readCheckpoint(stateDir);
        return checkpoint !== null &&
          checkpoint.written_at > before3 &&
          sumOf(checkpoint.positions.weather ?? {}) > 1000
          ? checkpoint
          : undefined;
      },
      PROCESS_MS,
      () => `a checkpoint with more than 1000 events (${stream3.sent()} of 300 sent)\n${run3.logTail()}`,
      2,
    );
    await run3.kill();
    const sentAtKill3 = 1000 + stream3.sent();
    const checkpointed3 = checkAfterKill("kill 3");
    // Whether the kill beat the offset commit of that checkpoint is up to timing; said, not asserted.
    const committed3 = sumOf(await committedOffsets(group, topic));
    note(
      `kill 3: ${checkpointed3} checkpointed (${sumOf(checkpoint3.positions.weather ?? {})} when seen), ${committed3} committed, ${sentAtKill3} produced`,
    );
    assert.ok(!stream3.finished(), `the stream was still flowing at kill 3\n${timeline.join("\n")}`);
    assert.ok(checkpointed3 > 1000 && checkpointed3 < 1300, timeline.join("\n"));
    await stream3.done;

    // The last run gets the rest; its one window must be the uninterrupted run's window.
    const run4 = await start();
    await produce(topic, events.slice(1300));
    const final = await run4.waitFor(
      (s) => s.value("driftwatch_window_events") === N,
      PROCESS_MS,
      `a window of ${N} events (${timeline.join("; ")})`,
    );
    assert.deepEqual(statistics(final), expected, "every feature's statistic and p-value, exactly");
    assert.equal(final.value("driftwatch_windows_evaluated_total"), 1);
    assert.deepEqual(
      runs.map((r) => r.verdicts.length),
      [0, 0, 0, 1],
      "one verdict in all, from the last run",
    );
    assert.match(run4.verdicts[0], new RegExp(`^\\[weather-drift\\] window 0 \\(${N} events\\): `));

    // Committed offsets follow a durable checkpoint: wait for one that covers the whole topic.
    const end = await endOffsets(topic);
    assert.equal(sumOf(end), N);
    let committed: Record<string, number> = {};
    await poll(
      async () => {
        committed = await committedOffsets(group, topic);
        return isDeepStrictEqual(committed, end) ? committed : undefined;
      },
      PROCESS_MS,
      () =>
        `committed offsets ${JSON.stringify(committed)} to reach ${JSON.stringify(end)}\n${run4.logTail()}`,
      100,
    );
    await run4.stop();
    assert.deepEqual(await committedOffsets(group, topic), end, "committed offsets after SIGTERM");
    const last = readCheckpoint(stateDir) as Checkpoint;
    assert.deepEqual(last.positions.weather, end, "checkpointed positions after SIGTERM");
    const state = (last.monitors["weather-drift"] as { state: DriftMonitorState }).state;
    assert.equal(state.window.emitted, 1, "one window emitted");
    assert.equal(state.window.open, null, "no event beyond the window");
  });

  it("drains and checkpoints on SIGTERM, and a restart processes no event again", async function () {
    this.timeout(120_000);
    const dir = tempDir("sigterm-");
    const topic = "weather.sigterm";
    const group = "driftwatch-sigterm";
    await createTopic(kafka?.brokers ?? [], topic, 3);
    // No periodic checkpoint within the test: the one SIGTERM writes is the only one.
    const config = writeConfig(dir, { topic, group, window: 100, interval: 3600 });
    const stateDir = join(dir, "state");

    const first = await startDaemon({ config, stateDir, label: "first run" });
    await first.waitReady(30_000);
    await produce(topic, DEMO.slice(0, 250).map(event));
    await first.waitFor(
      (s) =>
        s.value("driftwatch_events_total", { outcome: "valid" }) === 250 &&
        s.value("driftwatch_windows_evaluated_total") === 2,
      PROCESS_MS,
      "250 events and two windows of 100",
    );
    assert.equal(readCheckpoint(stateDir), null, "no checkpoint before SIGTERM");
    const stopMs = await first.stop(10_000);
    assert.match(first.stderr, /msg="stopped"/);
    assert.equal(first.verdicts.length, 2);

    const end = await endOffsets(topic);
    assert.equal(sumOf(end), 250);
    const checkpoint = readCheckpoint(stateDir);
    assert.ok(checkpoint, `SIGTERM wrote a checkpoint (exit after ${stopMs} ms)`);
    assert.deepEqual(checkpoint.positions.weather, end, "checkpointed positions are the end offsets");
    assert.equal(eventsInState(checkpoint, 100), 250);
    const state = (checkpoint.monitors["weather-drift"] as { state: DriftMonitorState }).state;
    assert.equal(state.window.emitted, 2);
    assert.equal(state.window.open?.events, 50);

    // The restart reads the topic again (from the committed offsets, or from the start) and must
    // skip every record before the checkpointed positions: no count, no window, no verdict.
    const second = await startDaemon({ config, stateDir, label: "restart" });
    await second.waitReady(30_000);
    await second.waitForLog(/msg="joined consumer group"/, 30_000);
    await new Promise((r) => setTimeout(r, 2000));
    const quiet = await second.scrape();
    assert.deepEqual(quiet.all("driftwatch_events_total"), [], "no event counted after the restart");
    assert.deepEqual(quiet.all("driftwatch_windows_evaluated_total"), []);
    assert.deepEqual(second.verdicts, []);
    await second.stop(10_000);
    const again = readCheckpoint(stateDir) as Checkpoint;
    assert.deepEqual(again.positions, checkpoint.positions, "positions unchanged by the restart");
    assert.deepEqual(again.monitors, checkpoint.monitors, "window state unchanged by the restart");

    // Kafka's view agrees with the checkpoint: the offsets of the one written on SIGTERM are committed.
    assert.deepEqual(
      await committedOffsets(group, topic),
      end,
      "the offsets of the checkpoint written on SIGTERM are committed to the consumer group",
    );
  });

  it("resumes at the checkpointed offsets even when Kafka has none committed and the group starts at the latest", async function () {
    this.timeout(120_000);
    const dir = tempDir("latest-");
    const topic = "weather.latest";
    await createTopic(kafka?.brokers ?? [], topic, 1);
    const stateDir = join(dir, "state");
    const first = await startDaemon({
      config: writeConfig(dir, { topic, group: "driftwatch-latest-a", window: 1000, interval: 3600 }),
      stateDir,
      label: "first run",
    });
    await first.waitReady(30_000);
    await produce(topic, DEMO.slice(0, 10).map(event));
    await first.waitFor(
      (s) => s.value("driftwatch_events_total", { outcome: "valid" }) === 10,
      PROCESS_MS,
      "10 events",
    );
    await first.stop(10_000);
    assert.deepEqual(readCheckpoint(stateDir)?.positions.weather, { [`${topic}/0`]: 10 });

    // Five more while the daemon is down. The restart comes back under a group that has no
    // committed offset and starts at the latest one (as after a kill between checkpoint and
    // first commit): without seeking to the checkpoint it would begin at 15 and lose 10..14.
    await produce(topic, DEMO.slice(10, 15).map(event));
    const group = "driftwatch-latest-b";
    const second = await startDaemon({
      config: writeConfig(dir, { topic, group, window: 1000, interval: 3600, fromBeginning: false }),
      stateDir,
      label: "restart",
    });
    await second.waitReady(30_000);
    await second.waitFor(
      (s) => s.value("driftwatch_events_total", { outcome: "valid" }) === 5,
      PROCESS_MS,
      "the 5 events produced while the daemon was down",
    );
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(
      (await second.scrape()).value("driftwatch_events_total", { outcome: "valid" }),
      5,
      "and nothing else",
    );
    await second.stop(10_000);
    const checkpoint = readCheckpoint(stateDir) as Checkpoint;
    assert.deepEqual(checkpoint.positions.weather, { [`${topic}/0`]: 15 });
    assert.equal(eventsInState(checkpoint, 1000), 15);
    assert.deepEqual(await committedOffsets(group, topic), { [`${topic}/0`]: 15 });
  });

  /** Reads `count` messages of a topic from the beginning with a fresh group (bounded). */
  async function consumeAll(topic: string, count: number) {
    const consumer = client.consumer({ groupId: `daemon-kafka-test-${topic}-${Date.now()}` });
    const messages: { key: Buffer | null; value: Buffer | null; headers?: IHeaders }[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          messages.push(message);
        },
      });
      await poll(
        () => (messages.length >= count ? true : undefined),
        PROCESS_MS,
        () => `${count} messages on ${topic}, got ${messages.length}`,
      );
      // Anything beyond `count` would be a duplicate: give it a moment to show up.
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await consumer.disconnect();
    }
    return messages;
  }
});

function header(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return value === undefined ? undefined : Array.isArray(value) ? String(value[0]) : String(value);
}

/** `driftwatch report` as a user runs it, parsed. */
function driftwatchReport(reference: string, current: string, columns: string): DriftReport {
  const r = spawnSync(
    process.execPath,
    ["bin/driftwatch.js", "report", "--reference", reference, "--current", current, "--columns", columns],
    { encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as DriftReport;
}
