/**
 * The `format` key: on kafka and http it names a registered decoder (json by default); on a file
 * source it keeps its older meaning, the file's layout, so existing configs load unchanged.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ConfigError, loadConfig } from "../../src/config/load.js";

const EVENTS = resolve("drift/demo/seattle-weather.jsonl");

describe("source format", () => {
  let dir: string;
  let n = 0;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "driftwatch-format-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Loads a config with one source given as YAML flow; returns the problems, or [] when it loads. */
  function problems(source: string): string[] {
    const path = join(dir, `c${n++}.yaml`);
    writeFileSync(
      path,
      [
        "sources:",
        `  s: ${source}`,
        "features:",
        "  temp_max: { source: s, path: /temp_max, type: numeric }",
        "monitors:",
        "  m:",
        "    type: drift",
        "    features: [temp_max]",
        "    reference: { type: first, events: 10 }",
        "    window: { type: tumbling, events: 10 }",
        "",
      ].join("\n"),
    );
    try {
      loadConfig(path);
      return [];
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      return error.problems.map((p) => `${p.path} ${p.message}`);
    }
  }

  it("accepts json, and no format at all, on kafka and http sources", () => {
    for (const source of [
      "{ type: kafka, brokers: ['localhost:9092'], topic: t, group_id: g, format: json }",
      "{ type: kafka, brokers: ['localhost:9092'], topic: t, group_id: g }",
      "{ type: http, listen: '127.0.0.1:0', format: json }",
      "{ type: http, listen: '127.0.0.1:0' }",
    ])
      assert.deepEqual(problems(source), [], source);
  });

  it("refuses a format no decoder is registered for, naming the ones there are", () => {
    const found = problems("{ type: http, listen: '127.0.0.1:0', format: thrift }");
    assert.equal(found.length, 1, found.join("\n"));
    assert.match(
      found[0],
      /^\/sources\/s\/format must be one of json, avro, protobuf, json_schema \(got "thrift"\)/,
    );
  });

  it("keeps a file source's format as its layout: jsonl and csv load, a decoder name does not", () => {
    assert.deepEqual(problems(`{ type: file, path: ${EVENTS}, format: jsonl }`), []);
    assert.deepEqual(problems(`{ type: file, path: ${EVENTS}, format: csv }`), []);
    const found = problems(`{ type: file, path: ${EVENTS}, format: json }`);
    assert.equal(found.length, 1, found.join("\n"));
    assert.match(found[0], /^\/sources\/s\/format .*jsonl.*csv/);
  });
});
