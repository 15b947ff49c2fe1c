import { strict as assert } from "node:assert";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../src/config/load.js";
import { driftwatch } from "../support/cli.js";

/** A cluster source `s` with a dead-letter topic unless `source` says otherwise, and these monitors. */
function configText(
  monitors: string,
  source = "    dead_letter: { topic: dlq }\n    cluster: { count_windows: per_partition }",
): string {
  return `sources:
  s:
    type: kafka
    brokers: [127.0.0.1:9092]
    topic: t
    group_id: g
${source}
  other: { type: kafka, brokers: [127.0.0.1:9092], topic: u, group_id: g2 }
features:
  x: { source: s, path: /x, type: numeric }
  c: { source: s, path: /c, type: categorical }
  y: { source: other, path: /y, type: numeric }
monitors:
${monitors}`;
}

describe("cluster config", () => {
  let dir = "";
  let n = 0;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "driftwatch-cluster-config-"));
    writeFileSync(join(dir, "reference.csv"), "x,c,y\n1,a,1\n2,b,2\n");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const write = (text: string) => {
    const path = join(dir, `c${n++}.yaml`);
    writeFileSync(path, text);
    return path;
  };
  const problems = (text: string): string[] => {
    try {
      loadConfig(write(text));
      return [];
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return error.problems.map((p) => `${p.path} ${p.message}`);
    }
  };
  const fileRef = "reference: { type: file, path: reference.csv }";

  it("takes drift monitors with a file reference and count windows", () => {
    assert.deepEqual(
      problems(
        configText(
          `  d: { type: drift, features: [x, c], ${fileRef}, window: { type: tumbling, events: 100 } }\n`,
        ),
      ),
      [],
    );
  });

  it("takes event-time windows with a lateness bound, and refuses them without one", () => {
    const timed = `  d: { type: drift, features: [x], ${fileRef}, window: { type: tumbling, duration_secs: 60, time: event } }\n`;
    const source = (cluster: string) =>
      `    event_time: /ts\n    dead_letter: { topic: dlq }\n    cluster: ${cluster}`;
    assert.deepEqual(problems(configText(timed, source("{ lateness_secs: 120 }"))), []);
    const found = problems(configText(timed, source("{ count_windows: per_partition }")));
    assert.equal(found.length, 1, found.join("\n"));
    assert.match(found[0], /^\/sources\/s\/cluster .*lateness_secs/);
  });

  it("refuses what cannot merge across partitions, naming the path", () => {
    const found = problems(
      configText(
        [
          `  time: { type: drift, features: [x], ${fileRef}, window: { type: tumbling, duration_secs: 60 } }`,
          "  first: { type: drift, features: [x], reference: { type: first, events: 10 }, window: { type: tumbling, events: 10 } }",
          `  sliding: { type: drift, features: [x], ${fileRef}, window: { type: sliding, events: 10, step_events: 5 } }`,
          `  cron: { type: drift, features: [x], ${fileRef}, window: { type: tumbling, events: 10 }, schedule: "* * * * *" }`,
          `  segmented: { type: drift, features: [x], segment_by: c, ${fileRef}, window: { type: tumbling, events: 10 } }`,
          "  odd: { type: outliers, features: [x], reference: { type: first, events: 20 }, scorers: [{ type: robust_z, threshold: { value: 4 } }], window: { type: tumbling, events: 10 } }",
          `  apart: { type: drift, features: [y], ${fileRef}, window: { type: tumbling, duration_secs: 60 } }`,
          "",
        ].join("\n"),
      ),
    );
    const paths = found.map((p) => p.split(" ")[0]);
    assert.deepEqual(
      paths.sort(),
      [
        "/monitors/cron/schedule",
        "/monitors/first/reference/type",
        "/monitors/odd/type",
        "/monitors/segmented/segment_by",
        "/monitors/sliding/window",
        "/monitors/time/window",
      ],
      found.join("\n"),
    );
    assert.match(found.find((p) => p.startsWith("/monitors/time/window")) ?? "", /counted per partition/);
    assert.match(
      found.find((p) => p.startsWith("/monitors/odd/type")) ?? "",
      /does not merge across partitions/,
    );
  });

  it("needs a dead-letter topic, and the documented count_windows setting", () => {
    const monitor = `  d: { type: drift, features: [x], ${fileRef}, window: { type: tumbling, events: 10 } }\n`;
    assert.deepEqual(
      problems(configText(monitor, "    cluster: { count_windows: per_partition }")).map(
        (p) => p.split(" ")[0],
      ),
      ["/sources/s/cluster"],
    );
    assert.deepEqual(
      problems(
        configText(
          monitor,
          "    dead_letter: { path: dl.jsonl }\n    cluster: { count_windows: per_partition }",
        ),
      ).map((p) => p.split(" ")[0]),
      ["/sources/s/dead_letter"],
    );
    const missing = problems(configText(monitor, "    dead_letter: { topic: dlq }\n    cluster: {}"));
    assert.equal(missing.length, 1, missing.join("\n"));
    assert.match(missing[0], /^\/sources\/s\/cluster .*count_windows/);
  });

  it("exits 2 naming the file, and each problem's line and path", () => {
    copyFileSync(join(dir, "reference.csv"), join(dir, "ref.csv"));
    const path = write(
      configText(
        `  time: { type: drift, features: [x], ${fileRef}, window: { type: tumbling, duration_secs: 60 } }\n`,
      ),
    );
    const r = driftwatch("validate", "--config", path);
    assert.equal(r.code, 2, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    assert.match(
      r.stderr,
      /c\d+\.yaml: 1 problem\n {2}line \d+: \/monitors\/time\/window {2}on a cluster source each partition cuts its own windows/,
    );
  });
});
