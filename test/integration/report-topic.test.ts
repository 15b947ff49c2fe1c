import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { Kafka, logLevel, Partitioners, type Producer } from "kafkajs";
import { driftwatch, driftwatchAsync } from "../support/cli.js";
import { createTopic, type KafkaBroker, startKafka } from "../support/kafka.js";
import { SchemaRegistryStandIn } from "../support/schema-registry.js";

// `driftwatch report` straight from a topic: a time range or an offset range of a real broker's
// topic gives the report the same rows give from files.

const LINES = readFileSync("drift/demo/seattle-weather.jsonl", "utf8").trimEnd().split("\n");
const ROWS = LINES.map((line) => JSON.parse(line) as { date: string } & Record<string, unknown>);

/** A report without what names its inputs. */
function numbers(stdout: string): unknown {
  const { inputs: _inputs, ...rest } = JSON.parse(stdout) as { inputs: unknown };
  return rest;
}

describe("driftwatch report from a Kafka topic", () => {
  let kafka: KafkaBroker;
  let producer: Producer;
  let work: string;
  const registry = new SchemaRegistryStandIn();

  before(async function () {
    this.timeout(6 * 60_000);
    work = mkdtempSync(join(tmpdir(), "driftwatch-report-topic-"));
    kafka = await startKafka();
    await registry.start();
    producer = new Kafka({
      clientId: "report-topic",
      brokers: kafka.brokers,
      logLevel: logLevel.NOTHING,
    }).producer({
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
  });

  after(async function () {
    this.timeout(60_000);
    await producer?.disconnect();
    await kafka?.stop();
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("reads a time range of every partition and reports what the same rows in files give", async function () {
    this.timeout(120_000);
    await createTopic(kafka.brokers, "weather.days", 3);
    // Each day stamped with its own date, so that a time range selects days.
    await producer.send({
      topic: "weather.days",
      acks: -1,
      messages: LINES.map((value, i) => ({
        key: ROWS[i].date,
        value,
        timestamp: String(Date.parse(ROWS[i].date)),
      })),
    });
    const year = (y: number) =>
      ROWS.filter((r) => r.date.startsWith(String(y))).map((r) => JSON.stringify(r));
    writeFileSync(join(work, "2012.jsonl"), `${year(2012).join("\n")}\n`);
    writeFileSync(join(work, "2014.jsonl"), `${year(2014).join("\n")}\n`);
    const topic = `kafka://${kafka.brokers[0]}/weather.days`;
    const fromTopic = driftwatch(
      "report",
      "--reference",
      `${topic}?from=2012-01-01T00:00:00Z&to=2013-01-01T00:00:00Z`,
      "--current",
      `${topic}?from=2014-01-01T00:00:00Z&to=2015-01-01T00:00:00Z`,
      "--ignore",
      "date",
    );
    assert.equal(fromTopic.code, 0, fromTopic.stderr);
    const fromFiles = driftwatch(
      "report",
      "--reference",
      join(work, "2012.jsonl"),
      "--current",
      join(work, "2014.jsonl"),
      "--ignore",
      "date",
    );
    assert.equal(fromFiles.code, 0, fromFiles.stderr);
    assert.deepEqual(numbers(fromTopic.stdout), numbers(fromFiles.stdout));
    const inputs = JSON.parse(fromTopic.stdout).inputs;
    assert.equal(inputs.reference.rows, 366);
    assert.equal(inputs.current.rows, 365);
    assert.match(inputs.reference.path, /^kafka:\/\/127\.0\.0\.1:\d+\/weather\.days\?from=2012/);
  });

  it("reads offset ranges of a config's Avro source through its registry, leaving out what does not decode", async function () {
    this.timeout(120_000);
    const serializer = new SchemaRegistry({ host: registry.url });
    const schema = {
      type: "record",
      name: "Day",
      fields: [
        { name: "date", type: "string" },
        { name: "temp_max", type: "double" },
        { name: "wind", type: "double" },
        { name: "weather", type: "string" },
      ],
    };
    const { id } = await serializer.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject: "days-value" },
    );
    await createTopic(kafka.brokers, "weather.avro", 1);
    const rows = ROWS.slice(0, 400).map(({ date, temp_max, wind, weather }) => ({
      date,
      temp_max,
      wind,
      weather,
    }));
    const values = await Promise.all(rows.map((row) => serializer.encode(id, row)));
    values.splice(250, 0, Buffer.from("not avro"));
    await producer.send({ topic: "weather.avro", acks: -1, messages: values.map((value) => ({ value })) });
    writeFileSync(
      join(work, "sources.yaml"),
      `sources:
  days:
    type: kafka
    brokers: [${kafka.brokers[0]}]
    topic: weather.avro
    group_id: unused
    format: avro
    schema_registry: { url: "${registry.url}" }
features:
  t: { source: days, path: /temp_max, type: numeric }
monitors:
  m: { type: drift, features: [t], reference: { type: first, events: 5 }, window: { type: tumbling, events: 5 } }
`,
    );
    writeFileSync(
      join(work, "ref.jsonl"),
      `${rows
        .slice(0, 200)
        .map((r) => JSON.stringify(r))
        .join("\n")}\n`,
    );
    writeFileSync(
      join(work, "cur.jsonl"),
      `${rows
        .slice(200)
        .map((r) => JSON.stringify(r))
        .join("\n")}\n`,
    );
    // Asynchronously: the CLI asks the registry stand-in this process serves.
    const fromTopic = await driftwatchAsync(
      "report",
      "--source-config",
      join(work, "sources.yaml"),
      "--reference",
      "source:days?to=200",
      "--current",
      "source:days?from=200",
      "--ignore",
      "date",
    );
    assert.equal(fromTopic.code, 0, fromTopic.stderr);
    assert.match(
      fromTopic.stderr,
      /--current source:days\?from=200: records rejected and left out: 1 decode:bad_magic_byte/,
    );
    const fromFiles = driftwatch(
      "report",
      "--reference",
      join(work, "ref.jsonl"),
      "--current",
      join(work, "cur.jsonl"),
      "--ignore",
      "date",
    );
    assert.deepEqual(numbers(fromTopic.stdout), numbers(fromFiles.stdout));

    const bad = driftwatch(
      "report",
      "--source-config",
      join(work, "sources.yaml"),
      "--reference",
      "source:dayz",
      "--current",
      "source:days",
    );
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr.trim(),
      /^driftwatch: --reference source:dayz: .*sources\.yaml has no kafka source "dayz" \(did you mean "days"\?\); kafka sources: days$/,
    );
    const missing = driftwatch(
      "report",
      "--reference",
      `kafka://${kafka.brokers[0]}/no.such.topic`,
      "--current",
      join(work, "cur.jsonl"),
    );
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr.trim(),
      /^driftwatch: --reference kafka:\/\/.*\/no\.such\.topic: .*(does not exist|not host this topic)/,
    );
  });
});
