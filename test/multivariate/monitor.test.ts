import { strict as assert } from "node:assert";
import type { MultivariateMonitorConfig } from "../../src/multivariate/config.js";
import {
  checkMultivariateMonitorState,
  MultivariateMonitor,
  type MultivariateResult,
} from "../../src/multivariate/monitor.js";
import type { RowShape } from "../../src/multivariate/reference.js";
import { formatMultivariateVerdict } from "../../src/multivariate/verdict.js";
import { StateShapeError } from "../../src/shape.js";
import { seededRandom } from "../../src/stats/prng.js";

/** Standard normal draws from a seeded stream (Box–Muller). */
function normals(seed: number): () => number {
  const random = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * Rows of (x, y) with unit variances and correlation `rho`: the case no single column shows, since
 * each column's distribution does not depend on rho.
 */
function correlated(n: number, rho: number, seed: number): { x: number; y: number }[] {
  const z = normals(seed);
  return Array.from({ length: n }, () => {
    const a = z();
    const b = z();
    return { x: a, y: rho * a + Math.sqrt(1 - rho * rho) * b };
  });
}

const set: RowShape = { kind: "set", features: ["x", "y"] };

function config(overrides: Partial<MultivariateMonitorConfig> = {}): MultivariateMonitorConfig {
  return {
    type: "multivariate",
    features: ["x", "y"],
    test: "mmd",
    reference: { type: "first", events: 300 },
    window: { type: "tumbling", events: 300 },
    ...overrides,
  } as MultivariateMonitorConfig;
}

function feed(monitor: MultivariateMonitor, rows: readonly Record<string, unknown>[]): MultivariateResult[] {
  return rows.flatMap((row, i) => monitor.add(row, i, null));
}

describe("multivariate monitor", () => {
  it("finds a correlation change that leaves every column's distribution as it was", () => {
    const monitor = new MultivariateMonitor("joint", config(), set, null);
    const results = feed(monitor, [
      ...correlated(300, 0.8, 11),
      ...correlated(300, 0.8, 12),
      ...correlated(300, -0.8, 13),
    ]);
    assert.equal(results.length, 2);
    assert.deepEqual(
      results.map((r) => r.drift),
      [false, true],
    );
    const [same, changed] = results;
    assert.ok((changed.p_value as number) < 0.05 && (same.p_value as number) > 0.05);
    assert.equal(changed.reference, "first:300");
    assert.equal(changed.sampled, false);
    assert.deepEqual(changed.current_rows, { rows: 300, sampled_rows: 300, missing: 0, invalid: 0 });
    assert.match(
      formatMultivariateVerdict(changed),
      /^\[joint\] window 1 \(300 events\): DRIFT mmd .* p=.* \| x, y \(2 dims\)/,
    );
  });

  it("runs on a bounded sample of each side and says so", () => {
    const monitor = new MultivariateMonitor(
      "joint",
      config({
        sample: 100,
        reference: { type: "first", events: 1000 },
        window: { type: "tumbling", events: 500 },
      }),
      set,
      null,
    );
    const [result] = feed(monitor, [...correlated(1000, 0, 4), ...correlated(500, 0, 5)]);
    assert.equal(result.sampled, true);
    assert.deepEqual(result.reference_rows, { rows: 1000, sampled_rows: 100, missing: 0, invalid: 0 });
    assert.deepEqual(result.current_rows, { rows: 500, sampled_rows: 100, missing: 0, invalid: 0 });
    assert.match(
      formatMultivariateVerdict(result),
      /100 of 500 window rows, 100 of 1000 reference rows \(sampled\)/,
    );
  });

  it("counts rows with a missing or non-numeric feature apart, and skips a window with too few rows", () => {
    const monitor = new MultivariateMonitor(
      "joint",
      config({ reference: { type: "first", events: 3 }, window: { type: "tumbling", events: 3 } }),
      set,
      null,
    );
    const results = feed(monitor, [
      { x: 1, y: 2 },
      { x: 2, y: 1 },
      { x: 3, y: 3 },
      { x: 1, y: null },
      { x: "1", y: 2 },
      { x: 4, y: 4 },
    ]);
    assert.equal(results.length, 1);
    assert.equal(results[0].statistic, null);
    assert.equal(results[0].skipped, "fewer than 2 complete rows in the window");
    assert.deepEqual(results[0].current_rows, { rows: 1, sampled_rows: 1, missing: 1, invalid: 1 });
    assert.match(
      formatMultivariateVerdict(results[0]),
      /skipped \(fewer than 2 complete rows in the window\)/,
    );
  });

  it("gives the same results after a checkpoint as without one", () => {
    const rows = [...correlated(300, 0.5, 6), ...correlated(450, 0.5, 7), ...correlated(450, 0.9, 8)];
    const whole = feed(new MultivariateMonitor("joint", config(), set, null), rows);
    const first = new MultivariateMonitor("joint", config(), set, null);
    const before = feed(first, rows.slice(0, 500));
    const saved = JSON.parse(JSON.stringify(first.state));
    checkMultivariateMonitorState(saved, "/state");
    const resumed = new MultivariateMonitor("joint", config(), set, null, saved);
    const after = rows.slice(500).flatMap((row, i) => resumed.add(row, 500 + i, null));
    const strip = (r: MultivariateResult) => ({ ...r, duration_secs: 0 });
    assert.deepEqual([...before, ...after].map(strip), whole.map(strip));
    assert.equal(whole.length, 3);
  });

  it("refuses a damaged checkpoint", () => {
    const monitor = new MultivariateMonitor("joint", config(), set, null);
    feed(monitor, correlated(10, 0, 9));
    const saved = JSON.parse(JSON.stringify(monitor.state));
    saved.collecting.sample.rows.pop();
    assert.throws(() => checkMultivariateMonitorState(saved, "/state"), StateShapeError);
  });

  it("reads a vector feature's arrays as rows, and counts arrays of another length as invalid", () => {
    const shape: RowShape = { kind: "vector", feature: "embedding", dim: 3 };
    const monitor = new MultivariateMonitor(
      "vectors",
      config({
        features: ["embedding"],
        test: "ks_reduced",
        reference: { type: "first", events: 200 },
        window: { type: "tumbling", events: 202 },
      }),
      shape,
      null,
    );
    const z = normals(10);
    const vector = (shift: number) => [z() + shift, z(), z()];
    const results = feed(monitor, [
      ...Array.from({ length: 200 }, () => ({ embedding: vector(0) })),
      ...Array.from({ length: 200 }, () => ({ embedding: vector(1) })),
      { embedding: [1, 2] },
      { embedding: null },
    ]);
    assert.equal(results.length, 1);
    assert.equal(results[0].drift, true);
    assert.equal(results[0].dimension, 3);
    assert.deepEqual(results[0].current_rows, { rows: 200, sampled_rows: 200, missing: 1, invalid: 1 });
  });
});
