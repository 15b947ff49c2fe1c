import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../src/config/load.js";
import type { OnlineMonitorConfig } from "../../src/online/config.js";
import {
  checkOnlineMonitorState,
  OnlineMonitor,
  type OnlineResult,
  type OnlineSubject,
} from "../../src/online/monitor.js";
import { formatOnlineVerdict } from "../../src/online/verdict.js";
import { StateShapeError } from "../../src/shape.js";
import { seededRandom } from "../../src/stats/prng.js";

function normals(seed: number, mean = 0): () => number {
  const random = seededRandom(seed);
  return () => mean + Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function config(overrides: Partial<OnlineMonitorConfig> = {}): OnlineMonitorConfig {
  return {
    type: "online_drift",
    feature: "x",
    reference: { type: "first", events: 500 },
    ert: 2000,
    window_sizes: [10, 30],
    n_bootstraps: 20000,
    ...overrides,
  } as OnlineMonitorConfig;
}

const cvm: OnlineSubject = { detector: "cvm", name: "x", shape: null };

/** Feeds values of the feature the monitor tests (`x`, or its subject's name). */
function feed(monitor: OnlineMonitor, values: readonly unknown[], from = 0, name = "x"): OnlineResult[] {
  return values.flatMap((value, i) => monitor.add({ [name]: value }, null, { key: "t/0", offset: from + i }));
}

describe("online drift monitor", () => {
  it("detects a mean shift within a few dozen events, and names the window and offset", () => {
    const monitor = new OnlineMonitor("online", config(), cvm, null);
    const reference = Array.from({ length: 500 }, normals(1));
    const shifted = Array.from({ length: 200 }, normals(3, 2));
    const results = feed(monitor, [...reference, ...shifted]);
    const first = results.find((r) => r.kind === "detection");
    assert.ok(first !== undefined && first.kind === "detection");
    // A 2-sigma shift from the first tested event is found within the larger window.
    assert.ok(first.events <= 30, `delay ${first.events}`);
    assert.equal(first.position?.offset, 500 + first.events - 1);
    assert.match(
      formatOnlineVerdict(first),
      /^\[online\] DRIFT x \(cvm\) at event \d+, run length \d+: window \d+: /,
    );
  });

  it("emits a recovery once every window has refilled without another detection", () => {
    const monitor = new OnlineMonitor("online", config(), cvm, null);
    const values = [
      ...Array.from({ length: 500 }, normals(4)),
      ...Array.from({ length: 40 }, () => 8),
      ...Array.from({ length: 200 }, normals(5)),
    ];
    const kinds = feed(monitor, values).map((r) => r.kind);
    const first = kinds.indexOf("detection");
    assert.ok(first >= 0, String(kinds));
    assert.ok(kinds.indexOf("recovered", first) > first, String(kinds));
    assert.equal(kinds[kinds.length - 1], "recovered");
  });

  it("gives the same results after a checkpoint as without one", () => {
    const values = [
      ...Array.from({ length: 500 }, normals(6)),
      ...Array.from({ length: 300 }, normals(7)),
      ...Array.from({ length: 100 }, normals(8, 1.5)),
    ];
    const whole = feed(new OnlineMonitor("online", config(), cvm, null), values);
    const first = new OnlineMonitor("online", config(), cvm, null);
    const before = feed(first, values.slice(0, 650));
    const saved = JSON.parse(JSON.stringify(first.state));
    checkOnlineMonitorState(saved, "/state");
    const resumed = new OnlineMonitor("online", config(), cvm, null, saved);
    const after = feed(resumed, values.slice(650), 650);
    assert.deepEqual([...before, ...after], whole);
    assert.ok(whole.some((r) => r.kind === "detection"));
  });

  it("tests a category's share with fet, counting other values as 0", () => {
    const random = seededRandom(9);
    const draw = (p: number) => (random() < p ? "rain" : random() < 0.5 ? "sun" : "fog");
    const monitor = new OnlineMonitor(
      "rain",
      config({ feature: "weather", positive: "rain", reference: { type: "first", events: 400 } }),
      { detector: "fet", name: "weather", shape: null },
      null,
    );
    const results = feed(
      monitor,
      [...Array.from({ length: 400 }, () => draw(0.3)), ...Array.from({ length: 100 }, () => draw(0.9))],
      0,
      "weather",
    );
    // Nine rain days in the first ten after a reference of 30 % rain: the window of 10 fires.
    const detection = results.find((r) => r.kind === "detection");
    assert.ok(detection !== undefined && detection.events === 10, JSON.stringify(detection));
  });

  it("counts missing and invalid values without testing them, and sums a replay up", () => {
    const monitor = new OnlineMonitor(
      "online",
      config({ reference: { type: "first", events: 3 }, window_sizes: [2] }),
      cvm,
      null,
    );
    feed(monitor, [1, 2, 3, null, "x", 2, 1]);
    const [summary] = monitor.flush();
    assert.deepEqual(
      { ...summary },
      {
        kind: "summary",
        monitor: "online",
        feature: "x",
        detector: "cvm",
        events: 2,
        detections: 0,
        ert: 2000,
        expected_false_alarms: 0.001,
        missing: 1,
        invalid: 1,
        reference_events: 3,
        reference_complete: true,
      },
    );
    assert.match(
      formatOnlineVerdict(summary),
      /2 events tested, 0 detection\(s\); a stationary stream gives 0.001 on average \(one per 2000 events\); 1 missing, 1 invalid/,
    );
  });

  it("tests a set of numeric features as rows with mmd, and resumes from a checkpoint", () => {
    const set: OnlineSubject = { detector: "mmd", name: "x+y", shape: { kind: "set", features: ["x", "y"] } };
    const mmd = config({
      features: ["x", "y"],
      feature: undefined,
      ert: 500,
      window_sizes: [20],
      n_bootstraps: 2000,
      reference: { type: "first", events: 300 },
    });
    const z = normals(11);
    const rows = (shift: number, n: number) => Array.from({ length: n }, () => ({ x: z() + shift, y: z() }));
    const stream = [...rows(0, 300), ...rows(0, 40), { x: 1, y: "?" }, { x: null, y: 1 }, ...rows(2, 60)];
    const run = (monitor: OnlineMonitor, from: number, to: number) =>
      stream
        .slice(from, to)
        .flatMap((values, i) => monitor.add(values, null, { key: "t/0", offset: from + i }));
    const whole = run(new OnlineMonitor("joint", mmd, set, null), 0, stream.length);
    const detection = whole.find((r) => r.kind === "detection");
    // The shift starts at the 41st tested row: the window of 20 sees it within a window.
    assert.ok(
      detection !== undefined && detection.events > 40 && detection.events <= 60,
      JSON.stringify(detection),
    );
    assert.equal(detection.feature, "x+y");
    const first = new OnlineMonitor("joint", mmd, set, null);
    const before = run(first, 0, 330);
    const saved = JSON.parse(JSON.stringify(first.state));
    checkOnlineMonitorState(saved, "/state");
    const after = run(new OnlineMonitor("joint", mmd, set, null, saved), 330, stream.length);
    assert.deepEqual([...before, ...after], whole);
    const [summary] = new OnlineMonitor("joint", mmd, set, null, saved).flush();
    assert.equal(summary.kind === "summary" && summary.reference_events, 300);
  });

  it("says so when a first reference cannot be calibrated on, and collects the next events instead", () => {
    const monitor = new OnlineMonitor(
      "rain",
      config({ feature: "weather", positive: "rain", reference: { type: "first", events: 50 } }),
      { detector: "fet", name: "weather", shape: null },
      null,
    );
    const dry = feed(
      monitor,
      Array.from({ length: 50 }, () => "sun"),
      0,
      "weather",
    );
    assert.equal(dry.length, 1);
    assert.equal(dry[0].kind, "reference_failed");
    assert.match(
      formatOnlineVerdict(dry[0]),
      /the first 50 values cannot be a reference \(.*\); collecting the next ones/,
    );
    const mixed = feed(
      monitor,
      Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? "rain" : "sun")),
      50,
      "weather",
    );
    assert.deepEqual(mixed, []);
    assert.equal(monitor.referenceEvents, 50);
    assert.equal(monitor.current.calibration?.n_reference, 50);
  });

  it("refuses a damaged detector state when it is prepared, not at the next event", () => {
    const monitor = new OnlineMonitor("online", config(), cvm, null);
    feed(monitor, Array.from({ length: 520 }, normals(12)));
    const saved = JSON.parse(JSON.stringify(monitor.state));
    saved.detector.values.pop();
    checkOnlineMonitorState(saved, "/state");
    assert.throws(() => new OnlineMonitor("online", config(), cvm, null, saved).prepare(), RangeError);
  });

  it("refuses a damaged checkpoint", () => {
    const monitor = new OnlineMonitor("online", config(), cvm, null);
    feed(monitor, Array.from({ length: 10 }, normals(10)));
    const saved = JSON.parse(JSON.stringify(monitor.state));
    saved.events = -1;
    assert.throws(() => checkOnlineMonitorState(saved, "/state"), StateShapeError);
  });

  describe("config", () => {
    const dir = mkdtempSync(join(tmpdir(), "driftwatch-online-config-"));
    after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "events.jsonl"), "");

    function problems(monitors: string): string[] {
      const file = join(dir, "c.yaml");
      writeFileSync(
        file,
        `sources:
  events: { type: file, path: events.jsonl }
features:
  x: { source: events, path: /x, type: numeric }
  y: { source: events, path: /y, type: numeric }
  e: { source: events, path: /e, type: vector, dimension: 4 }
  weather: { source: events, path: /weather, type: categorical }
monitors:
${monitors}
`,
      );
      try {
        loadConfig(file);
        return [];
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        return error.problems.map((p) => `${p.path} ${p.message}`);
      }
    }

    const common = "reference: { type: first, events: 100 }, ert: 100, window_sizes: [10, 20]";

    it("loads cvm on a numeric feature, fet on a category, and mmd on a vector or a set", () => {
      assert.deepEqual(
        problems(`  a: { type: online_drift, feature: x, ${common} }
  b: { type: online_drift, feature: weather, positive: rain, alternative: less, ${common} }
  c: { type: online_drift, feature: e, reference: { type: first, events: 100 }, ert: 100, window_sizes: [10], bandwidth: 2 }
  d: { type: online_drift, features: [x, y], reference: { type: first, events: 100 }, ert: 100, window_sizes: [10], sample: 500 }`),
        [],
      );
    });

    it("names the path of each problem of an mmd monitor", () => {
      assert.deepEqual(
        problems(`  a: { type: online_drift, features: [x, weather], ${common} }
  b: { type: online_drift, feature: x, features: [x, y], ${common} }
  c: { type: online_drift, feature: e, ${common} }
  d: { type: online_drift, feature: x, bandwidth: 1, ${common} }
  e: { type: online_drift, features: [x, y], detector: cvm, reference: { type: first, events: 100 }, ert: 100, window_sizes: [10] }`),
        [
          '/monitors/a/features/1 mmd tests a vector feature or a set of numeric features; "weather" is categorical',
          "/monitors/a/window_sizes mmd takes one window size (alibi-detect's window_size)",
          "/monitors/b name the feature tested: `feature` (one feature or a vector), or `features` (a set), not both",
          "/monitors/c/window_sizes mmd takes one window size (alibi-detect's window_size)",
          "/monitors/d/bandwidth `bandwidth` is for the mmd detector",
          "/monitors/e/detector cvm tests one feature; a set of features is tested by mmd",
        ],
      );
    });

    it("asks for at least 10 × ert simulated streams", () => {
      assert.deepEqual(
        problems(`  a: { type: online_drift, feature: x, reference: { type: first, events: 100 }, ert: 2000, window_sizes: [10] }
  b: { type: online_drift, feature: e, reference: { type: first, events: 100 }, ert: 200, window_sizes: [10] }
  c: { type: online_drift, feature: x, reference: { type: first, events: 100 }, ert: 100, window_sizes: [10], n_bootstraps: 999 }`),
        [
          "/monitors/a/ert the thresholds for ert 2000 need at least 20000 simulated streams (n_bootstraps is 10000, the default); raise n_bootstraps or lower ert",
          "/monitors/b/ert the thresholds for ert 200 need at least 2000 simulated streams (n_bootstraps is 1000, the default); raise n_bootstraps or lower ert",
          "/monitors/c/n_bootstraps the thresholds for ert 100 need at least 1000 simulated streams (n_bootstraps is 999); raise n_bootstraps or lower ert",
        ],
      );
    });

    it("names the path of each problem", () => {
      assert.deepEqual(
        problems(`  a: { type: online_drift, feature: weather, detector: cvm, ${common} }
  b: { type: online_drift, feature: weather, ${common} }
  c: { type: online_drift, feature: x, lam: 0.5, ${common} }
  d: { type: online_drift, feature: z, ${common} }`),
        [
          '/monitors/a/detector cvm tests a numeric feature; "weather" is categorical (fet tests a proportion)',
          '/monitors/a/positive fet on categorical feature "weather" needs `positive`: the category counted as 1',
          '/monitors/b/positive fet on categorical feature "weather" needs `positive`: the category counted as 1',
          "/monitors/c/lam `lam` is for the fet detector",
          '/monitors/d/feature unknown feature "z" (did you mean "x"?); features: x, y, e, weather',
        ],
      );
    });
  });
});
