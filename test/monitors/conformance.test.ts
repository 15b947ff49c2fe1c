import { strict as assert } from "node:assert";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Alerting } from "../../src/alerts/alerting.js";
import { loadConfig } from "../../src/config/load.js";
import { Logger } from "../../src/log.js";
import { Metrics } from "../../src/metrics/metrics.js";
import { monitorKinds } from "../../src/monitors/registry.js";
import type { AnyMonitorKind, Monitor, MonitorContext } from "../../src/monitors/types.js";
import { checkMonitorStates } from "../../src/state/monitors.js";

const quiet = new Logger("error");
const dir = mkdtempSync(join(tmpdir(), "driftwatch-monitor-conformance-"));

/** Seattle weather days, with the fields every kind's example reads (ids, a prediction, its label). */
const events = readFileSync("drift/demo/seattle-weather.jsonl", "utf8")
  .trim()
  .split("\n")
  .slice(0, 125)
  .map((line, i) => {
    const day = JSON.parse(line) as Record<string, unknown>;
    const event: Record<string, unknown> = {
      ...day,
      id: `e${i}`,
      x: day.temp_max,
      y: day.wind,
      colour: day.weather,
      predicted: i % 3 === 0 ? "rain" : "sun",
      actual: day.weather === "rain" ? "rain" : "sun",
    };
    return event;
  });

/** A config file with one monitor `m`: the kind's example over its example features. */
function configOf(kind: AnyMonitorKind): string {
  const folder = join(dir, kind.type);
  mkdirSync(join(folder, "checks"), { recursive: true });
  // The checks example names a suite by a path relative to the config file.
  copyFileSync("checks/weather.yaml", join(folder, "checks", "weather.yaml"));
  const config = {
    sources: { events: { type: "file", path: "events.jsonl", event_time: "/date" } },
    features:
      Object.keys(kind.exampleFeatures).length > 0
        ? kind.exampleFeatures
        : { x: { source: "events", path: "/x", type: "numeric" } },
    monitors: { m: kind.example },
    state: { dir: "state" },
  };
  writeFileSync(join(folder, "events.jsonl"), "");
  const file = join(folder, "driftwatch.json");
  writeFileSync(file, JSON.stringify(config));
  return file;
}

/** Feeds events [from, to) with one day of clock per event; returns what the monitor produced. */
function feed(monitor: Monitor, clock: { now: number }, from: number, to: number, out: unknown[]): void {
  for (let i = from; i < to; i++) {
    const event = events[i];
    clock.now = Date.parse(event.date as string);
    const values = {
      x: event.x,
      y: event.y,
      colour: event.colour,
      temp_max: event.temp_max,
      weather: event.weather,
    };
    out.push(
      ...monitor.add({
        source: "events",
        event,
        values,
        now: clock.now,
        eventTime: clock.now,
        position: { key: "line", offset: i },
      }),
    );
    out.push(...monitor.tick(clock.now));
  }
}

/** Results without their `duration_secs` (wall-clock timings differ between two runs). */
function withoutTimings(results: readonly unknown[]): unknown {
  return JSON.parse(JSON.stringify(results, (key, value) => (key === "duration_secs" ? undefined : value)));
}

describe("monitor kinds", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [key, kind] of Object.entries(monitorKinds)) {
    describe(key, () => {
      it("is registered under its config type", () => {
        assert.equal(kind.type, key);
      });

      it("builds from its example config, round-trips its state through a checkpoint, and says one line per result", async () => {
        const loaded = loadConfig(configOf(kind));
        const config = loaded.config.monitors.m;
        const clock = { now: Date.parse("2012-01-01T00:00:00Z") };
        const metrics = new Metrics();
        const emitted: unknown[] = [];
        const context: MonitorContext = {
          config: loaded.config,
          resolvePath: loaded.resolvePath,
          now: () => clock.now,
          log: quiet,
          metrics,
          emit: (result) => emitted.push(result),
        };
        let identity: unknown = null;
        const monitor = await kind.create(context, "m", config, (id) => {
          identity = id;
          return undefined;
        });
        assert.equal(monitor.name, "m");
        assert.deepEqual(monitor.sources, ["events"]);
        assert.deepEqual(
          kind.sources(config, loaded.config),
          monitor.sources,
          "its sources, from the config alone",
        );
        assert.deepEqual(
          kind.problems?.(config, { ...loaded, path: "/monitors/m" }) ?? [],
          [],
          "its example passes its cross-checks",
        );
        assert.notEqual(identity, null, "asks for its state under an identity");
        assert.equal(typeof JSON.stringify(identity), "string");
        // Its own state passes its shape check, before and after events, as the checkpoint reads it.
        kind.checkState(JSON.parse(JSON.stringify(monitor.state)), "/state");

        const results: unknown[] = [];
        feed(monitor, clock, 0, 70, results);
        const saved = JSON.parse(JSON.stringify(monitor.state));
        checkMonitorStates({ m: { hash: "h", type: kind.type, state: saved } });

        const restored = await kind.create({ ...context, emit: () => {} }, "m", config, (id) => {
          assert.deepEqual(id, identity, "the same config gives the same identity");
          return JSON.parse(JSON.stringify(saved));
        });
        assert.deepEqual(JSON.parse(JSON.stringify(restored.state)), saved);
        assert.equal(restored.referenceEvents, monitor.referenceEvents);

        // Restored, it goes on exactly as the monitor it was saved from.
        const after: unknown[] = [];
        feed(monitor, clock, 70, 120, results);
        feed(restored, { now: clock.now }, 70, 120, after);
        assert.deepEqual(
          JSON.parse(JSON.stringify(restored.state)),
          JSON.parse(JSON.stringify(monitor.state)),
        );

        // The end of a replay closes the open window as it stands: the same for the restored monitor,
        // and once only.
        const before = clock.now;
        feed(monitor, clock, 120, 125, results);
        clock.now = before;
        feed(restored, clock, 120, 125, after);
        const last = monitor.flush(clock.now);
        assert.deepEqual(withoutTimings(restored.flush(clock.now)), withoutTimings(last));
        assert.ok(last.length > 0, "5 events after the last full window leave one open");
        assert.deepEqual(monitor.flush(clock.now), [], "a flushed window is closed");
        results.push(...last);

        const all = [...results, ...emitted];
        assert.ok(results.length > 0, "120 events close windows of its example");
        const alerting = new Alerting(loaded.config, metrics, quiet, undefined, clock.now);
        try {
          for (const result of all) {
            kind.publish(result, metrics);
            alerting.onResult(kind, "m", result, clock.now);
            const line = kind.verdict(result);
            if (line === null) continue;
            assert.match(line, /^\[m\] [^\n]+$/, "one line, naming the monitor");
          }
        } finally {
          await alerting.close();
        }
        const exported = await metrics.registry.metrics();
        assert.match(exported, /\{monitor="m"/, "its results show as metrics of the monitor");
      });
    });
  }
});
