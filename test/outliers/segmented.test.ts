import { strict as assert } from "node:assert";
import { rmSync } from "node:fs";
import type { OutlierMonitorConfig } from "../../src/config/types.js";
import { checkOutlierMonitorState, OutlierMonitor, type OutlierResult } from "../../src/outliers/monitor.js";
import { loadSegmentedRows, SegmentedOutlierMonitor } from "../../src/outliers/segmented.js";
import { formatOutlierVerdict } from "../../src/outliers/verdict.js";
import { scratch } from "../support/cli.js";

const config: OutlierMonitorConfig = {
  type: "outliers",
  features: ["x"],
  segment_by: "region",
  reference: { type: "first", events: 20 },
  scorers: [{ type: "robust_z", threshold: { value: 3 } }],
  window: { type: "tumbling", events: 10 },
  top: 2,
};
const none = { rows: null, split: null, counts: null };
const throughJson = <T>(value: T): T => JSON.parse(JSON.stringify(value));

/** The object at a path of a JSON value, to damage it. */
function dig(value: unknown, ...path: (string | number)[]): Record<string, unknown> {
  let at = value as Record<string | number, unknown>;
  for (const key of path) at = at[key] as Record<string | number, unknown>;
  return at;
}

/** Two regions on two scales: `eu` around 0, `us` around 1000. Event i is `eu` when i is even. */
function event(i: number): Record<string, unknown> {
  const eu = i % 2 === 0;
  return { x: (eu ? 0 : 1000) + Math.sin(i * 1.7) * (eu ? 1 : 50), region: eu ? "eu" : "us" };
}

function feed(m: SegmentedOutlierMonitor, from: number, to: number, at = event): OutlierResult[] {
  const out: OutlierResult[] = [];
  for (let i = from; i < to; i++) out.push(...m.add(at(i), i, null, `e${i}`).closed);
  return out;
}

describe("SegmentedOutlierMonitor", () => {
  it("fits each segment on its own first events and flags what is extreme within the segment only", () => {
    const m = new SegmentedOutlierMonitor("o", config, none);
    // Pooled reference: events 0-19; each region's: its first 20 events (up to event 39).
    feed(m, 0, 40);
    // A value of 30 is ordinary for the pooled scorer (half the stream is near 1000), extreme for eu.
    const results = feed(m, 40, 60, (i) => (i === 44 ? { x: 30, region: "eu" } : event(i)));
    const window = results.find((r) => r.segments?.results.some((s) => s.scorers[0].outliers > 0));
    assert.ok(window, "a window with a segment outlier");
    assert.equal(window.scorers[0].outliers, 0, "not an outlier against the pooled reference");
    const eu = window.segments?.results.find((s) => s.segment === "eu");
    assert.equal(eu?.scorers[0].outliers, 1);
    assert.equal(eu?.scorers[0].top[0].id, "e44");
    assert.equal(eu?.window.index, window.window.index);
    assert.match(
      formatOutlierVerdict(window),
      /\| segments by region: eu \(5 events\) robust_z 1; us \(5 events\) robust_z 0$/,
    );
    // Each segment's scorer is the one a monitor fed only that segment's events fits.
    const alone = new OutlierMonitor("o", config, null);
    for (let i = 0; i < 40; i += 2) alone.add(event(i), i, null, null);
    const segment = (m.state.segmented?.segments ?? []).find((s) => s.segment === "eu");
    assert.deepEqual(segment?.state.fitted, alone.state.fitted);
  });

  it("pools the values past max_segments in __other__ and keeps going from its checkpoint", () => {
    const capped: OutlierMonitorConfig = {
      ...config,
      max_segments: 1,
      reference: { type: "first", events: 4 },
    };
    const at = (i: number) => ({ x: Math.cos(i), region: ["eu", "us", "apac"][i % 3] });
    const straight = new SegmentedOutlierMonitor("o", capped, none);
    feed(straight, 0, 30, at);
    assert.equal(straight.admitted, 1);
    assert.equal(straight.overflow, 20);
    checkOutlierMonitorState(throughJson(straight.state), "/state");
    const restored = new SegmentedOutlierMonitor("o", capped, none, throughJson(straight.state));
    const a = feed(straight, 30, 70, at);
    const b = feed(restored, 30, 70, at);
    assert.equal(a.length, 4);
    assert.deepEqual(throughJson(b), throughJson(a));
    assert.deepEqual(
      a[0].segments?.results.map((s) => [s.segment, s.window.events]),
      [
        ["eu", 4],
        ["__other__", 6],
      ],
    );
  });

  it("fits each segment on its rows of a reference file that has the segment column", async () => {
    const { dir, file } = scratch("driftwatch-outlier-segments-");
    try {
      const lines = ["x,region"];
      for (let i = 0; i < 40; i++) lines.push(`${event(i).x},${event(i).region}`);
      const path = file("reference.csv", `${lines.join("\n")}\n`);
      const references = await loadSegmentedRows(path, ["x"], "region");
      assert.equal(references.rows?.length, 40);
      assert.deepEqual(
        [...(references.counts ?? [])],
        [
          ["eu", 20],
          ["us", 20],
        ],
      );
      const m = new SegmentedOutlierMonitor(
        "o",
        { ...config, reference: { type: "file", path } },
        references,
      );
      const [result] = feed(m, 0, 10, (i) => (i === 3 ? { x: 30, region: "eu" } : event(i)));
      assert.equal(result.segments?.reference, "per_segment");
      assert.equal(result.segments?.admission, "reference");
      assert.deepEqual(
        result.segments?.results.map((s) => [s.segment, s.scorers[0].outliers]),
        [
          ["eu", 1],
          ["us", 0],
        ],
      );

      // One row of "mars" is too few for a forest: that segment (and __other__, which has no row
      // of its own) is scored with the whole reference's forest, and says so once.
      const forest: OutlierMonitorConfig = {
        ...config,
        reference: { type: "file", path },
        scorers: [{ type: "isolation_forest", seed: 1 }],
      };
      const mars = file("mars.csv", `${lines.join("\n")}\n5,mars\n`);
      const sparse = new SegmentedOutlierMonitor("o", forest, await loadSegmentedRows(mars, ["x"], "region"));
      feed(sparse, 0, 10, (i) => ({ x: i, region: ["mars", "venus"][i % 2] }));
      assert.deepEqual(
        sparse.takeUnfitted().map(([segment, why]) => [segment, why.replace(/ \(got \d+\)/, "")]),
        [
          [
            "mars",
            "isolation_forest: the reference needs at least 2 rows; scored with the whole reference's scorers",
          ],
          [
            "__other__",
            "isolation_forest: the reference needs at least 2 rows; scored with the whole reference's scorers",
          ],
        ],
      );
      assert.deepEqual(sparse.takeUnfitted(), [], "each is told once");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a damaged segment state, naming its JSON path", () => {
    const m = new SegmentedOutlierMonitor("o", config, none);
    feed(m, 0, 50);
    const state = throughJson(m.state);
    dig(state, "segmented", "segments", 1, "state", "fitted", 0).threshold = "high";
    assert.throws(
      () => checkOutlierMonitorState(state, "/state"),
      /\/state\/segmented\/segments\/1\/state\/fitted\/0\/threshold: not a finite number/,
    );
    const rows = throughJson(m.state);
    dig(rows, "segmented", "segments", 0, "state").tallies = [];
    assert.throws(
      () => checkOutlierMonitorState(rows, "/state"),
      /\/state\/segmented\/segments\/0\/state\/tallies: 0 tallies for 1 scorers/,
    );
  });
});
