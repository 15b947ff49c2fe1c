import { strict as assert } from "node:assert";
import type { OutlierMonitorConfig } from "../../src/config/types.js";
import { OutlierMonitor, type OutlierResult } from "../../src/outliers/monitor.js";

const config: OutlierMonitorConfig = {
  type: "outliers",
  features: ["x", "y"],
  reference: { type: "first", events: 100 },
  scorers: [
    { type: "robust_z", threshold: { value: 3 } },
    { type: "isolation_forest", seed: 7 },
  ],
  window: { type: "tumbling", events: 50 },
  top: 3,
};

// Deterministic, roughly normal reference values.
const wave = (i: number): number => Math.sin(i * 1.7) + Math.sin(i * 0.31);

function feed(
  m: OutlierMonitor,
  from: number,
  to: number,
  outliersAt: ReadonlySet<number> = new Set(),
): OutlierResult[] {
  const closed: OutlierResult[] = [];
  for (let i = from; i < to; i++) {
    // Planted outliers lie outside the reference on both features: an isolation forest scores a
    // point beyond the range of one feature no higher than the reference's own edge points.
    const far = outliersAt.has(i);
    closed.push(
      ...m.add({ x: far ? 40 + i : wave(i), y: far ? -40 - i : wave(i + 13) }, 0, null, `e${i}`).closed,
    );
  }
  return closed;
}

describe("OutlierMonitor", () => {
  it("fits on the first events, then flags and ranks the extreme events of each window", () => {
    const m = new OutlierMonitor("o", config, null);
    assert.deepEqual(feed(m, 0, 100), []);
    assert.equal(m.referenceEvents, 100);
    assert.deepEqual(
      m.thresholds.map((t) => t.scorer),
      ["robust_z", "isolation_forest"],
    );
    const [window] = feed(m, 100, 150, new Set([110, 120, 130, 140]));
    assert.equal(window.window.events, 50);
    const z = window.scorers[0];
    assert.equal(z.threshold, 3);
    assert.equal(z.outliers, 4);
    assert.equal(z.ratio, 4 / 50);
    assert.deepEqual(
      z.top.map((e) => e.id),
      ["e140", "e130", "e120"],
      "the three most extreme, highest first",
    );
    assert.equal(window.scorers[1].outliers, 4, "the forest flags the same four");
    const [next] = feed(m, 150, 200);
    assert.equal(next.window.index, 1);
    assert.equal(next.scorers[0].outliers, 0, "tallies start afresh");
  });

  it("runs one scorer type twice under two names, each with its own settings", () => {
    const m = new OutlierMonitor(
      "o",
      {
        ...config,
        scorers: [
          { type: "isolation_forest", seed: 7 },
          { type: "isolation_forest", name: "forest-small", seed: 8, n_estimators: 10 },
        ],
      },
      null,
    );
    feed(m, 0, 100);
    assert.deepEqual(
      m.thresholds.map((t) => t.scorer),
      ["isolation_forest", "forest-small"],
    );
    const [window] = feed(m, 100, 150, new Set([110, 120]));
    assert.deepEqual(
      window.scorers.map((s) => s.scorer),
      ["isolation_forest", "forest-small"],
    );
    assert.notEqual(window.scorers[0].threshold, window.scorers[1].threshold, "two models, two thresholds");
    const alone = new OutlierMonitor(
      "o",
      { ...config, scorers: [{ type: "isolation_forest", seed: 7 }] },
      null,
    );
    feed(alone, 0, 100);
    assert.deepEqual(
      feed(alone, 100, 150, new Set([110, 120]))[0].scorers[0],
      window.scorers[0],
      "the unnamed one is as it is alone",
    );
  });

  it("counts events with a missing feature and still scores them", () => {
    const m = new OutlierMonitor(
      "o",
      { ...config, reference: { type: "first", events: 10 }, window: { type: "tumbling", events: 2 } },
      null,
    );
    feed(m, 0, 10);
    const first = m.add({ x: null, y: 1 }, 0, null, "a");
    assert.equal(first.scores.length, 2);
    assert.ok(first.scores.every((s) => Number.isFinite(s.score)));
    const { closed } = m.add({ x: "text", y: 1 }, 0, null, "b");
    assert.equal(closed[0].incomplete, 2);
  });

  it("continues from a JSON round trip of its state exactly as without it", () => {
    const straight = new OutlierMonitor("o", config, null);
    const expected = feed(straight, 0, 260, new Set([120, 199, 230]));
    const first = new OutlierMonitor("o", config, null);
    const head = feed(first, 0, 170, new Set([120]));
    const resumed = new OutlierMonitor("o", config, null, JSON.parse(JSON.stringify(first.state)));
    assert.deepEqual([...head, ...feed(resumed, 170, 260, new Set([199, 230]))], expected);
  });

  it("fits a file reference at once and closes event-time windows in order", () => {
    const rows = Array.from({ length: 200 }, (_, i) => [wave(i), wave(i + 13)]);
    const m = new OutlierMonitor(
      "o",
      { ...config, window: { type: "tumbling", duration_secs: 10, time: "event" } },
      rows,
    );
    assert.equal(m.thresholds.length, 2);
    const out = [0, 5000, 12000, 3000, 25000].flatMap(
      (t, i) => m.add({ x: wave(i), y: wave(i + 13) }, 0, t, `t${i}`).closed,
    );
    assert.deepEqual(
      out.map((w) => [w.window.start, w.window.events]),
      [
        [0, 2],
        [10000, 1],
      ],
    );
    assert.equal(m.lateEvents, 1);
  });

  it("refits on a new reference at once, or on a window when it closes, through a checkpoint", () => {
    const rowsOf = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, k) => [wave(from + k) + 5, wave(from + k + 13) - 5]);
    const m = new OutlierMonitor("o", config, null);
    feed(m, 0, 100);
    assert.equal(m.reference, "first:100");
    // A reference shifted by (+5, −5): as a monitor fitted on that file from the start.
    m.replaceReference(rowsOf(0, 100), "file:shifted.csv");
    const restored = new OutlierMonitor("o", config, null, JSON.parse(JSON.stringify(m.state)));
    assert.equal(restored.reference, "file:shifted.csv");
    assert.equal(restored.referenceEvents, 100);
    const direct = new OutlierMonitor(
      "o",
      { ...config, reference: { type: "file", path: "shifted.csv" } },
      rowsOf(0, 100),
    );
    assert.deepEqual(restored.thresholds, direct.thresholds);
    const [window0] = feed(restored, 100, 150);
    assert.deepEqual(window0.scorers, feed(direct, 100, 150)[0].scorers);
    assert.ok(window0.scorers[0].outliers > 40, "the unshifted events are far from the shifted reference");

    assert.throws(() => restored.referenceFromWindow(0), /window 0 has closed/);
    restored.referenceFromWindow(1);
    feed(restored, 150, 200); // window 1: tallied with the old models, then fitted on
    assert.equal(restored.reference, "window:1");
    const onWindow = new OutlierMonitor("o", { ...config, reference: { type: "first", events: 50 } }, null);
    feed(onWindow, 150, 200);
    assert.deepEqual(restored.thresholds, onWindow.thresholds, "fitted on window 1's rows");
  });
});
