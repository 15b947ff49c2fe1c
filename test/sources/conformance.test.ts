/**
 * Every registered source type keeps the contract the pipeline and the config loader rely on: its
 * name is its key, its schema branch accepts its example and rejects an unknown key, its factory
 * builds a source from the example, and its dead-letter destinations are the ones it can serve.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Ajv } from "ajv";
import { decoders } from "../../src/decode/registry.js";
import { Logger } from "../../src/log.js";
import { Metrics } from "../../src/metrics/metrics.js";
import { deadLetterDestination } from "../../src/sources/dead-letter-sinks.js";
import { type SourceContext, sourceKind, sources } from "../../src/sources/registry.js";

const context = (): SourceContext => ({
  resolvePath: (path) => resolve(path),
  log: new Logger("error", {}, () => {}),
  metrics: new Metrics({ processMetrics: false }),
  clock: () => 0,
});

describe("source registry", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "driftwatch-sources-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [key, kind] of Object.entries(sources)) {
    describe(`source ${key}`, () => {
      const validate = new Ajv({ strict: false }).compile(kind.schema);

      it("is named after its key, as its config's type", () => {
        assert.equal(kind.name, key);
        assert.equal(kind.example.type, key);
      });

      it("has a schema that accepts its example and rejects an unknown key", () => {
        assert.ok(validate(kind.example), JSON.stringify(validate.errors));
        assert.equal(validate({ ...kind.example, no_such_key: 1 }), false);
        assert.equal(validate({ ...kind.example, type: "no_such_type" }), false);
      });

      it("builds a source from its example with the example's name", async () => {
        const source = kind.create(`${key}-example`, kind.example as never, context());
        assert.equal(source.name, `${key}-example`);
        assert.ok(source.finished instanceof Promise);
        await source.stop();
      });

      it("has a config problem list that its example passes", () => {
        assert.deepEqual(kind.problems?.(kind.example as never, (p) => resolve(p)) ?? [], []);
      });

      it("names the source in each line of what only a running daemon can check", () => {
        for (const line of kind.unchecked?.(`${key}-example`, kind.example as never) ?? [])
          assert.match(line, new RegExp(`\\(source ${key}-example\\)`));
      });

      it("decodes its records with a registered decoder", () => {
        assert.ok(kind.decoder(kind.example as never) in decoders);
      });

      it("opens a file dead letter named by path, and names a topic's producer by source", async () => {
        const dlContext = {
          stateDir: dir,
          resolvePath: (p: string) => join(dir, p),
          instance: "test",
          log: context().log,
          metrics: context().metrics,
        };
        const byFile = deadLetterDestination(
          key,
          { ...kind.example, dead_letter: { path: "dl.jsonl" } },
          dlContext,
        );
        assert.equal(byFile.key, `file:${join(dir, "dl.jsonl")}`);
        const sink = byFile.open();
        assert.equal(sink.id, byFile.key);
        await sink.close();
        const byDefault = deadLetterDestination(key, kind.example, dlContext);
        assert.equal(byDefault.key, `file:${join(dir, `dead-letter-${key}.jsonl`)}`);
        const byTopic = deadLetterDestination(
          key,
          { ...kind.example, dead_letter: { topic: "dl" } },
          dlContext,
        );
        assert.equal(byTopic.key, `kafka:dl#${key}`);
        const origin = kind.kafka?.(kind.example as never);
        if (origin !== undefined) {
          assert.ok(origin.brokers.length > 0);
          assert.ok(origin.topics.length > 0);
        }
      });
    });
  }

  it("has a kind for every source type the config schema accepts", () => {
    for (const kind of Object.values(sources)) assert.equal(sourceKind(kind.example), kind);
  });

  it("finds a file source's missing file, which its schema cannot", () => {
    const problems = sources.file.problems?.({ type: "file", path: "no-such-file.jsonl" }, (p) =>
      join(dir, p),
    );
    assert.deepEqual(problems, [
      { key: "path", message: `file not found: ${join(dir, "no-such-file.jsonl")}` },
    ]);
  });

  it("tells finite replays from endless streams", () => {
    assert.deepEqual(
      Object.values(sources)
        .filter((kind) => kind.finite)
        .map((kind) => kind.name),
      ["file"],
    );
  });
});
