import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadConfig } from "../src/config/load.js";
import { defaultDriftOptions } from "../src/drift/evaluate.js";
import type { DriftResult } from "../src/drift/monitor.js";
import { Logger } from "../src/log.js";
import { resultsOf } from "../src/monitors/results.js";
import type { OutlierResult } from "../src/outliers/monitor.js";
import { Pipeline } from "../src/pipeline.js";
import { buildReport } from "../src/report/build.js";

const root = process.cwd();
const dir = mkdtempSync(join(tmpdir(), "driftwatch-pipeline-"));
const quiet = new Logger("error");
const weather = readFileSync("drift/demo/seattle-weather.jsonl", "utf8").trim().split("\n");
const year = (y: string): string[] => weather.filter((line) => line.includes(`"date":"${y}-`));
let n = 0;

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** A config for a file source over `events`, with the given monitor and source settings. */
function configFor(events: string[], monitor: string, source = ""): string {
  const id = n++;
  const data = write(`events-${id}.jsonl`, `${events.join("\n")}\n`);
  return write(
    `config-${id}.yaml`,
    `
sources:
  weather:
    type: file
    path: ${data}
    schema: ${resolve(root, "drift/weather/schemas/weather-input.json")}
    event_time: /date
    dead_letter: { path: ${join(dir, `dead-${id}.jsonl`)} }
${source}
features:
  temp_max:      { source: weather, path: /temp_max, type: numeric }
  temp_min:      { source: weather, path: /temp_min, type: numeric }
  precipitation: { source: weather, path: /precipitation, type: numeric }
  wind:          { source: weather, path: /wind, type: numeric }
  weather:       { source: weather, path: /weather, type: categorical }
monitors:
  m:
    type: drift
    features: [temp_max, temp_min, precipitation, wind, weather]
${monitor}
state: { dir: ${join(dir, `state-${id}`)} }
`,
  );
}

async function runToEnd(
  config: string,
  stateDir?: string,
): Promise<{ results: DriftResult[]; pipeline: Pipeline }> {
  const results: DriftResult[] = [];
  const pipeline = await Pipeline.create(loadConfig(config), {
    log: quiet,
    metricsListen: null,
    stateDir,
    onResult: resultsOf<DriftResult>("drift", (r) => results.push(r)),
  });
  await pipeline.start();
  await pipeline.finished();
  await pipeline.stop();
  return { results, pipeline };
}

/** A config of source `s` (its YAML), features temp_max and wind, and outlier monitor `o` of both with these keys (indented 4). */
function outlierConfig(source: string, keys: string): string {
  const id = n++;
  return write(
    `outliers-${id}.yaml`,
    `
sources:
  s: ${source}
features:
  temp_max: { source: s, path: /temp_max, type: numeric }
  wind: { source: s, path: /wind, type: numeric }
monitors:
  o:
    type: outliers
    features: [temp_max, wind]
${keys}
state: { dir: ${join(dir, `outliers-state-${id}`)} }
`,
  );
}

/** Runs an outlier config's file source to its end and stops, collecting the closed windows. */
async function runOutliers(
  config: string,
  beforeStop: (pipeline: Pipeline) => Promise<void> = async () => {},
): Promise<{ closed: OutlierResult[]; pipeline: Pipeline }> {
  const closed: OutlierResult[] = [];
  const pipeline = await Pipeline.create(loadConfig(config), {
    log: quiet,
    metricsListen: null,
    onResult: resultsOf<OutlierResult>("outliers", (r) => closed.push(r)),
  });
  await pipeline.start();
  await pipeline.finished();
  await beforeStop(pipeline);
  await pipeline.stop();
  return { closed, pipeline };
}

async function metric(
  pipeline: Pipeline,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const all = await pipeline.metrics.registry.getMetricsAsJSON();
  const found = all.find((m) => m.name === name);
  const value = found?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value;
}

describe("Pipeline", () => {
  it("gives a window exactly the numbers `report` gives on the same rows", async () => {
    const current = year("2015");
    const config = configFor(
      current,
      `    reference: { type: file, path: ${resolve(root, "drift/examples/seattle-weather-2012.csv")} }
    window: { type: tumbling, events: ${current.length} }`,
    );
    const { results } = await runToEnd(config);
    assert.equal(results.length, 1);
    const report = await buildReport({
      reference: "drift/examples/seattle-weather-2012.csv",
      current: "drift/examples/seattle-weather-2015.csv",
      numeric: [],
      categorical: [],
      columns: ["temp_max", "temp_min", "precipitation", "wind", "weather"],
      ignore: [],
      drift: defaultDriftOptions,
    });
    const byName = (columns: readonly { name: string }[]) =>
      [...columns].sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(byName(results[0].evaluation.columns), byName(report.columns));
    assert.deepEqual(results[0].evaluation.dataset, report.dataset);
  });

  it("dead-letters malformed and invalid events with their reason, counts them, and keeps going", async () => {
    const events = [
      ...year("2013").slice(0, 10),
      "{not json",
      '{"date":"2013-02-01","temp_max":"hot","weather":"sun"}',
      "[1,2]",
      '{"date":"2013-02-02","temp_max":3}',
      ...year("2013").slice(10, 20),
    ];
    const config = configFor(
      events,
      "    reference: { type: first, events: 5 }\n    window: { type: tumbling, events: 5 }",
    );
    const { results, pipeline } = await runToEnd(config);
    assert.equal(results.length, 3, "15 valid events after a reference of 5");
    assert.equal(
      await metric(pipeline, "driftwatch_events_total", { source: "weather", outcome: "valid" }),
      20,
    );
    assert.equal(
      await metric(pipeline, "driftwatch_events_total", { source: "weather", outcome: "invalid" }),
      4,
    );
    assert.equal(await metric(pipeline, "driftwatch_events_invalid_total", { reason: "malformed_json" }), 1);
    assert.equal(await metric(pipeline, "driftwatch_events_invalid_total", { reason: "schema" }), 2);
    assert.equal(await metric(pipeline, "driftwatch_events_invalid_total", { reason: "not_an_object" }), 1);
    const dead = readFileSync(config.replace(/config-(\d+)\.yaml$/, "dead-$1.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      dead.map((d) => [d.reason, d.value, d.position.offset]),
      [
        ["malformed_json", "{not json", 10],
        ["schema", events[11], 11],
        ["not_an_object", "[1,2]", 12],
        ["schema", events[13], 13],
      ],
    );
    assert.match(dead[1].detail, /^\/temp_max: must be number \(got "hot"\)$/);
    assert.match(dead[3].detail, /must have required property 'weather'/);
  });

  it("counts features that are missing or of the wrong type without rejecting the event", async () => {
    const data = write(
      "loose.jsonl",
      ['{"t":1,"c":"a"}', '{"t":"x","c":{"o":1}}', '{"c":"b"}', '{"t":null,"c":2}'].join("\n"),
    );
    const config = write(
      "loose.yaml",
      `
sources:
  s: { type: file, path: ${data} }
features:
  t: { source: s, path: /t, type: numeric }
  c: { source: s, path: /c, type: categorical }
monitors:
  m: { type: drift, features: [t, c], reference: { type: first, events: 2 }, window: { type: tumbling, events: 2 } }
state: { dir: ${join(dir, "loose-state")} }
`,
    );
    const { results, pipeline } = await runToEnd(config);
    assert.equal(await metric(pipeline, "driftwatch_events_total", { outcome: "valid" }), 4);
    assert.equal(await metric(pipeline, "driftwatch_feature_missing_total", { feature: "t" }), 2);
    assert.equal(await metric(pipeline, "driftwatch_feature_invalid_total", { feature: "t" }), 1);
    assert.equal(await metric(pipeline, "driftwatch_feature_invalid_total", { feature: "c" }), 1);
    assert.equal(results.length, 1);
    assert.deepEqual(results[0].quality, {
      t: { missing_ratio: 1, unseen_category_ratio: null },
      c: { missing_ratio: 0, unseen_category_ratio: 1 },
    });
  });

  it("scores events against a file reference with the outlier monitor and exports the window's ratios", async () => {
    const events = [
      ...year("2015").slice(0, 20),
      JSON.stringify({
        date: "2015-02-30",
        temp_max: 55,
        temp_min: -50,
        precipitation: 90,
        wind: 30,
        weather: "sun",
      }),
    ];
    const data = write("outliers.jsonl", `${events.join("\n")}\n`);
    const config = outlierConfig(
      `{ type: file, path: ${data} }`,
      `    reference: { type: file, path: ${resolve(root, "drift/examples/seattle-weather-2012.csv")} }
    scorers: [ { type: mahalanobis }, { type: iqr, k: 3, threshold: { value: 0 } } ]
    window: { type: tumbling, events: 21 }
    id: /date
    top: 2`,
    );
    const { closed, pipeline } = await runOutliers(config);
    assert.equal(closed.length, 1);
    const [mahalanobis, iqr] = closed[0].scorers;
    assert.equal(mahalanobis.top[0].id, "2015-02-30", "the planted day is the most extreme");
    assert.ok(iqr.outliers >= 1 && iqr.top[0].id === "2015-02-30");
    assert.equal(
      await metric(pipeline, "driftwatch_outlier_ratio", { monitor: "o", scorer: "iqr" }),
      iqr.ratio,
    );
    assert.equal(await metric(pipeline, "driftwatch_outlier_threshold", { monitor: "o", scorer: "iqr" }), 0);
    const flagged = await metric(pipeline, "driftwatch_outlier_events_total", {
      monitor: "o",
      scorer: "mahalanobis",
    });
    assert.ok((flagged ?? 0) >= 1, `mahalanobis flagged ${flagged} events`);
  });

  it("scores outliers on a worker with the windows, late counts and results of scoring on the main thread", async () => {
    // 2013 and 2014 in order, then ten days of early 2013 again: late for their closed windows.
    const days = [...year("2013"), ...year("2014"), ...year("2013").slice(20, 30)];
    const data = write("outliers-late.jsonl", `${days.join("\n")}\n`);
    const run = async (thread: string) => {
      const config = outlierConfig(
        `{ type: file, path: ${data}, event_time: /date }`,
        `    reference: { type: first, events: 100 }
    window: { type: tumbling, duration_secs: 2592000, time: event }
    id: /date
    scoring_thread: ${thread}`,
      );
      // A checkpoint before the stop applies what the worker has not answered yet, late events included.
      const { closed, pipeline } = await runOutliers(config, (p) => p.checkpoint());
      const late = await metric(pipeline, "driftwatch_window_late_events_total", { monitor: "o" });
      const histogram = (await pipeline.metrics.registry.getMetricsAsJSON()).find(
        (m) => m.name === "driftwatch_outlier_score",
      );
      const scored = histogram?.values.find(
        (v) =>
          (v as { metricName?: string }).metricName === "driftwatch_outlier_score_count" &&
          v.labels.scorer === "robust_z",
      )?.value;
      return { closed, late, scored };
    };
    const main = await run("main");
    const worker = await run("worker");
    assert.equal(main.late, 10);
    assert.equal(worker.late, 10);
    assert.equal(worker.scored, main.scored);
    assert.equal(main.scored, days.length - 100 - 10);
    assert.ok(main.closed.length >= 20, `${main.closed.length} windows`);
    assert.deepEqual(worker.closed, main.closed);
  });

  it("resumes from a checkpoint after a crash and counts every event once", async () => {
    const events = weather.slice(0, 700);
    const monitor =
      "    reference: { type: first, events: 100 }\n    window: { type: tumbling, events: 600 }";
    const straight = await runToEnd(configFor(events, monitor));
    assert.equal(straight.results.length, 1);

    // A run that checkpoints mid-stream, goes on without checkpointing, and dies.
    const config = configFor(events, monitor, "    rate_per_sec: 2000");
    const stateDir = join(dir, `crash-${n}`);
    const crashed = await Pipeline.create(loadConfig(config), { log: quiet, metricsListen: null, stateDir });
    await crashed.start();
    await new Promise((r) => setTimeout(r, 120));
    await crashed.checkpoint();
    const saved = crashed.currentPositions.weather.line;
    const until = Date.now() + 5000;
    while (crashed.currentPositions.weather.line === saved && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    const beyond = crashed.currentPositions.weather.line;
    assert.ok(saved > 0 && saved < 700, `checkpointed mid-stream (line ${saved})`);
    assert.ok(beyond > saved, "processed more events after the checkpoint before dying");
    // Dying: the process is gone without a final checkpoint (its timers and file source just stop).
    await (
      crashed as unknown as { runtimes: { source: { stop(): Promise<void> } }[] }
    ).runtimes[0].source.stop();

    const resumed = await runToEnd(config, stateDir);
    assert.equal(resumed.results.length, 1);
    assert.deepEqual(resumed.results[0].evaluation, straight.results[0].evaluation);
    assert.equal(resumed.results[0].window.events, 600);
  });

  it("does not process anything again after a clean stop and restart", async () => {
    const config = configFor(
      weather.slice(0, 50),
      "    reference: { type: first, events: 10 }\n    window: { type: tumbling, events: 20 }",
    );
    const stateDir = join(dir, "restart");
    const first = await runToEnd(config, stateDir);
    assert.equal(first.results.length, 2);
    const checkpoint = JSON.parse(readFileSync(join(stateDir, "checkpoint.json"), "utf8"));
    assert.deepEqual(checkpoint.positions, { weather: { line: 50 } });
    const second = await runToEnd(config, stateDir);
    assert.equal(second.results.length, 0);
    assert.equal(await metric(second.pipeline, "driftwatch_events_total", { outcome: "valid" }), undefined);
  });

  it("accepts events over HTTP as JSON, JSON arrays and NDJSON", async () => {
    const config = write(
      "http.yaml",
      `
sources:
  web: { type: http, listen: "127.0.0.1:0", schema: ${resolve(root, "drift/weather/schemas/weather-input.json")} }
features:
  t: { source: web, path: /temp_max, type: numeric }
monitors:
  m: { type: drift, features: [t], reference: { type: first, events: 3 }, window: { type: tumbling, events: 3 } }
state: { dir: ${join(dir, "http-state")} }
`,
    );
    const results: DriftResult[] = [];
    const pipeline = await Pipeline.create(loadConfig(config), {
      log: quiet,
      metricsListen: "127.0.0.1:0",
      onResult: resultsOf<DriftResult>("drift", (r) => results.push(r)),
    });
    await pipeline.start();
    try {
      const port = (pipeline as unknown as { runtimes: { source: { port: number } }[] }).runtimes[0].source
        .port;
      const post = async (body: string, type = "application/json") => {
        const response = await fetch(`http://127.0.0.1:${port}/v1/events`, {
          method: "POST",
          body,
          headers: { "content-type": type },
        });
        return [response.status, await response.json()];
      };
      const e = (t: number | string) => JSON.stringify({ date: "2020-01-01", temp_max: t, weather: "sun" });
      assert.deepEqual(await post(e(1)), [202, { received: 1, accepted: 1, rejected: 0 }]);
      assert.deepEqual(await post(`[${e(2)},${e("x")},${e(3)}]`), [
        202,
        { received: 3, accepted: 2, rejected: 1 },
      ]);
      assert.deepEqual(await post(`${e(4)}\n{bad\n${e(5)}\n${e(6)}\n`, "application/x-ndjson"), [
        202,
        { received: 4, accepted: 3, rejected: 1 },
      ]);
      assert.equal(results.length, 1);
      const dead = readFileSync(join(dir, "http-state", "dead-letter-web.jsonl"), "utf8")
        .trim()
        .split("\n");
      assert.deepEqual(
        dead.map((line) => JSON.parse(line).reason),
        ["schema", "malformed_json"],
        "without a dead_letter setting, rejected events go to the state dir",
      );
      assert.equal((await fetch(`http://127.0.0.1:${port}/v1/other`)).status, 404);
      assert.equal((await fetch(`http://127.0.0.1:${port}/v1/events`)).status, 405);
      const metrics = await (await fetch(`http://127.0.0.1:${pipeline.metricsPort}/metrics`)).text();
      assert.match(metrics, /^driftwatch_events_total\{source="web",outcome="valid"\} 6$/m);
      assert.match(metrics, /^driftwatch_drift_statistic\{monitor="m",feature="t",test="ks"\} 1$/m);
      assert.match(metrics, /^driftwatch_window_events\{monitor="m"\} 3$/m);
      assert.match(metrics, /^process_cpu_seconds_total /m);
      assert.equal((await fetch(`http://127.0.0.1:${pipeline.metricsPort}/readyz`)).status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${pipeline.metricsPort}/healthz`)).status, 200);
    } finally {
      await pipeline.stop();
    }
  });
});

describe("driftwatch profile", () => {
  it("writes a profile that gives a monitor the same reference as the file", async () => {
    const profile = join(dir, "ref.profile.json");
    const r = spawnSync(
      process.execPath,
      [
        "bin/driftwatch.js",
        "profile",
        "--input",
        "drift/examples/seattle-weather-2012.csv",
        "--out",
        profile,
      ],
      { encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /366 rows, 4 numeric and 1 categorical columns, skipped date \(ISO-8601 timestamps\)/,
    );
    const current = year("2015");
    const window = `    window: { type: tumbling, events: ${current.length} }`;
    const fromFile = await runToEnd(
      configFor(
        current,
        `    reference: { type: file, path: ${resolve(root, "drift/examples/seattle-weather-2012.csv")} }\n${window}`,
      ),
    );
    const fromProfile = await runToEnd(
      configFor(current, `    reference: { type: profile, path: ${profile} }\n${window}`),
    );
    assert.deepEqual(fromProfile.results[0].evaluation, fromFile.results[0].evaluation);
  });
});
