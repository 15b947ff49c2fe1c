import { strict as assert } from "node:assert";
import { rmSync } from "node:fs";
import { loadConfig } from "../../src/config/load.js";
import { avroDecoder } from "../../src/decode/avro.js";
import { Logger } from "../../src/log.js";
import { Metrics } from "../../src/metrics/metrics.js";
import { eventDecoderOf } from "../../src/sources/decoding.js";
import { scratch } from "../support/cli.js";
import { kafkaSourceProblems } from "../support/config.js";

const { dir, file } = scratch("driftwatch-decoding-config-");

/** The problems of a config whose kafka source has these extra keys (YAML, indented 4). */
const problemsOf = (keys: string): string[] => kafkaSourceProblems(file, keys);

describe("avro and protobuf in the config", () => {
  before(() => {
    file(
      "weather.avsc",
      JSON.stringify({ type: "record", name: "W", fields: [{ name: "x", type: "double" }] }),
    );
    file("weather.proto", 'syntax = "proto3"; package w; message Input { double x = 1; }');
    file("broken.avsc", '{"type": "record"}');
    file(
      "by-id/1.avsc",
      JSON.stringify({ type: "record", name: "W", fields: [{ name: "x", type: "double" }] }),
    );
    file("by-id/2.proto", 'syntax = "proto3"; package w; message Input { double x = 1; }');
    file("broken-by-id/3.avsc", '{"type": "record"}');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("accepts a registry or a local schema", () => {
    for (const keys of [
      '    format: avro\n    schema_registry: { url: "http://127.0.0.1:8081" }',
      "    format: avro\n    value_schema: weather.avsc",
      "    format: protobuf\n    value_schema: weather.proto\n    value_message: w.Input",
      "    format: avro\n    schema_dir: by-id",
      "    format: protobuf\n    schema_dir: by-id",
    ])
      assert.deepEqual(problemsOf(keys), [], keys);
  });

  it("names a missing, unusable or misplaced schema setting", () => {
    assert.deepEqual(problemsOf("    format: avro"), [
      '/sources/inputs/format format "avro" needs exactly one of schema_registry or schema_dir (the Confluent wire format) and value_schema (a local schema)',
    ]);
    assert.deepEqual(problemsOf("    format: json_schema\n    schema_dir: by-id"), [
      `/sources/inputs/schema_dir ${dir}/by-id holds no json_schema schema named by id (such as 1.json)`,
    ]);
    assert.deepEqual(problemsOf("    format: avro\n    schema_dir: nowhere"), [
      `/sources/inputs/schema_dir not a directory: ${dir}/nowhere`,
    ]);
    assert.match(
      problemsOf("    format: avro\n    schema_dir: broken-by-id")[0],
      /^\/sources\/inputs\/schema_dir .*broken-by-id\/3\.avsc: not a usable avro schema: /,
    );
    assert.deepEqual(problemsOf("    value_schema: weather.avsc"), [
      '/sources/inputs/value_schema format "json" takes no schema (for avro, protobuf and json_schema)',
    ]);
    assert.match(
      problemsOf("    format: avro\n    value_schema: broken.avsc")[0],
      /^\/sources\/inputs\/value_schema .*broken\.avsc: not a usable avro schema: /,
    );
    assert.match(
      problemsOf("    format: protobuf\n    value_schema: weather.proto\n    value_message: w.Nope")[0],
      /^\/sources\/inputs\/value_message .*weather\.proto: not a usable protobuf schema: no such type/,
    );
    assert.deepEqual(problemsOf("    format: protobuf\n    value_schema: weather.proto"), [
      "/sources/inputs/value_message protobuf with value_schema needs value_message (the message type)",
    ]);
    assert.deepEqual(
      problemsOf(
        '    format: avro\n    schema_registry: { url: "https://r:8081", username: u, password_env: DW_UNSET_PW }',
      ),
      ["/sources/inputs/schema_registry/password_env environment variable DW_UNSET_PW is not set"],
    );
  });

  it("decodes bare records with a local schema, then validates them with the source's JSON Schema", () => {
    const config = loadConfig(
      file(
        "ok.yaml",
        `sources:
  inputs: { type: kafka, brokers: [localhost:9092], topic: t, group_id: g, format: avro, value_schema: weather.avsc, schema: s.json }
features:
  x: { source: inputs, path: /x, type: numeric }
monitors:
  m: { type: drift, features: [x], reference: { type: first, events: 5 }, window: { type: tumbling, events: 5 } }
`.replace(
          "schema: s.json",
          `schema: ${file("s.json", JSON.stringify({ type: "object", properties: { x: { type: "number", maximum: 100 } } }))}`,
        ),
      ),
    );
    const decoder = eventDecoderOf("inputs", config.config.sources.inputs, "avro", {
      resolvePath: config.resolvePath,
      log: new Logger("error"),
      metrics: new Metrics({ processMetrics: false }),
    });
    const type = avroDecoder.create({
      limits: { maxBytes: 100, maxDepth: 8 },
      valueSchema: {
        file: "w.avsc",
        text: JSON.stringify({ type: "record", name: "W", fields: [{ name: "x", type: "double" }] }),
      },
    });
    assert.ok(type.decode(Buffer.from([0, 0, 0, 0, 0, 0, 0x24, 0x40])).ok, "10.0 as a bare Avro double");
    assert.deepEqual(decoder.decode(Buffer.from([0, 0, 0, 0, 0, 0, 0x24, 0x40])), {
      ok: true,
      event: { x: 10 },
    });
    const big = Buffer.alloc(8);
    big.writeDoubleLE(1000);
    assert.deepEqual(decoder.decode(big), {
      ok: false,
      reason: "schema",
      detail: "/x: must be <= 100 (got 1000)",
    });
  });
});
