import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../src/config/load.js";
import { configSchema } from "../../src/config/schema.js";
import { weatherDriftHeader } from "../support/config.js";

const dir = mkdtempSync(join(tmpdir(), "driftwatch-config-"));
mkdirSync(join(dir, "schemas"));
copyFileSync("drift/weather/schemas/weather-input.json", join(dir, "schemas/weather-input.json"));
copyFileSync("drift/weather/reference.csv", join(dir, "reference.csv"));
let n = 0;

function config(text: string): string {
  const path = join(dir, `c${n++}.yaml`);
  writeFileSync(path, text);
  return path;
}

function problems(text: string): string[] {
  try {
    loadConfig(config(text));
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems.map((p) => `${p.line ?? "?"} ${p.path} ${p.message}`);
  }
  assert.fail("expected a ConfigError");
}

const valid = `${weatherDriftHeader}    reference: { type: file, path: reference.csv }
    window: { type: tumbling, events: 10 }
`;

describe("loadConfig", () => {
  it("accepts the example config of the README as written", () => {
    const loaded = loadConfig("drift/weather/driftwatch.yaml");
    assert.deepEqual(Object.keys(loaded.config.monitors), ["weather-drift"]);
    assert.equal(loaded.resolvePath("reference.csv"), join(process.cwd(), "drift/weather/reference.csv"));
  });

  it("accepts the churn example with performance, target and prediction drift and outliers", () => {
    const monitors = loadConfig("drift/churn/driftwatch.yaml").config.monitors;
    assert.deepEqual(
      Object.values(monitors).map((m) => m.type),
      ["performance", "drift", "drift", "outliers"],
    );
  });

  it("accepts the demo config", () => {
    assert.equal(loadConfig("drift/demo/driftwatch.yaml").config.sources.weather.type, "file");
  });

  it("resolves paths against the config file's folder", () => {
    const loaded = loadConfig(config(valid));
    assert.equal(loaded.resolvePath("reference.csv"), join(dir, "reference.csv"));
  });

  it("reports every problem at once with its line, JSON path, value and a suggestion", () => {
    const found = problems(`
sources:
  inputs:
    type: kafak
    brokers: [127.0.0.1:9092]
features:
  temp_max: { source: inputz, path: temp_max, type: numeric }
monitors:
  m:
    type: drift
    features: [temp_max, nope]
    reference: { type: first, events: 0 }
    window: { type: sliding, events: 10 }
    numeric_test: kss
    alpha: -0.1
    endpiont: 3
`);
    assert.deepEqual(found, [
      '4 /sources/inputs/type unknown type "kafak" (did you mean "kafka"?); known types: kafka, file, http',
      '7 /features/temp_max/path must be JSON pointer (RFC 6901) into the event, e.g. /inputs/temp_max (got "temp_max")',
      '7 /features/temp_max/source unknown source "inputz" (did you mean "inputs"?); sources: inputs',
      '11 /monitors/m/features/1 unknown feature "nope"; features: temp_max',
      "12 /monitors/m/reference/events must be >= 1 (got 0)",
      "13 /monitors/m/window a sliding window by events needs `step_events`",
      '14 /monitors/m/numeric_test must be one of ks, wasserstein, psi, jensenshannon, hellinger (got "kss") (did you mean "ks"?)',
      "15 /monitors/m/alpha must be > 0 (got -0.1)",
      '16 /monitors/m/endpiont unknown key "endpiont"; known keys: type, features, reference, window, alerts, id, schedule, numeric_test, categorical_test, alpha, threshold, correction, drift_share, min_effect, thresholds, mode, sketch, segment_by, max_segments',
    ]);
  });

  it("checks files, cross-references and windows the schema cannot express", () => {
    const found = problems(
      valid
        .replace("schemas/weather-input.json", "schemas/missing.json")
        .replace("reference.csv", "nowhere.csv")
        .replace("{ type: tumbling, events: 10 }", "{ type: sliding, events: 10, step_events: 3 }") +
        "    schedule: every minute\n",
    );
    assert.equal(found.length, 4, found.join("\n"));
    assert.match(found[0], /^3 \/sources\/inputs\/schema file not found: .*schemas\/missing\.json$/);
    assert.match(found[1], /^11 \/monitors\/m\/reference\/path file not found: .*nowhere\.csv$/);
    assert.match(
      found[2],
      /^12 \/monitors\/m\/window the window length \(10\) must be a whole multiple of the step \(3\)$/,
    );
    assert.match(found[3], /^13 \/monitors\/m\/schedule not a valid cron expression \(got "every minute"\)$/);
  });

  it("rejects event-time windows on a source without event_time, and dead-letter topics off Kafka", () => {
    const found = problems(`
sources:
  web: { type: http, listen: "127.0.0.1:8080", dead_letter: { topic: dlq } }
features:
  x: { source: web, path: /x, type: numeric }
monitors:
  m:
    type: drift
    features: [x]
    reference: { type: first, events: 5 }
    window: { type: tumbling, duration_secs: 60, time: event }
`);
    assert.deepEqual(found, [
      "3 /sources/web/dead_letter a dead-letter topic needs a kafka source; use { path: FILE }",
      '11 /monitors/m/window/time event time needs `event_time` on source "web"',
    ]);
  });

  it("rejects a schema file that is not valid JSON or not a JSON Schema", () => {
    writeFileSync(join(dir, "schemas/broken.json"), "{ not json");
    writeFileSync(join(dir, "schemas/wrong.json"), JSON.stringify({ type: "no-such-type" }));
    for (const [file, why] of [
      ["broken.json", /not a usable JSON Schema: .*JSON/],
      ["wrong.json", /not a usable JSON Schema: .*type/],
    ] as const) {
      const found = problems(valid.replace("schemas/weather-input.json", `schemas/${file}`));
      assert.equal(found.length, 1, found.join("\n"));
      assert.match(found[0], /^3 \/sources\/inputs\/schema /);
      assert.match(found[0], why);
    }
  });

  it("checks outlier scorers' params and thresholds with the scorer registry", () => {
    const found = problems(
      valid.replace(
        "    window: { type: tumbling, events: 10 }\n",
        "    window: { type: tumbling, events: 10 }\n  o:\n    type: outliers\n    features: [temp_max, weather]\n    reference: { type: first, events: 5 }\n    scorers: [ { type: iqr, k: -1 }, { type: iqr }, { type: isolation_forest, threshold: { percentile: 99, value: 1 } } ]\n    window: { type: tumbling, events: 5 }\n",
      ),
    );
    assert.deepEqual(found, [
      '15 /monitors/o/features/1 outlier scorers take numeric features; "weather" is categorical',
      "17 /monitors/o/scorers/0/k must be >= 0 (got -1)",
      '17 /monitors/o/scorers/1/type scorer "iqr" appears twice; give each its own name (name: ...)',
      "17 /monitors/o/scorers/2/threshold give either `percentile` or `value`, not both",
    ]);
  });

  it("takes a scorer type twice under two names, and refuses a name taken", () => {
    const scorers = (list: string) =>
      valid.replace(
        "    window: { type: tumbling, events: 10 }\n",
        `    window: { type: tumbling, events: 10 }\n  o:\n    type: outliers\n    features: [temp_max]\n    reference: { type: first, events: 5 }\n    scorers: ${list}\n    window: { type: tumbling, events: 5 }\n`,
      );
    loadConfig(
      config(
        scorers(
          "[ { type: isolation_forest, seed: 1 }, { type: isolation_forest, name: forest-deep, max_samples: 64, seed: 2 } ]",
        ),
      ),
    );
    assert.deepEqual(problems(scorers("[ { type: iqr, name: fence }, { type: robust_z, name: fence } ]")), [
      '17 /monitors/o/scorers/1/name scorer name "fence" is taken',
    ]);
  });

  it("checks a performance monitor's estimation", () => {
    const found = problems(`
sources:
  events: { type: http, listen: "127.0.0.1:0" }
monitors:
  unscored:
    type: performance
    task: classification
    predictions: { source: events, id: /id, label: /y_hat }
    labels: { source: events, id: /id, label: /y }
    window: { type: tumbling, events: 100 }
    estimation: { reference: { pairs: 1000 }, chunk_size: 500 }
  short:
    type: performance
    task: classification
    predictions: { source: events, id: /id, label: /y_hat, score: /p }
    labels: { source: events, id: /id, label: /y }
    window: { type: tumbling, events: 100 }
    positive: "1"
    estimation: { reference: { pairs: 600 }, chunk_size: 500, metrics: [roc_auc, accuracy], alerts: [] }
`);
    assert.deepEqual(found, [
      "11 /monitors/unscored/estimation estimation reads the model's probabilities: set predictions.score or predictions.probabilities",
      '19 /monitors/short/estimation/alerts unknown key "alerts"; known keys: reference, chunk_size, metrics, calibrate',
      "19 /monitors/short/estimation/reference/pairs the reference needs at least two chunks for its thresholds: 1000 pairs or more (got 600)",
    ]);
  });

  it("names detectors apart, and checks the detectors a concept_drift rule names", () => {
    const found = problems(`
sources:
  events: { type: http, listen: "127.0.0.1:0" }
monitors:
  p:
    type: performance
    task: classification
    predictions: { source: events, id: /id, label: /y_hat }
    labels: { source: events, id: /id, label: /y }
    window: { type: tumbling, events: 100 }
    detectors: [ { type: ddm }, { type: ddm }, { type: adwin, name: fast, delta: 0.1 }, { type: ddm, name: fast } ]
    alerts:
      - { type: concept_drift, detectors: [fast, ddm, adwin] }
`);
    assert.deepEqual(found, [
      '11 /monitors/p/detectors/1/type detector "ddm" appears twice; give each its own name (name: ...)',
      '11 /monitors/p/detectors/3/name detector name "fast" is taken',
      '13 /monitors/p/alerts/0/detectors/2 no detector of this monitor is named "adwin"; its detectors: ddm, fast',
    ]);
  });

  it("checks a performance monitor's sources, slices and detectors", () => {
    const found = problems(`
sources:
  predictions: { type: http, listen: "127.0.0.1:0" }
  labels: { type: http, listen: "127.0.0.1:0" }
features:
  region: { source: labels, path: /region, type: categorical }
monitors:
  p:
    type: performance
    task: regression
    predictions: { source: predictions, id: /id, label: /value }
    labels: { source: label, id: /id, label: /value }
    window: { type: tumbling, events: 100 }
    slices:
      eu: { feature: region, in: [eu] }
      big: { feature: size, gte: 10 }
    detectors: [ { type: ddm }, { type: adwin, delta: 2 }, { type: page_hinkley } ]
`);
    assert.deepEqual(found, [
      '12 /monitors/p/labels/source unknown source "label" (did you mean "labels"?); sources: predictions, labels',
      '15 /monitors/p/slices/eu/feature slices read features of the predictions source "predictions"; "region" is on "labels"',
      '16 /monitors/p/slices/big/feature unknown feature "size"; features: region',
      "17 /monitors/p/detectors/0/type ddm takes a 0/1 error stream; a regression monitor feeds absolute errors (use adwin, page_hinkley or kswin)",
      "17 /monitors/p/detectors/1/delta must be < 1 (got 2)",
    ]);
  });

  it("checks a performance monitor's probabilities, and needs no features", () => {
    const found = problems(`
sources:
  events: { type: http, listen: "127.0.0.1:0" }
monitors:
  binary:
    type: performance
    task: classification
    predictions: { source: events, id: /id, label: /y_hat, score: /p }
    labels: { source: events, id: /id, label: /y }
    window: { type: tumbling, events: 100 }
  both:
    type: performance
    task: classification
    predictions: { source: events, id: /id, label: /y_hat, score: /p, probabilities: /proba }
    labels: { source: events, id: /id, label: /y }
    window: { type: tumbling, events: 100 }
    positive: "1"
  names:
    type: performance
    task: classification
    predictions: { source: events, id: /id, label: /y_hat, classes: [a, b] }
    labels: { source: events, id: /id, label: /y }
    window: { type: tumbling, events: 100 }
  regression:
    type: performance
    task: regression
    predictions: { source: events, id: /id, label: /y_hat, probabilities: /proba }
    labels: { source: events, id: /id, label: /y }
    window: { type: tumbling, events: 100 }
`);
    assert.deepEqual(found, [
      "6 /monitors/binary/positive score is the probability of the positive class: name that class with positive",
      "14 /monitors/both/predictions/probabilities give score (the positive class's probability) or probabilities (every class's), not both",
      "21 /monitors/names/predictions/classes classes name the entries of an array of probabilities; set probabilities too",
      "27 /monitors/regression/predictions/probabilities probabilities is for classification; this monitor's task is regression",
    ]);
    const multiclass = loadConfig(
      config(`
sources:
  events: { type: http, listen: "127.0.0.1:0" }
monitors:
  m:
    type: performance
    task: classification
    predictions: { source: events, id: /id, label: /y_hat, probabilities: /proba, classes: [cat, dog, bird] }
    labels: { source: events, id: /id, label: /y }
    window: { type: tumbling, events: 100 }
`),
    );
    assert.deepEqual(multiclass.config.features, {}, "features may be left out");
  });

  it("names the line of a YAML syntax error", () => {
    assert.deepEqual(problems("sources:\n  a: [1, 2\nfeatures: {}\n").length > 0, true);
    assert.match(problems("sources:\n  a: [1, 2\nfeatures: {}\n")[0], /^\d+ {2}YAML: /);
  });

  it("checks a checks monitor's source, suite (with the suite's own lines) and window", () => {
    writeFileSync(
      join(dir, "suite.yaml"),
      "name: s\nexpectations:\n  - type: expect_table_row_count_to_be_betwen\n    kwargs: { min_value: 1 }\n",
    );
    writeFileSync(
      join(dir, "good.yaml"),
      "expectations:\n  - type: expect_table_row_count_to_equal\n    kwargs: { value: 3 }\n",
    );
    const base = `
sources:
  inputs: { type: kafka, brokers: [127.0.0.1:9092], topic: t, group_id: g }
features:
  temp_max: { source: inputs, path: /temp_max, type: numeric }
monitors:
  d:
    type: drift
    features: [temp_max]
    reference: { type: first, events: 10 }
    window: { type: tumbling, events: 10 }
`;
    const found = problems(`${base}  c:
    type: checks
    source: input
    suite: suite.yaml
    window: { same_as: e }
    reference: { type: file, path: nowhere.jsonl }
    alerts: [{ type: feature_drift }]
`);
    assert.ok(
      found.some((p) => /\/monitors\/c\/source unknown source "input" \(did you mean "inputs"\?\)/.test(p)),
      found.join("\n"),
    );
    assert.ok(
      found.some((p) =>
        /\/monitors\/c\/suite .*suite\.yaml:3 \/expectations\/0\/type: unknown expectation "expect_table_row_count_to_be_betwen" \(did you mean "expect_table_row_count_to_be_between"\?\)/.test(
          p,
        ),
      ),
      found.join("\n"),
    );
    assert.ok(
      found.some((p) => /\/monitors\/c\/window\/same_as "e" is not a drift monitor/.test(p)),
      found.join("\n"),
    );
    assert.ok(
      found.some((p) => /\/monitors\/c\/reference\/path file not found/.test(p)),
      found.join("\n"),
    );
    assert.ok(
      found.some((p) => /\/monitors\/c\/alerts\/0/.test(p)),
      "feature_drift is no checks rule",
    );
    const loaded = loadConfig(
      config(`${base}  c:
    type: checks
    source: inputs
    suite: good.yaml
    window: { same_as: d }
    alerts: [{ type: expectation_failed }]
`),
    );
    assert.equal(loaded.config.monitors.c.type, "checks");
    assert.match(
      problems(`${base}  c:
    type: checks
    source: inputs
    suite: good.yaml
    window: { type: sliding, events: 10, step_events: 3 }
`).join("\n"),
      /whole multiple of the step/,
    );
    writeFileSync(
      join(dir, "stream.yaml"),
      [
        "expectations:",
        "  - type: expect_window_event_count_to_be_within_history",
        "  - type: expect_event_time_lag_to_be_less_than",
        "    kwargs: { max_lag_secs: 60 }",
        "",
      ].join("\n"),
    );
    const stream = problems(`${base}  c:
    type: checks
    source: inputs
    suite: stream.yaml
    window: { same_as: d }
`).join("\n");
    assert.match(
      stream,
      /\/monitors\/c\/window +expect_window_event_count_to_be_within_history compares event counts of time windows/,
    );
    assert.match(
      stream,
      /\/monitors\/c\/suite +expect_event_time_lag_to_be_less_than needs `event_time` on source "inputs"/,
    );
  });

  it("publishes the schema editors use, equal to the one the loader applies", () => {
    const published = "schemas/config.schema.json";
    const text = `${JSON.stringify(configSchema, null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN === "1") writeFileSync(published, text);
    assert.equal(
      readFileSync(published, "utf8"),
      text,
      "run UPDATE_GOLDEN=1 npx mocha test/config/load.test.ts",
    );
  });
});

describe("driftwatch validate", () => {
  it("exits 0 on a valid config and 2 with the problems listed", () => {
    const ok = spawnSync(
      process.execPath,
      ["bin/driftwatch.js", "validate", "--config", "drift/weather/driftwatch.yaml"],
      { encoding: "utf8" },
    );
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /valid \(1 sources, 2 features, 1 monitors\)/);
    const bad = spawnSync(
      process.execPath,
      [
        "bin/driftwatch.js",
        "validate",
        "--config",
        config(valid.replace("alpha", "x").replace("events: 10", "events: -1")),
      ],
      {
        encoding: "utf8",
      },
    );
    assert.equal(bad.status, 2);
    assert.match(
      bad.stderr,
      /^driftwatch: .*c\d+\.yaml: 1 problem\n {2}line 12: \/monitors\/m\/window\/events {2}must be >= 1 \(got -1\)\n$/,
    );
    assert.ok(!/\s+at /.test(bad.stderr));
  });
});
