import { strict as assert } from "node:assert";
import { readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { evaluateRules } from "../../src/alerts/rules.js";
import { loadConfig } from "../../src/config/load.js";
import { defaultDriftOptions } from "../../src/drift/evaluate.js";
import { driftKind } from "../../src/drift/kind.js";
import type { DriftResult } from "../../src/drift/monitor.js";
import { Logger } from "../../src/log.js";
import { outliersKind } from "../../src/outliers/kind.js";
import type { OutlierResult } from "../../src/outliers/monitor.js";
import { Pipeline } from "../../src/pipeline.js";
import { replayMonitors } from "../../src/replay.js";
import { buildReport } from "../../src/report/build.js";
import { scratch } from "../support/cli.js";
import { freePort, poll } from "../support/daemon.js";

// Seattle's daily weather (vega-datasets, 1461 days) is its own reference; the current days are
// the same with drizzle days 8 °C warmer: drift that only the drizzle segment shows.
const REFERENCE = resolve("node_modules/vega-datasets/data/seattle-weather.csv");
const { dir, file } = scratch("driftwatch-report-segments-");
const quiet = new Logger("error");

const days = readFileSync(REFERENCE, "utf8")
  .trim()
  .split("\n")
  .slice(1)
  .map((line) => {
    const [date, precipitation, tempMax, tempMin, wind, weather] = line.split(",");
    const warmer = weather === "drizzle" ? 8 : 0;
    return {
      date,
      precipitation: Number(precipitation),
      temp_max: Math.round((Number(tempMax) + warmer) * 10) / 10,
      temp_min: Math.round((Number(tempMin) + warmer) * 10) / 10,
      wind: Number(wind),
      weather,
    };
  });

/** Segmented drift (a reference file per segment, and first events per segment, capped) and outliers. */
function configText(source: string): string {
  return `sources:
  weather: ${source}
features:
  temp_max: { source: weather, path: /temp_max, type: numeric }
  temp_min: { source: weather, path: /temp_min, type: numeric }
  precipitation: { source: weather, path: /precipitation, type: numeric }
  wind: { source: weather, path: /wind, type: numeric }
  weather: { source: weather, path: /weather, type: categorical }
monitors:
  by-weather:
    type: drift
    features: [temp_max, temp_min, precipitation, wind]
    segment_by: weather
    reference: { type: file, path: ${REFERENCE} }
    window: { type: tumbling, events: ${days.length} }
    id: /date
  first-by-weather:
    type: drift
    features: [temp_max, wind]
    segment_by: weather
    max_segments: 2
    reference: { type: first, events: 100 }
    window: { type: tumbling, events: 300 }
  outliers-by-weather:
    type: outliers
    features: [temp_max, temp_min, precipitation, wind]
    segment_by: weather
    reference: { type: file, path: ${REFERENCE} }
    scorers: [{ type: robust_z, threshold: { value: 4 } }]
    window: { type: tumbling, events: 400 }
    id: /date
state: { dir: state }
`;
}

/** Results as compared: without wall-clock timings and source positions (HTTP and a file number events differently). */
function comparable(results: readonly unknown[]): unknown {
  return JSON.parse(
    JSON.stringify(results, (key, value) =>
      key === "duration_secs" || key === "offsets" ? undefined : value,
    ),
  );
}

/** Runs a config with an HTTP source, posting `parts` one after the other; its results by monitor. */
async function daemon(
  parts: readonly (typeof days)[],
  stateDir: string,
): Promise<{ results: Record<string, unknown[]>; metrics: string }> {
  const port = await freePort();
  const config = file(`online-${port}.yaml`, configText(`{ type: http, listen: "127.0.0.1:${port}" }`));
  const results: Record<string, unknown[]> = {};
  const pipeline = await Pipeline.create(loadConfig(config), {
    log: quiet,
    metricsListen: null,
    stateDir,
    now: () => Date.parse("2021-06-01T00:00:00Z"),
    onResult: ({ monitor, result }) => {
      results[monitor] ??= [];
      results[monitor].push(structuredClone(result));
    },
  });
  await pipeline.start();
  let metrics = "";
  try {
    let sent = 0;
    for (const part of parts) {
      const response = await fetch(`http://127.0.0.1:${port}/v1/events`, {
        method: "POST",
        headers: { "content-type": "application/x-ndjson" },
        body: part.map((e) => JSON.stringify(e)).join("\n"),
      });
      assert.equal(response.status, 202, await response.text());
      sent += part.length;
    }
    await poll(
      async () => {
        const valid = (await pipeline.metrics.eventsTotal.get()).values.find(
          (v) => v.labels.outcome === "valid",
        );
        return (valid?.value ?? 0) === sent ? true : undefined;
      },
      20_000,
      () => "the daemon to take every event",
    );
    metrics = await pipeline.metrics.registry.metrics();
  } finally {
    await pipeline.stop();
  }
  return { results, metrics };
}

describe("segmented monitors: daemon, report --config and report --segment-by", () => {
  let replay: Awaited<ReturnType<typeof replayMonitors>>;

  before(async () => {
    file("events.jsonl", `${days.map((d) => JSON.stringify(d)).join("\n")}\n`);
    const offline = file("offline.yaml", configText("{ type: file, path: events.jsonl }"));
    replay = await replayMonitors(loadConfig(offline), {
      files: {},
      now: () => Date.parse("2021-06-01T00:00:00Z"),
      log: quiet,
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("finds the drift confined to the drizzle segment, which the pooled days do not show", () => {
    const [result] = replay.monitors["by-weather"].results as DriftResult[];
    assert.equal(result.evaluation.dataset.drift, false);
    const segments = result.segments;
    assert.ok(segments);
    assert.equal(segments.reference, "per_segment");
    assert.equal(segments.admission, "reference");
    assert.deepEqual(segments.verdict, {
      scope: "confined",
      drifted: ["drizzle"],
      evaluated: 5,
      pooled_drift: false,
    });
    assert.deepEqual(
      segments.results.map((s) => [s.segment, s.window.events, s.evaluation.dataset.drifted_columns]),
      [
        ["rain", 641, 0],
        ["sun", 640, 0],
        ["fog", 101, 0],
        ["drizzle", 53, 2],
        ["snow", 26, 0],
      ],
    );
    assert.match(
      replay.monitors["by-weather"].verdicts[0],
      /\| segments by weather: drift confined to drizzle \(1 of 5 segments\) \| rain \(641 events\) 0\/4 \| .* \| drizzle \(53 events\) DRIFT 2\/4 \|/,
    );
  });

  it("gives per segment the numbers report --segment-by gives on the same rows", async () => {
    const current = file("current.jsonl", `${days.map((d) => JSON.stringify(d)).join("\n")}\n`);
    const report = await buildReport({
      reference: REFERENCE,
      current,
      numeric: [],
      categorical: [],
      columns: [],
      ignore: ["date"],
      drift: defaultDriftOptions,
      segmentBy: "weather",
    });
    const [result] = replay.monitors["by-weather"].results as DriftResult[];
    const byName = <T extends { name: string }>(columns: readonly T[]) =>
      [...columns].sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(byName(report.columns), byName(result.evaluation.columns), "the pooled comparison");
    assert.deepEqual(report.segments?.verdict, result.segments?.verdict);
    assert.deepEqual(
      report.segments?.segments.map((s) => s.segment),
      result.segments?.results.map((s) => s.segment),
    );
    for (const section of report.segments?.segments ?? []) {
      const daemon = result.segments?.results.find((s) => s.segment === section.segment);
      assert.deepEqual(byName(section.columns), byName(daemon?.evaluation.columns ?? []), section.segment);
      assert.deepEqual(section.dataset, daemon?.evaluation.dataset, section.segment);
      assert.deepEqual(section.rows, { reference: daemon?.window.events, current: daemon?.window.events });
    }
  });

  it("gives the daemon's results on the same rows, through a checkpoint and a restart too", async function () {
    this.timeout(120_000);
    const straight = await daemon(
      [days.slice(0, 500), days.slice(500, 1000), days.slice(1000)],
      join(dir, "s1"),
    );
    for (const name of ["by-weather", "first-by-weather", "outliers-by-weather"]) {
      const offline = replay.monitors[name].results;
      assert.ok(offline.length >= 1, name);
      assert.deepEqual(
        comparable(straight.results[name] ?? []),
        comparable(offline.slice(0, (straight.results[name] ?? []).length)),
        name,
      );
    }
    // The daemon keeps its last window open; the replay closes it: every full window is the same.
    assert.equal((straight.results["first-by-weather"] ?? []).length, 4);
    assert.equal((straight.results["outliers-by-weather"] ?? []).length, 3);

    // Stopped after 700 events (a checkpoint with every segment's state), restarted for the rest.
    const stateDir = join(dir, "s2");
    const first = await daemon([days.slice(0, 700)], stateDir);
    const checkpoint = JSON.parse(readFileSync(join(stateDir, "checkpoint.json"), "utf8"));
    const saved = checkpoint.monitors["first-by-weather"].state.segmented;
    // The first days are drizzle, then rain: the first two values seen, in that order.
    assert.deepEqual(saved.admitted, ["drizzle", "rain"]);
    assert.deepEqual(
      saved.segments.map((s: { segment: string }) => s.segment),
      ["drizzle", "rain", "__other__"],
    );
    const second = await daemon([days.slice(700)], stateDir);
    for (const name of ["by-weather", "first-by-weather", "outliers-by-weather"]) {
      const resumed = [...(first.results[name] ?? []), ...(second.results[name] ?? [])];
      assert.deepEqual(
        comparable(resumed),
        comparable(straight.results[name] ?? []),
        `${name} after a restart`,
      );
    }

    // Series labelled by segment for the segmented monitors, none for the pooled window.
    const text = straight.metrics;
    assert.match(text, /^driftwatch_dataset_drift\{monitor="by-weather"\} 0$/m);
    assert.match(text, /^driftwatch_dataset_drift\{monitor="by-weather",segment="drizzle"\} 1$/m);
    assert.match(
      text,
      /^driftwatch_drift_detected\{monitor="by-weather",feature="temp_min",segment="drizzle"\} 1$/m,
    );
    assert.match(text, /^driftwatch_drift_scope\{monitor="by-weather",scope="confined"\} 1$/m);
    assert.match(text, /^driftwatch_drift_scope\{monitor="by-weather",scope="global"\} 0$/m);
    assert.match(text, /^driftwatch_drifted_segments\{monitor="by-weather"\} 1$/m);
    assert.match(text, /^driftwatch_segments\{monitor="first-by-weather"\} 2$/m);
    assert.match(text, /^driftwatch_segments_overflow_total\{monitor="by-weather"\} 0$/m);
    const overflow = Number(
      /^driftwatch_segments_overflow_total\{monitor="first-by-weather"\} (\d+)$/m.exec(text)?.[1],
    );
    assert.equal(overflow, days.filter((d) => d.weather !== "drizzle" && d.weather !== "rain").length);
    assert.match(
      text,
      /^driftwatch_outlier_ratio\{monitor="outliers-by-weather",scorer="robust_z",segment="rain"\} /m,
    );
    assert.match(text, /^driftwatch_outlier_ratio\{monitor="outliers-by-weather",scorer="robust_z"\} /m);
    // Only admitted values and __other__ label a series.
    const labels = new Set([...text.matchAll(/segment="([^"]*)"/g)].map((m) => m[1]));
    assert.deepEqual([...labels].sort(), ["__other__", "drizzle", "fog", "rain", "snow", "sun"]);
  });

  it("refuses a new reference while it runs, saying why", async () => {
    const config = file("set.yaml", configText("{ type: file, path: events.jsonl }"));
    const pipeline = await Pipeline.create(loadConfig(config), {
      log: quiet,
      metricsListen: null,
      stateDir: join(dir, "s3"),
    });
    try {
      for (const name of ["by-weather", "outliers-by-weather"])
        await assert.rejects(
          pipeline.setReference(name, { type: "file", path: REFERENCE }),
          new RegExp(
            `monitor "${name}" is segmented by "weather": its segments' references cannot be set while it runs`,
          ),
        );
    } finally {
      await pipeline.stop();
    }
  });

  it("alerts name the segment that drifted, and the pooled alert says where the drift is", () => {
    const [result] = replay.monitors["by-weather"].results as DriftResult[];
    const { sets } = evaluateRules(
      "by-weather",
      [{ type: "dataset_drift" }, { type: "feature_drift" }],
      { kind: driftKind, result },
      {},
    );
    const dataset = sets[0].conditions;
    assert.equal(dataset.length, 1, "the pooled window does not drift; drizzle does");
    assert.deepEqual(dataset[0].labels, {
      alertname: "DatasetDrift",
      monitor: "by-weather",
      severity: "warning",
      segment: "drizzle",
    });
    assert.equal(
      dataset[0].annotations.summary,
      'dataset drift in segment weather=drizzle of monitor "by-weather": 2/4 features drifted',
    );
    assert.equal(dataset[0].annotations.drift_scope, "confined");
    assert.equal(dataset[0].annotations.drifted_segments, "drizzle");
    assert.equal(dataset[0].annotations.window_events, "53");
    assert.deepEqual(sets[1].conditions.map((c) => [c.labels.feature, c.labels.segment]).sort(), [
      ["temp_max", "drizzle"],
      ["temp_min", "drizzle"],
    ]);

    const outliers = replay.monitors["outliers-by-weather"].results as OutlierResult[];
    const { sets: outlierSets } = evaluateRules(
      "outliers-by-weather",
      [{ type: "outlier_ratio_above", above: 0.05 }],
      { kind: outliersKind, result: outliers[0] },
      {},
    );
    const bySegment = outlierSets[0].conditions.map((c) => c.labels.segment ?? "(pooled)");
    assert.ok(bySegment.length > 0);
    for (const c of outlierSets[0].conditions)
      if (c.labels.segment !== undefined)
        assert.match(c.annotations.summary, /in segment weather=\w+ of monitor/);
  });
});
