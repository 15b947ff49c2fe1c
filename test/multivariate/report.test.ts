/**
 * The worked examples of the README, through the built CLI as a user runs them: `report --config`
 * over the embedding stream (multivariate tests) and over the wind stream (online detection), and
 * a vector feature whose bad values are counted, not crashed on.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { driftwatch } from "../support/cli.js";

describe("multivariate and online drift through report --config", () => {
  const dir = mkdtempSync(join(tmpdir(), "driftwatch-multivariate-report-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("finds the embeddings' topic shift with every test, and passes the window of the same mix", function () {
    this.timeout(60_000);
    const out = driftwatch("report", "--config", "drift/embeddings/driftwatch.yaml");
    assert.equal(out.code, 0, out.stderr);
    const report = JSON.parse(out.stdout);
    assert.deepEqual(report.sources.movies, {
      path: join(process.cwd(), "drift/embeddings/stream.jsonl"),
      valid: 800,
      dead_lettered: 0,
      reasons: {},
    });
    for (const name of ["embedding-mmd", "embedding-pca-ks", "embedding-classifier"]) {
      const { results } = report.monitors[name];
      assert.deepEqual(
        results.map((r: { drift: boolean }) => r.drift),
        [false, true],
        name,
      );
      assert.equal(results[1].reference_rows.rows, 1200);
      assert.equal(results[1].reference_rows.sampled_rows, 1000);
      assert.equal(results[1].sampled, true);
    }
    const classifier = report.monitors["embedding-classifier"].results[1];
    assert.equal(classifier.details.importance.length, 10);
    // Every movie tested as it comes: no alarm before the shift (the 401st movie), some after.
    const online = report.monitors["embedding-online"].results;
    const detections = online.filter((r: { kind: string }) => r.kind === "detection");
    assert.ok(detections.length > 0 && detections[0].events > 400, JSON.stringify(detections[0]));
  });

  it("detects the wind readings' rise soon after it starts, and not before", function () {
    this.timeout(60_000);
    const out = driftwatch("report", "--config", "drift/online/driftwatch.yaml");
    assert.equal(out.code, 0, out.stderr);
    const { results, verdicts } = JSON.parse(out.stdout).monitors["wind-online"];
    const detections = results.filter((r: { kind: string }) => r.kind === "detection");
    // The readings rise from the 601st event of the stream.
    assert.ok(detections[0].events > 600 && detections[0].events <= 660, String(detections[0].events));
    const summary = results[results.length - 1];
    assert.equal(summary.kind, "summary");
    assert.equal(summary.events, 961);
    assert.match(verdicts[verdicts.length - 1], /961 events tested, \d+ detection\(s\)/);
  });

  it("counts vectors of the wrong length or with non-numbers as invalid rows", () => {
    const rows = [];
    for (let i = 0; i < 40; i++) rows.push({ v: [Math.sin(i), Math.cos(i), i % 3] });
    rows.push({ v: [1, 2] }, { v: [1, "2", 3] }, { v: "1,2,3" }, { v: null }, {});
    writeFileSync(join(dir, "vectors.jsonl"), `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
    const config = join(dir, "c.yaml");
    writeFileSync(
      config,
      `sources:
  events: { type: file, path: vectors.jsonl }
features:
  v: { source: events, path: /v, type: vector, dimension: 3 }
monitors:
  m:
    type: multivariate
    features: [v]
    test: mmd
    reference: { type: first, events: 20 }
    window: { type: tumbling, events: 100 }
`,
    );
    const out = driftwatch("report", "--config", config);
    assert.equal(out.code, 0, out.stderr);
    const [result] = JSON.parse(out.stdout).monitors.m.results;
    assert.deepEqual(result.current_rows, { rows: 20, sampled_rows: 20, missing: 2, invalid: 3 });
  });

  it("says in one line, exit 2, what is wrong with a vector column of a reference file", () => {
    writeFileSync(join(dir, "ref.csv"), 'v\n"[1,2,3]"\n"[1,2,3]"\nnot json\n');
    writeFileSync(join(dir, "empty.jsonl"), "");
    const config = join(dir, "bad.yaml");
    writeFileSync(
      config,
      `sources:
  events: { type: file, path: empty.jsonl }
features:
  v: { source: events, path: /v, type: vector, dimension: 3 }
monitors:
  m: { type: multivariate, features: [v], test: mmd, reference: { type: file, path: ref.csv }, window: { type: tumbling, events: 10 } }
`,
    );
    const out = driftwatch("validate", "--config", config);
    assert.equal(out.code, 2);
    assert.match(out.stderr, /ref\.csv: row 3, column "v": not a JSON array of numbers \(got "not json"\)/);
    assert.doesNotMatch(out.stderr, /\n\s+at /);
  });
});
