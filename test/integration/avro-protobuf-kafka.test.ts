import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { Kafka, logLevel, Partitioners, type Producer } from "kafkajs";
import protobuf from "protobufjs";
import type { ChecksResult } from "../../src/checks/monitor.js";
import { loadConfig } from "../../src/config/load.js";
import { Logger } from "../../src/log.js";
import { Pipeline } from "../../src/pipeline.js";
import { poll } from "../support/daemon.js";
import { createTopic, type KafkaBroker, startKafka } from "../support/kafka.js";
import { SchemaRegistryStandIn } from "../support/schema-registry.js";

// The same Seattle weather rows on three topics of a real broker, as JSON, as Avro and as Protobuf
// (both in the Confluent wire format, their schemas registered through the registry stand-in by
// the producer-side library): the daemon's metrics of the three are the same numbers.

const ROWS = readFileSync("drift/demo/seattle-weather.jsonl", "utf8")
  .trimEnd()
  .split("\n")
  .slice(0, 300)
  .map((line) => JSON.parse(line) as Record<string, unknown>);

const AVRO = {
  type: "record",
  name: "WeatherInput",
  fields: [
    { name: "date", type: "string" },
    { name: "precipitation", type: "double" },
    { name: "temp_max", type: "double" },
    { name: "temp_min", type: "double" },
    { name: "wind", type: "double" },
    {
      name: "weather",
      type: { type: "enum", name: "Weather", symbols: ["drizzle", "rain", "sun", "snow", "fog"] },
    },
  ],
};
const PROTO = `syntax = "proto3";
package weather;
message Input {
  string date = 1;
  double precipitation = 2;
  double temp_max = 3;
  double temp_min = 4;
  double wind = 5;
  string weather = 6;
}
`;
const FORMATS = ["json", "avro", "protobuf"] as const;

describe("Avro and Protobuf from Kafka through a schema registry", () => {
  let kafka: KafkaBroker;
  let producer: Producer;
  const registry = new SchemaRegistryStandIn();
  let work: string;

  before(async function () {
    this.timeout(6 * 60_000);
    work = mkdtempSync(join(tmpdir(), "driftwatch-avro-"));
    kafka = await startKafka();
    await registry.start();
    const client = new Kafka({ clientId: "avro-test", brokers: kafka.brokers, logLevel: logLevel.NOTHING });
    producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
  });

  after(async function () {
    this.timeout(60_000);
    await producer?.disconnect();
    await kafka?.stop();
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("gives the same metrics for the same rows as JSON, Avro and Protobuf", async function () {
    this.timeout(120_000);
    const serializer = new SchemaRegistry({ host: registry.url });
    const avro = await serializer.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(AVRO) },
      { subject: "weather.avro-value" },
    );
    const proto = await serializer.register(
      { type: SchemaType.PROTOBUF, schema: PROTO },
      { subject: "weather.protobuf-value" },
    );
    const Input = protobuf.parse(PROTO, { keepCase: true }).root.lookupType("weather.Input");
    const header = (id: number) => {
      const bytes = Buffer.alloc(5);
      bytes.writeInt32BE(id, 1);
      return bytes;
    };
    const values: Record<(typeof FORMATS)[number], Buffer[]> = {
      json: ROWS.map((row) => Buffer.from(JSON.stringify(row))),
      avro: await Promise.all(ROWS.map((row) => serializer.encode(avro.id, row))),
      // The first message of the file: message indexes [0], written as one 0 byte.
      protobuf: ROWS.map((row) =>
        Buffer.concat([header(proto.id), Buffer.from([0]), Input.encode(row).finish()]),
      ),
    };
    for (const format of FORMATS) {
      // One partition: the reference and the windows depend on the order of the rows.
      await createTopic(kafka.brokers, `weather.${format}`, 1);
      await producer.send({
        topic: `weather.${format}`,
        acks: -1,
        messages: values[format].map((value) => ({ value })),
      });
    }
    const sources = FORMATS.map(
      (format) => `  ${format}:
    type: kafka
    brokers: [${kafka.brokers[0]}]
    topic: weather.${format}
    group_id: ${format}
    format: ${format}
${format === "json" ? "" : `    schema_registry: { url: "${registry.url}" }\n`}    schema: ${join(process.cwd(), "drift/weather/schemas/weather-input.json")}`,
    ).join("\n");
    const features = FORMATS.flatMap((format) => [
      `  ${format}_temp_max: { source: ${format}, path: /temp_max, type: numeric }`,
      `  ${format}_wind: { source: ${format}, path: /wind, type: numeric }`,
      `  ${format}_weather: { source: ${format}, path: /weather, type: categorical }`,
    ]).join("\n");
    const monitors = FORMATS.map(
      (format) => `  ${format}:
    type: drift
    features: [${format}_temp_max, ${format}_wind, ${format}_weather]
    reference: { type: first, events: 100 }
    window: { type: tumbling, events: 100 }`,
    ).join("\n");
    const file = join(work, "driftwatch.yaml");
    writeFileSync(
      file,
      `sources:\n${sources}\nfeatures:\n${features}\nmonitors:\n${monitors}\nstate: { dir: state }\n`,
    );
    const pipeline = await Pipeline.create(loadConfig(file), {
      log: new Logger("warn"),
      metricsListen: null,
    });
    await pipeline.start();
    try {
      await poll(
        async () => {
          const totals = (await pipeline.metrics.eventsTotal.get()).values;
          const valid = FORMATS.map(
            (f) => totals.find((v) => v.labels.source === f && v.labels.outcome === "valid")?.value,
          );
          return valid.every((n) => n === ROWS.length) ? true : undefined;
        },
        60_000,
        () => "every row of the three topics counted",
      );
    } finally {
      await pipeline.stop();
    }
    const byFormat = async (name: "driftStatistic" | "driftPValue") => {
      const out: Record<string, Record<string, number>> = {};
      for (const v of (await pipeline.metrics[name].get()).values) {
        const monitor = String(v.labels.monitor);
        out[monitor] ??= {};
        out[monitor][String(v.labels.feature).replace(`${monitor}_`, "")] = v.value;
      }
      return out;
    };
    for (const name of ["driftStatistic", "driftPValue"] as const) {
      const values = await byFormat(name);
      assert.equal(Object.keys(values.json ?? {}).length, 3, `${name}: three features of the JSON monitor`);
      assert.deepEqual(values.avro, values.json, `${name}: Avro gives what JSON gives`);
      assert.deepEqual(values.protobuf, values.json, `${name}: Protobuf gives what JSON gives`);
    }
    const schemaIds = (await pipeline.metrics.schemaId.get()).values.map((v) => [v.labels.source, v.value]);
    assert.deepEqual(schemaIds.sort(), [
      ["avro", avro.id],
      ["protobuf", proto.id],
    ]);
  });

  it("counts a new schema version and judges its decoded fields against the reference as for JSON", async function () {
    this.timeout(120_000);
    const serializer = new SchemaRegistry({ host: registry.url });
    const subject = "weather.evolving-value";
    // Named apart from the first test's schema, which would otherwise be the same id in two subjects.
    const first = { ...AVRO, name: "EvolvingInput" };
    const v1 = await serializer.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(first) },
      { subject },
    );
    // Version 2 adds a field with a default: backward compatible, and a change of the stream's shape.
    const evolved = { ...first, fields: [...first.fields, { name: "humidity", type: "double", default: 0 }] };
    const v2 = await serializer.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(evolved) },
      { subject },
    );
    const rows = ROWS.slice(0, 200).map((row, i) => (i < 100 ? row : { ...row, humidity: 0.5 + i / 1000 }));
    const values = {
      evolving_json: rows.map((row) => Buffer.from(JSON.stringify(row))),
      evolving_avro: await Promise.all(rows.map((row, i) => serializer.encode(i < 100 ? v1.id : v2.id, row))),
    };
    for (const [topic, messages] of Object.entries(values)) {
      await createTopic(kafka.brokers, topic, 1);
      await producer.send({ topic, acks: -1, messages: messages.map((value) => ({ value })) });
    }
    writeFileSync(
      join(work, "shape.yaml"),
      "expectation_suite_name: shape\nexpectations:\n  - type: expect_schema_to_match_reference\n",
    );
    const file = join(work, "evolving.yaml");
    writeFileSync(
      file,
      `sources:
  evolving_json: { type: kafka, brokers: [${kafka.brokers[0]}], topic: evolving_json, group_id: ej }
  evolving_avro:
    type: kafka
    brokers: [${kafka.brokers[0]}]
    topic: evolving_avro
    group_id: ea
    format: avro
    schema_registry: { url: "${registry.url}" }
features:
  temp_max: { source: evolving_json, path: /temp_max, type: numeric }
monitors:
${Object.keys(values)
  .map(
    (source) =>
      `  ${source}: { type: checks, source: ${source}, suite: shape.yaml, window: { type: tumbling, events: 100 } }`,
  )
  .join("\n")}
state: { dir: state-evolving }
`,
    );
    const results: Record<string, unknown[]> = { evolving_json: [], evolving_avro: [] };
    const pipeline = await Pipeline.create(loadConfig(file), {
      log: new Logger("warn"),
      metricsListen: null,
      onResult: ({ monitor, result }) => results[monitor].push(result),
    });
    await pipeline.start();
    try {
      await poll(
        async () => (Object.values(results).every((r) => r.length === 2) ? true : undefined),
        60_000,
        () => `two windows of each monitor (${JSON.stringify(Object.values(results).map((r) => r.length))})`,
      );
    } finally {
      await pipeline.stop();
    }
    /** Each window's expectation outcomes, without what differs by monitor name and time. */
    const outcomes = (monitor: string) =>
      results[monitor].map((r) =>
        (r as ChecksResult).validation.results.map((e) => ({
          success: e.success,
          observed_value: e.result.observed_value,
        })),
      );
    assert.deepEqual(outcomes("evolving_avro"), outcomes("evolving_json"), "Avro fields judged as JSON's");
    assert.deepEqual(outcomes("evolving_avro")[1], [
      {
        success: false,
        observed_value: { new_fields: ["/humidity"], missing_fields: [], type_changes: [] },
      },
    ]);
    const versions = (await pipeline.metrics.schemaVersion.get()).values.map((v) => [
      v.labels.source,
      v.labels.subject,
      v.value,
    ]);
    assert.deepEqual(versions, [["evolving_avro", subject, 2]], "driftwatch_schema_version of the subject");
    const changes = (await pipeline.metrics.schemaChangesTotal.get()).values.find(
      (v) => v.labels.source === "evolving_avro",
    );
    assert.equal(changes?.value, 1, "one change of schema counted");
  });
});
