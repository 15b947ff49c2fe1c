import { strict as assert } from "node:assert";
import { readFileSync, rmSync } from "node:fs";
import type { DriftMonitorConfig } from "../../src/config/types.js";
import { driftKind } from "../../src/drift/kind.js";
import { checkDriftMonitorState, DriftMonitor, type DriftResult } from "../../src/drift/monitor.js";
import { loadSegmentedReference } from "../../src/drift/reference.js";
import { describeVerdict, segmentVerdict } from "../../src/drift/scope.js";
import { SegmentedDriftMonitor } from "../../src/drift/segmented.js";
import { formatVerdict } from "../../src/drift/verdict.js";
import { StateShapeError } from "../../src/shape.js";
import { checkMonitorStates } from "../../src/state/monitors.js";
import { scratch } from "../support/cli.js";

const kinds = { x: "numeric", c: "categorical" } as const;
const config: DriftMonitorConfig = {
  type: "drift",
  features: ["x", "c"],
  segment_by: "region",
  reference: { type: "first", events: 4 },
  window: { type: "tumbling", events: 6 },
};
const none = { whole: null, split: null, counts: null };

/** The object at a path of a JSON value, to damage it. */
function dig(value: unknown, ...path: (string | number)[]): Record<string, unknown> {
  let at = value as Record<string | number, unknown>;
  for (const key of path) at = at[key] as Record<string | number, unknown>;
  return at;
}

/** A state as a checkpoint gives it back. */
const throughJson = <T>(value: T): T => JSON.parse(JSON.stringify(value));

/** Results without their wall-clock timings, for comparisons. */
const timeless = (results: readonly DriftResult[]): unknown =>
  JSON.parse(JSON.stringify(results, (key, value) => (key === "duration_secs" ? undefined : value)));

/** Event i of a stream of two regions, `eu` every third event; `eu`'s x rises after event 30. */
function event(i: number): Record<string, unknown> {
  const region = i % 3 === 0 ? "eu" : "us";
  const shift = region === "eu" && i >= 30 ? 100 : 0;
  return { x: (i % 7) + shift, c: i % 2 === 0 ? "a" : "b", region };
}

function feed(m: SegmentedDriftMonitor, from: number, to: number, at = event): DriftResult[] {
  const out: DriftResult[] = [];
  for (let i = from; i < to; i++) out.push(...m.add(at(i), i * 1000, null));
  return out;
}

describe("SegmentedDriftMonitor", () => {
  it("collects a first:N reference per segment and compares each segment's events of a window with its own", () => {
    const m = new SegmentedDriftMonitor("m", config, kinds, none);
    // The pooled reference fills at event 4; eu's (events 0, 3, 6, 9) at event 9, us's at event 5.
    const results = feed(m, 0, 40);
    assert.ok(results.length >= 5);
    for (const result of results) {
      const segments = result.segments;
      assert.ok(segments, "a segmented monitor's result has segments");
      assert.equal(segments.by, "region");
      assert.equal(segments.reference, "per_segment");
      assert.equal(segments.admission, "arrival");
      // Every segment's window is the pooled window: same index and bounds, its own events.
      for (const s of segments.results) assert.equal(s.window.index, result.window.index);
      const events = segments.results.reduce((n, s) => n + s.window.events, 0);
      assert.ok(events <= result.window.events);
    }
    // Once both segments' references are full, a window's events are all in its segments.
    const last = results.at(-1) as DriftResult;
    assert.equal(last.window.events, 6);
    assert.deepEqual(
      last.segments?.results.map((s) => [s.segment, s.window.events]),
      [
        ["eu", 2],
        ["us", 4],
      ],
    );
    // Each segment against its own first 4 events: the same numbers as a monitor fed only them.
    const eu = new DriftMonitor("m", { ...config, window: { type: "tumbling", events: 2 } }, kinds, null);
    const euResults: DriftResult[] = [];
    for (let i = 0; i < 40; i++) if (i % 3 === 0) euResults.push(...eu.add(event(i), i * 1000, null));
    const euLast = last.segments?.results.find((s) => s.segment === "eu");
    assert.deepEqual(euLast?.evaluation, euResults.at(-1)?.evaluation);
  });

  it("finds the drift confined to the segment that shifted", () => {
    const m = new SegmentedDriftMonitor(
      "m",
      { ...config, window: { type: "tumbling", events: 30 } },
      kinds,
      none,
    );
    const results = feed(m, 0, 94);
    const last = results.at(-1) as DriftResult;
    assert.equal(last.evaluation.dataset.drift, false, "the pooled window does not drift");
    assert.deepEqual(last.segments?.verdict, {
      scope: "confined",
      drifted: ["eu"],
      evaluated: 2,
      pooled_drift: false,
    });
    assert.match(
      formatVerdict(last),
      /\| segments by region: drift confined to eu \(1 of 2 segments\) \| eu \(10 events\) DRIFT 1\/2 \| us \(20 events\) 0\/2$/,
    );
  });

  it("closes every segment's time window with the pooled one, before the event that passes its end", () => {
    const timed: DriftMonitorConfig = {
      ...config,
      reference: { type: "first", events: 2 },
      window: { type: "tumbling", duration_secs: 10, time: "event" },
    };
    const m = new SegmentedDriftMonitor("m", timed, kinds, none);
    const at = (t: number, region: string) => m.add({ x: t, c: "a", region }, 0, t * 1000);
    // References: pooled the first 2 events, each region its first 2.
    for (const [t, region] of [
      [0, "eu"],
      [1, "us"],
      [2, "eu"],
      [3, "us"],
    ] as const)
      assert.deepEqual(at(t, region), []);
    at(11, "eu");
    at(12, "us");
    assert.deepEqual(
      at(5, "eu"),
      [],
      "too late for its window: counted by the pooled monitor, in no segment",
    );
    assert.equal(m.lateEvents, 1);
    const [closed] = at(25, "us");
    assert.equal(closed.window.start, 10_000);
    assert.deepEqual(
      closed.segments?.results.map((s) => [s.segment, s.window.events, s.window.start, s.window.end]),
      [
        ["eu", 1, 10_000, 20_000],
        ["us", 1, 10_000, 20_000],
      ],
    );
    const [flushed] = m.flush(0);
    assert.deepEqual(
      flushed.segments?.results.map((s) => [s.segment, s.window.events]),
      [["us", 1]],
      "the event that closed the window opened the next, in its segment",
    );
  });

  it("admits the first max_segments values and pools the rest in __other__, counting the overflow", () => {
    const capped: DriftMonitorConfig = {
      ...config,
      max_segments: 2,
      reference: { type: "first", events: 2 },
    };
    const m = new SegmentedDriftMonitor("m", capped, kinds, none);
    const regions = ["eu", "us", "apac", "eu", "latam", "us", null, "apac"];
    const at = (i: number) => ({ x: i, c: "a", region: regions[i % regions.length] });
    const results = feed(m, 0, 48, at);
    assert.equal(m.admitted, 2);
    // apac and latam are 3 of every 8 events (the missing one goes to __other__ uncounted).
    assert.equal(m.overflow, 18);
    const segments = results.at(-1)?.segments;
    assert.deepEqual(
      segments?.results.map((s) => s.segment),
      ["eu", "us", "__other__"],
    );
    assert.equal(segments?.overflow_events, 16, "as of the last window's close, at event 43");
    assert.deepEqual(
      throughJson(m.state).segmented?.admitted,
      ["eu", "us"],
      "the admitted values are checkpointed, in order",
    );
    // A value too long to be a metric label never gets a segment, even with room for it.
    const roomy = new SegmentedDriftMonitor("m", { ...capped, max_segments: 5 }, kinds, none);
    roomy.add({ x: 1, c: "a", region: "r".repeat(257) }, 0, null);
    roomy.add({ x: 1, c: "a", region: "r".repeat(256) }, 0, null);
    assert.equal(roomy.overflow, 1);
    assert.equal(roomy.admitted, 1);
  });

  it("admits the values with the most reference rows when the reference file has the segment column", async () => {
    const { dir, file } = scratch("driftwatch-segments-");
    try {
      const rows = ["x,c,region"];
      const regions = ["eu", "eu", "eu", "us", "us", "apac", "apac", "latam", ""];
      for (const [i, region] of regions.entries()) rows.push(`${i},${i % 2 ? "a" : "b"},${region}`);
      const path = file("reference.csv", `${rows.join("\n")}\n`);
      const loaded = await loadSegmentedReference("file", path, kinds, "region");
      assert.equal(loaded.rows, 9);
      assert.deepEqual(
        [...(loaded.counts ?? [])],
        [
          ["eu", 3],
          ["us", 2],
          ["apac", 2],
          ["latam", 1],
        ],
      );
      const fileConfig: DriftMonitorConfig = {
        ...config,
        max_segments: 2,
        reference: { type: "file", path },
        window: { type: "tumbling", events: 4 },
      };
      const m = new SegmentedDriftMonitor("m", fileConfig, kinds, {
        whole: loaded.features,
        split: loaded.split,
        counts: loaded.counts,
      });
      // eu (3 rows) and apac (2, ahead of us by name): a new value is never admitted.
      const [result] = feed(m, 0, 4, (i) => ({ x: i, c: "a", region: ["us", "apac", "mars", "eu"][i] }));
      const segments = result.segments;
      assert.equal(segments?.admission, "reference");
      assert.equal(segments?.reference, "per_segment");
      assert.deepEqual(
        segments?.results.map((s) => [
          s.segment,
          s.evaluation.columns.find((c) => c.name === "x")?.n_reference,
        ]),
        [
          ["eu", 3],
          ["apac", 2],
          ["__other__", 4],
        ],
        "__other__ is compared with the rows of every value without a segment, and those without a value",
      );
      assert.equal(segments?.overflow_events, 2, "us and mars");

      // A file without the segment column: one reference shared by every segment.
      const plain = file("plain.csv", "x,c\n1,a\n2,b\n3,a\n");
      const shared = await loadSegmentedReference("file", plain, kinds, "region");
      assert.equal(shared.split, null);
      const s = new SegmentedDriftMonitor(
        "m",
        { ...fileConfig, reference: { type: "file", path: plain } },
        kinds,
        {
          whole: shared.features,
          split: null,
          counts: null,
        },
      );
      const [sharedResult] = feed(s, 0, 4);
      assert.equal(sharedResult.segments?.reference, "shared");
      assert.equal(sharedResult.segments?.admission, "arrival");
      for (const seg of sharedResult.segments?.results ?? [])
        assert.equal(seg.evaluation.columns.find((c) => c.name === "x")?.n_reference, 3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps sketches per segment in sketch mode: exact mode's segments, D within the stated bound, restored exactly", async () => {
    // drift/segments/: 2014's days against 2012's, by weather label, numeric features as sketches.
    const weatherKinds = {
      temp_max: "numeric",
      temp_min: "numeric",
      precipitation: "numeric",
      wind: "numeric",
    } as const;
    const loaded = await loadSegmentedReference(
      "file",
      "drift/segments/reference.csv",
      weatherKinds,
      "weather",
    );
    const references = { whole: loaded.features, split: loaded.split, counts: loaded.counts };
    const base: DriftMonitorConfig = {
      type: "drift",
      features: Object.keys(weatherKinds),
      segment_by: "weather",
      reference: { type: "file", path: "drift/segments/reference.csv" },
      window: { type: "tumbling", events: 120 },
    };
    const days = readFileSync("drift/segments/seattle-weather-2014.csv", "utf8").trim().split("\n").slice(1);
    const rows = days.map((line) => {
      const [, precipitation, temp_max, temp_min, wind, weather] = line.split(",");
      return {
        precipitation: Number(precipitation),
        temp_max: Number(temp_max),
        temp_min: Number(temp_min),
        wind: Number(wind),
        weather,
      };
    });
    const run = (m: SegmentedDriftMonitor, from: number, to: number) =>
      rows.slice(from, to).flatMap((row, i) => m.add(row, from + i, null));
    const exact = run(new SegmentedDriftMonitor("m", base, weatherKinds, references), 0, rows.length);
    const sketchConfig = { ...base, mode: "sketch" as const, sketch: { k: 16 } };
    const sketched = new SegmentedDriftMonitor("m", sketchConfig, weatherKinds, references);
    const first = run(sketched, 0, 200);
    const restored = new SegmentedDriftMonitor(
      "m",
      sketchConfig,
      weatherKinds,
      references,
      throughJson(sketched.state),
    );
    assert.doesNotThrow(() => checkDriftMonitorState(throughJson(sketched.state), "/state"));
    const rest = run(sketched, 200, rows.length);
    assert.deepEqual(timeless(run(restored, 200, rows.length)), timeless(rest));
    const approx = [...first, ...rest];
    assert.equal(approx.length, exact.length);
    let compared = 0;
    for (const [w, result] of approx.entries()) {
      const segments = result.segments?.results ?? [];
      const exactSegments = exact[w].segments?.results ?? [];
      assert.deepEqual(
        segments.map((s) => s.segment),
        exactSegments.map((s) => s.segment),
      );
      for (const [k, segment] of segments.entries())
        for (const [c, column] of segment.evaluation.columns.entries()) {
          const truth = exactSegments[k].evaluation.columns[c];
          const bound = (column.details.d_error_bound as number | undefined) ?? 0;
          assert.ok(
            Math.abs(column.statistic - truth.statistic) <= bound + 1e-12,
            `window ${w} ${segment.segment} ${column.name}: ${column.statistic} vs ${truth.statistic} (bound ${bound})`,
          );
          if (bound > 0) compared++;
        }
    }
    // Verdicts are not compared: at k 16, a D within its bound can still cross alpha's (at the
    // default k 1000 the same verdict in 99.87 % of windows: BENCHMARKS.md, "sketch").
    // k 16 keeps about 48 values: the larger segments' windows were compacted, not held whole.
    assert.ok(compared > 0, "some segment windows were sketched");
  });

  it("continues from its checkpointed state exactly as without the checkpoint", () => {
    const capped: DriftMonitorConfig = {
      ...config,
      max_segments: 1,
      reference: { type: "rolling", windows: 2 },
    };
    const straight = new SegmentedDriftMonitor("m", capped, kinds, none);
    const before = feed(straight, 0, 40);
    const restored = new SegmentedDriftMonitor("m", capped, kinds, none, throughJson(straight.state));
    assert.doesNotThrow(() => checkDriftMonitorState(throughJson(straight.state), "/state"));
    const a = feed(straight, 40, 90);
    const b = feed(restored, 40, 90);
    assert.ok(before.length > 0 && a.length >= 8);
    assert.deepEqual(timeless(b), timeless(a));
    assert.deepEqual(throughJson(restored.state), throughJson(straight.state));
  });

  it("refuses a damaged segment state, naming its JSON path", () => {
    const m = new SegmentedDriftMonitor("m", { ...config, max_segments: 2 }, kinds, none);
    feed(m, 0, 20, (i) => ({ x: i, c: "a", region: ["eu", "us", "apac"][i % 3] }));
    const damages: [string, (s: unknown) => void, RegExp][] = [
      [
        "a segment's window count",
        (s) => {
          dig(s, "segmented", "segments", 1, "state", "window").emitted = -1;
        },
        /\/state\/segmented\/segments\/1\/state\/window\/emitted: not a count \(got -1\)/,
      ],
      [
        "a segment's reference value",
        (s) => {
          dig(s, "segmented", "segments", 0, "state", "collecting", "features", "x", "values")[0] = "hot";
        },
        /\/state\/segmented\/segments\/0\/state\/collecting\/features\/x/,
      ],
      [
        "a segment that was never admitted",
        (s) => {
          dig(s, "segmented", "segments", 0).segment = "mars";
        },
        /\/state\/segmented\/segments\/0\/segment: "mars" was never admitted/,
      ],
      [
        "__other__ not last",
        (s) => {
          (dig(s, "segmented").segments as unknown[]).reverse();
        },
        /\/state\/segmented\/segments\/0\/segment: __other__ must come last/,
      ],
      [
        "a segment given twice",
        (s) => {
          dig(s, "segmented", "segments", 1).segment = "eu";
        },
        /\/state\/segmented\/segments\/1\/segment: given twice \(got "eu"\)/,
      ],
      [
        "__other__ admitted",
        (s) => {
          (dig(s, "segmented").admitted as unknown[]).push("__other__");
        },
        /\/state\/segmented\/admitted\/2: not a segment of its own/,
      ],
      [
        "a segment state segmented itself",
        (s) => {
          dig(s, "segmented", "segments", 0, "state").segmented = dig(s, "segmented");
        },
        /\/state\/segmented\/segments\/0\/state\/segmented: a segment's state is not segmented itself/,
      ],
      [
        "the overflow count",
        (s) => {
          dig(s, "segmented").overflow = 1.5;
        },
        /\/state\/segmented\/overflow: not a count \(got 1\.5\)/,
      ],
      [
        "the segment list",
        (s) => {
          dig(s, "segmented").segments = {};
        },
        /\/state\/segmented\/segments: not an array/,
      ],
    ];
    const good = throughJson(m.state);
    assert.deepEqual(
      (good.segmented?.segments ?? []).map((s) => s.segment),
      ["eu", "us", "__other__"],
    );
    checkDriftMonitorState(good, "/state");
    for (const [what, damage, message] of damages) {
      const state = throughJson(m.state);
      damage(state);
      assert.throws(
        () => driftKind.checkState(state, "/state"),
        (error: Error) => {
          assert.ok(error instanceof StateShapeError, `${what}: ${error}`);
          assert.match(error.message, message, what);
          return true;
        },
      );
    }
    // Through the checkpoint's own check, which calls the kind's.
    const state = throughJson(m.state);
    dig(state, "segmented", "segments", 0, "state", "window").late = "x";
    assert.throws(
      () => checkMonitorStates({ m: { hash: "h", type: "drift", state } }),
      /\/monitors\/m\/state\/segmented\/segments\/0\/state\/window\/late: not a count/,
    );
  });
});

describe("segmentVerdict", () => {
  const dataset = (drift: boolean, columns = 4) => ({ columns, drift });
  it("is none, confined to the drifted segments, or global when most segments or the pooled data drift", () => {
    const cases: [boolean, [string, boolean, number?][], string, string[]][] = [
      [
        false,
        [
          ["a", false],
          ["b", false],
        ],
        "none",
        [],
      ],
      [
        false,
        [
          ["a", true],
          ["b", false],
          ["c", false],
        ],
        "confined",
        ["a"],
      ],
      [
        false,
        [
          ["a", true],
          ["b", true],
          ["c", false],
        ],
        "global",
        ["a", "b"],
      ],
      [
        false,
        [
          ["a", true],
          ["b", false],
        ],
        "confined",
        ["a"],
      ],
      [
        true,
        [
          ["a", false],
          ["b", false],
        ],
        "global",
        [],
      ],
      // A segment with no column compared is not counted either way.
      [
        false,
        [
          ["a", true],
          ["b", false, 0],
          ["c", false, 0],
        ],
        "global",
        ["a"],
      ],
      [false, [], "none", []],
    ];
    for (const [pooled, segments, scope, drifted] of cases) {
      const verdict = segmentVerdict(
        pooled,
        segments.map(([segment, drift, columns]) => ({ segment, dataset: dataset(drift, columns) })),
      );
      assert.equal(verdict.scope, scope, JSON.stringify(segments));
      assert.deepEqual(verdict.drifted, drifted);
    }
    assert.equal(
      describeVerdict(
        segmentVerdict(true, [
          { segment: "a", dataset: dataset(true) },
          { segment: "b", dataset: dataset(false) },
        ]),
      ),
      "global drift: the pooled data drifted (1 of 2 segments: a)",
    );
  });
});
