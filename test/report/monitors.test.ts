import { strict as assert } from "node:assert";
import { copyFileSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.js";
import { Logger } from "../../src/log.js";
import { monitorKinds, registerMonitorKind } from "../../src/monitors/registry.js";
import { Pipeline } from "../../src/pipeline.js";
import { replayMonitors } from "../../src/replay.js";
import { driftwatch, scratch } from "../support/cli.js";
import { freePort, poll } from "../support/daemon.js";
import { eventCounterKind } from "../support/toy-kind.js";

const { dir, file } = scratch("driftwatch-report-monitors-");
const quiet = new Logger("error");

/** Seattle weather days with an id, a prediction and its label: every kind's monitor reads them. */
const events = readFileSync("drift/demo/seattle-weather.jsonl", "utf8")
  .trim()
  .split("\n")
  .slice(0, 40 + 2 * 30 + 7)
  .map((line, i) => {
    const day = JSON.parse(line) as Record<string, unknown>;
    return {
      ...day,
      id: `e${i}`,
      predicted: i % 3 === 0 ? "rain" : "sun",
      actual: day.weather === "rain" ? "rain" : "sun",
    };
  });
const rows = `${events.map((e) => JSON.stringify(e)).join("\n")}\n`;

/** One monitor of every kind, the toy kind included, windows of 30 events after 40 for reference. */
function configText(source: string): string {
  return `sources:
  events: ${source}
features:
  temp_max: { source: events, path: /temp_max, type: numeric }
  wind: { source: events, path: /wind, type: numeric }
  weather: { source: events, path: /weather, type: categorical }
monitors:
  drift:
    type: drift
    features: [temp_max, wind, weather]
    reference: { type: first, events: 40 }
    window: { type: tumbling, events: 30 }
  outliers:
    type: outliers
    features: [temp_max, wind]
    reference: { type: first, events: 40 }
    scorers: [{ type: robust_z, threshold: { value: 3 } }, { type: isolation_forest, seed: 1 }]
    window: { type: tumbling, events: 30 }
    id: /date
  performance:
    type: performance
    task: classification
    predictions: { source: events, id: /id, label: /predicted }
    labels: { source: events, id: /id, label: /actual }
    window: { type: tumbling, events: 30 }
    detectors: [{ type: ddm }]
  checks:
    type: checks
    source: events
    suite: checks/weather.yaml
    window: { type: tumbling, events: 30 }
    id: /date
  joint:
    type: multivariate
    features: [temp_max, wind]
    test: ks_reduced
    reference: { type: first, events: 40 }
    window: { type: tumbling, events: 30 }
  online:
    type: online_drift
    feature: temp_max
    reference: { type: first, events: 40 }
    ert: 100
    window_sizes: [5, 10]
    n_bootstraps: 2000
  counter: { type: event_counter, source: events, events: 30 }
state: { dir: state }
`;
}

/**
 * Results as compared: without wall-clock timings, and without the window's or the detection's
 * source positions (the same rows sit at other offsets in an HTTP stream and in a file).
 */
function comparable(results: readonly unknown[]): unknown {
  return JSON.parse(
    JSON.stringify(results, (key, value) =>
      key === "duration_secs" || key === "offsets" || key === "position" ? undefined : value,
    ),
  );
}

describe("driftwatch report --config", () => {
  before(() => {
    registerMonitorKind(eventCounterKind);
    mkdirSync(join(dir, "checks"));
    copyFileSync("checks/weather.yaml", join(dir, "checks", "weather.yaml"));
    file("events.jsonl", rows);
  });
  after(() => {
    delete monitorKinds[eventCounterKind.type];
    rmSync(dir, { recursive: true, force: true });
  });

  it("gives, for every monitor kind, the result objects the daemon gives on the same rows", async () => {
    assert.deepEqual(
      Object.keys(monitorKinds).sort(),
      ["checks", "drift", "event_counter", "multivariate", "online_drift", "outliers", "performance"],
      "every registered kind has a monitor in this config",
    );
    const clock = Date.parse("2021-06-01T00:00:00Z");
    // Online: the daemon's pipeline on an HTTP source, the rows posted in three bodies.
    const port = await freePort();
    const online = file("online.yaml", configText(`{ type: http, listen: "127.0.0.1:${port}" }`));
    const daemon: Record<string, unknown[]> = {};
    const pipeline = await Pipeline.create(loadConfig(online), {
      log: quiet,
      metricsListen: null,
      stateDir: join(dir, "online-state"),
      now: () => clock,
      onResult: ({ monitor, result }) => {
        daemon[monitor] ??= [];
        daemon[monitor].push(result);
      },
    });
    await pipeline.start();
    try {
      for (const part of [events.slice(0, 25), events.slice(25, 80), events.slice(80)]) {
        const response = await fetch(`http://127.0.0.1:${port}/v1/events`, {
          method: "POST",
          headers: { "content-type": "application/x-ndjson" },
          body: part.map((e) => JSON.stringify(e)).join("\n"),
        });
        assert.equal(response.status, 202, await response.text());
      }
      await poll(
        async () => {
          const valid = (await pipeline.metrics.eventsTotal.get()).values.find(
            (v) => v.labels.outcome === "valid",
          );
          return valid?.value === events.length ? true : undefined;
        },
        10_000,
        () => "the daemon to take every event",
      );
      // The daemon keeps its last window open; closed as it stands, it is the report's last.
      pipeline.flush();
    } finally {
      await pipeline.stop();
    }

    // Offline: the same rows from a file, through `report --config`.
    const offline = file("offline.yaml", configText("{ type: file, path: events.jsonl }"));
    const report = await replayMonitors(loadConfig(offline), { files: {}, now: () => clock, log: quiet });

    assert.deepEqual(report.sources.events, {
      path: join(dir, "events.jsonl"),
      valid: events.length,
      dead_lettered: 0,
      reasons: {},
    });
    for (const name of ["drift", "outliers", "performance", "checks", "joint", "online", "counter"]) {
      const outcome = report.monitors[name];
      // Full windows (two after a 40-event reference), and the events left over.
      assert.ok(outcome.results.length >= 3, `${name}: ${outcome.results.length} results`);
      assert.deepEqual(
        comparable(outcome.results),
        comparable(daemon[name]),
        `${name}: the daemon's results`,
      );
      assert.ok(outcome.verdicts.length > 0 || name === "performance", `${name}: its verdict lines`);
    }
    const last = report.monitors.counter.results.at(-1);
    // The toy counts every event (no reference): three windows of 30, then the 17 left over.
    assert.deepEqual(last, { monitor: "counter", window: 3, events: 17 }, "the last window, flushed");
  });

  it("runs from the command line: a file in place of a Kafka source, one monitor, as markdown", () => {
    file("rows.jsonl", rows);
    const config = file(
      "kafka.yaml",
      configText("{ type: kafka, brokers: [127.0.0.1:9], topic: weather, group_id: g }").replace(
        "  counter: { type: event_counter, source: events, events: 30 }\n",
        "",
      ),
    );
    const md = driftwatch(
      "report",
      "--config",
      config,
      "--current",
      join(dir, "rows.jsonl"),
      "--monitor",
      "drift",
      "--format",
      "markdown",
    );
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /^\| events \| .*rows\.jsonl \| 107 \| 0 \|$/m);
    assert.match(md.stdout, /^## `drift` \(drift\)$/m);
    assert.equal((md.stdout.match(/^- `\[drift\] window \d/gm) ?? []).length, 3);
    assert.doesNotMatch(md.stdout, /outliers/);

    const json = driftwatch("report", "--config", config, "--current", `events=${join(dir, "rows.jsonl")}`);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.deepEqual(Object.keys(report.monitors), [
      "drift",
      "outliers",
      "performance",
      "checks",
      "joint",
      "online",
    ]);
  });

  it("counts the rows the source rejects, as the daemon dead-letters them, without writing them anywhere", () => {
    const bad = file("bad.jsonl", `${rows}{"temp_max":\nnot json\n`);
    const config = file(
      "file.yaml",
      configText("{ type: file, path: events.jsonl, dead_letter: { path: letters.jsonl } }").replace(
        "  counter: { type: event_counter, source: events, events: 30 }\n",
        "",
      ),
    );
    const out = driftwatch(
      "report",
      "--config",
      config,
      "--current",
      `events=${bad}`,
      "--monitor",
      "counter-free",
    );
    assert.equal(out.code, 2);
    assert.match(
      out.stderr,
      /no monitor "counter-free".*monitors: drift, outliers, performance, checks, joint, online/,
    );
    const ok = driftwatch("report", "--config", config, "--current", `events=${bad}`, "--monitor", "drift");
    assert.equal(ok.code, 0, ok.stderr);
    const report = JSON.parse(ok.stdout);
    assert.deepEqual(report.sources.events, {
      path: bad,
      valid: 107,
      dead_lettered: 2,
      reasons: { malformed_json: 2 },
    });
    assert.throws(
      () => readFileSync(join(dir, "letters.jsonl")),
      /ENOENT/,
      "the config's destination is not written",
    );
  });

  it("refuses with one line what it cannot replay", () => {
    const kafka = file(
      "k.yaml",
      configText("{ type: kafka, brokers: [127.0.0.1:9], topic: weather, group_id: g }").replace(
        "  counter: { type: event_counter, source: events, events: 30 }\n",
        "",
      ),
    );
    const cases: [string[], RegExp][] = [
      [
        ["--config", kafka],
        /^driftwatch: source "events" is a kafka source: give --current events=FILE to replay a file in its place$/,
      ],
      [
        ["--config", kafka, "--current", "events=/nonexistent.jsonl"],
        /\/nonexistent\.jsonl: cannot open: ENOENT/,
      ],
      [
        ["--config", kafka, "--current", "evnts=x.jsonl"],
        /^driftwatch: --current evnts=x\.jsonl: no source "evnts" in .*k\.yaml \(did you mean "events"\?\); sources: events$/,
      ],
      [["--config", kafka, "--reference", "a.csv"], /--reference compares two files/],
      [["--config", kafka, "--alpha", "0.01"], /--alpha compares two files/],
      [["--config", kafka, "--format", "html"], /--format html compares two files/],
      [["--current", "a.csv"], /--reference <file> is required \(or --config\)/],
      [["--monitor", "drift", "--reference", "a.csv", "--current", "b.csv"], /--monitor needs --config/],
    ];
    for (const [args, message] of cases) {
      const out = driftwatch("report", ...args);
      assert.equal(out.code, 2, `${args.join(" ")}: ${out.stderr}`);
      assert.match(out.stderr.trim(), message, args.join(" "));
      assert.equal(out.stderr.trim().split("\n").length, 1, `one line: ${out.stderr}`);
    }
  });
});
