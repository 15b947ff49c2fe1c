/**
 * One bad message must never stop the stream. A schema-invalid event nested 10 000 levels deep
 * used to overflow the stack in the rejection path (the whole node was stringified for the error
 * detail): the Kafka consumer crashed for good, the good events before it were never counted,
 * `/readyz` stayed 200, and SIGTERM exited with a stack and no final checkpoint. Over HTTP the same
 * body got a 500 that nothing recorded.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Kafka, logLevel, type Producer } from "kafkajs";
import { jsonDepthExceeds, previewValue, splitJsonArray } from "../../src/decode/limits.js";
import { EventDecoder } from "../../src/decode/validate.js";
import { killAllDaemons, readCheckpoint, startDaemon } from "../support/daemon.js";
import { createTopic, type KafkaBroker, startKafka } from "../support/kafka.js";

const SCHEMA = resolve("drift/weather/schemas/weather-input.json");
const DEMO = readFileSync("drift/demo/seattle-weather.jsonl", "utf8").trimEnd().split("\n");

/** `{"temp_max":[[[…1…]]], ...}`: deep where the schema wants a number. */
function poison(depth: number): string {
  return `{"date":"2012-01-01","weather":"sun","temp_max":${"[".repeat(depth)}1${"]".repeat(depth)}}`;
}

describe("a deeply nested or oversized event", () => {
  it("is rejected as too_deep before parsing, whatever its depth", () => {
    const decoder = new EventDecoder(SCHEMA);
    for (const depth of [129, 10_000, 400_000]) {
      const result = decoder.decode(Buffer.from(poison(depth)));
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.reason, "too_deep", `depth ${depth}`);
    }
  });

  it("within the depth limit is judged by the schema, with a short detail", () => {
    const result = new EventDecoder(SCHEMA).decode(poison(100));
    assert.ok(!result.ok);
    assert.equal(result.reason, "schema");
    assert.match(result.detail, /^\/temp_max: must be number \(got \[\[\[\[/);
    assert.ok(result.detail.length < 120, result.detail);
  });

  it("is rejected as too_large past max_event_bytes, counted in bytes", () => {
    const decoder = new EventDecoder(undefined, { maxBytes: 100, maxDepth: 128 });
    const big = `{"a":"${"é".repeat(60)}"}`; // 68 characters, 128 bytes
    const fromText = decoder.decode(big);
    assert.ok(!fromText.ok && fromText.reason === "too_large", JSON.stringify(fromText));
    assert.match(!fromText.ok ? fromText.detail : "", /^128 bytes, more than the limit of 100$/);
    assert.ok(decoder.decode(`{"a":"${"e".repeat(60)}"}`).ok);
  });

  it("counts brackets inside strings as text, not nesting", () => {
    assert.equal(jsonDepthExceeds(`{"a":"${"[".repeat(500)}"}`, 4), false);
    assert.equal(jsonDepthExceeds(`{"a":"\\"${"[".repeat(500)}"}`, 4), false);
    assert.equal(jsonDepthExceeds(`[[[[[1]]]]]`, 4), true);
    assert.equal(jsonDepthExceeds(`[[[[1]]]]`, 4), false);
  });

  it("previews a deep value without walking it", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    assert.equal(previewValue({ x: deep }), `{"x":${"[".repeat(32)}...`);
    assert.equal(previewValue({ a: 1, b: [1, 2] }), `{"a":1,"b":[1,2]}`);
    assert.equal(previewValue("hot"), `"hot"`);
  });

  it("splits a JSON array into its elements' own text", () => {
    assert.deepEqual(splitJsonArray(` [ {"a":"],["}, [1,2] ,3 ] `), [`{"a":"],["}`, "[1,2]", "3"]);
    assert.deepEqual(splitJsonArray("[]"), []);
    for (const bad of ["[1,]", "[,1]", "[1] x", "{}", "[1", `["]`])
      assert.equal(splitJsonArray(bad), null, bad);
  });
});

describe("a poison message on a Kafka topic", () => {
  let kafka: KafkaBroker | undefined;
  let producer: Producer | undefined;
  let work: string;

  before(async function () {
    this.timeout(6 * 60_000);
    assert.ok(existsSync("dist/cli/main.js"), "run `npm run build` first (npm test does)");
    kafka = await startKafka();
    producer = new Kafka({
      clientId: "poison-test",
      brokers: kafka.brokers,
      logLevel: logLevel.WARN,
    }).producer();
    await producer.connect();
    work = mkdtempSync(join(tmpdir(), "driftwatch-poison-"));
  });

  afterEach(killAllDaemons);

  after(async function () {
    this.timeout(90_000);
    await killAllDaemons();
    await producer?.disconnect().catch(() => undefined);
    await kafka?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("is dead-lettered as too_deep while every event around it is counted, and SIGTERM checkpoints", async function () {
    this.timeout(120_000);
    const brokers = (kafka as KafkaBroker).brokers;
    await createTopic(brokers, "poison.inputs", 1);
    const config = join(work, "poison.yaml");
    writeFileSync(
      config,
      [
        "sources:",
        "  inputs:",
        "    type: kafka",
        `    brokers: [${brokers[0]}]`,
        "    topic: poison.inputs",
        "    group_id: poison",
        "    session_timeout_secs: 6",
        `    schema: ${SCHEMA}`,
        "    max_event_bytes: 100000",
        `    dead_letter: { path: ${join(work, "dead.jsonl")} }`,
        "features:",
        "  temp_max: { source: inputs, path: /temp_max, type: numeric }",
        "monitors:",
        "  m:",
        "    type: drift",
        "    features: [temp_max]",
        "    reference: { type: first, events: 10 }",
        "    window: { type: tumbling, events: 10 }",
        "state: { dir: state, checkpoint_interval_secs: 1 }",
      ].join("\n"),
    );
    const stateDir = join(work, "state");
    const daemon = await startDaemon({ config, stateDir });
    await daemon.waitReady(60_000);
    const messages = [
      ...DEMO.slice(0, 10),
      poison(10_000),
      poison(40_000),
      `{"date":"2012-01-01","weather":"sun","temp_max":"${"x".repeat(150_000)}"}`,
      ...DEMO.slice(10, 20),
    ].map((value) => ({ value }));
    await producer?.send({ topic: "poison.inputs", acks: -1, messages });
    const scrape = await daemon.waitFor(
      (s) => (s.value("driftwatch_events_total", { source: "inputs", outcome: "valid" }) ?? 0) >= 20,
      30_000,
      "the 20 good events counted",
    );
    assert.equal(
      scrape.value("driftwatch_events_invalid_total", { source: "inputs", reason: "too_deep" }),
      2,
    );
    assert.equal(
      scrape.value("driftwatch_events_invalid_total", { source: "inputs", reason: "too_large" }),
      1,
    );
    assert.equal(scrape.value("driftwatch_source_up", { source: "inputs" }), 1);
    assert.equal((await daemon.readyz()).status, 200);
    await daemon.stop();
    assert.doesNotMatch(daemon.stderr, /RangeError|Maximum call stack/);
    const lines = readFileSync(join(work, "dead.jsonl"), "utf8").trimEnd().split("\n");
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as { reason: string }).reason),
      ["too_deep", "too_deep", "too_large"],
    );
    assert.deepEqual(readCheckpoint(stateDir)?.positions, { inputs: { "poison.inputs/0": 23 } });
  });
});
