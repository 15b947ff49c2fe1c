import { strict as assert } from "node:assert";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../src/config/load.js";
import type { Config, DriftMonitorConfig } from "../../src/config/types.js";
import { driftKind } from "../../src/drift/kind.js";
import { DriftMonitor, type DriftMonitorState, type DriftResult } from "../../src/drift/monitor.js";
import { Metrics } from "../../src/metrics/metrics.js";
import { StateShapeError } from "../../src/shape.js";
import { weatherDriftProblems } from "../support/config.js";
import { seattleDays } from "../support/stats.js";

const rows = seattleDays();
const kinds = {
  temp_max: "numeric",
  temp_min: "numeric",
  precipitation: "numeric",
  wind: "numeric",
  weather: "categorical",
} as const;
const numeric = ["temp_max", "temp_min", "precipitation", "wind"];

function configOf(extra: Partial<DriftMonitorConfig> = {}): DriftMonitorConfig {
  return {
    type: "drift",
    features: Object.keys(kinds),
    reference: { type: "first", events: 366 },
    window: { type: "tumbling", events: 91 },
    correction: "fdr",
    ...extra,
  };
}

function replay(m: DriftMonitor, from = 0, to = rows.length): DriftResult[] {
  return rows.slice(from, to).flatMap((row) => m.add(row, 0, null));
}

const throughJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const strip = (results: DriftResult[]) => results.map(({ duration_secs: _d, ...rest }) => rest);

describe("drift monitor in sketch mode", () => {
  it("gives exact mode's results, byte for byte, while its sketches hold every value (fewer than 3k)", () => {
    for (const test of ["ks", "wasserstein", "psi", "hellinger"] as const) {
      const exact = replay(new DriftMonitor("m", configOf({ numeric_test: test }), kinds, null));
      const sketch = replay(
        new DriftMonitor("m", configOf({ numeric_test: test, mode: "sketch" }), kinds, null),
      );
      // Every number and verdict; the quality figures differ only by the pooled count sketch mode adds.
      const evaluations = (results: DriftResult[]) => JSON.stringify(results.map((r) => r.evaluation));
      assert.ok(evaluations(sketch) === evaluations(exact), test);
      assert.ok(sketch.every((r) => r.quality.weather.pooled_values === 0));
    }
  });

  for (const [what, window] of [
    ["quarterly windows", { type: "tumbling", events: 91 }],
    ["yearly windows", { type: "tumbling", events: 365 }],
  ] as const) {
    for (const test of ["ks", "wasserstein"] as const) {
      it(`keeps ${test} D within the stated bound of exact mode's, with the same verdicts, on Seattle weather in ${what} (k 64)`, () => {
        const exact = replay(new DriftMonitor("m", configOf({ window, numeric_test: test }), kinds, null));
        const sketch = replay(
          new DriftMonitor(
            "m",
            configOf({ window, numeric_test: test, mode: "sketch", sketch: { k: 64 } }),
            kinds,
            null,
          ),
        );
        assert.equal(sketch.length, exact.length);
        assert.ok(exact.length >= 3);
        let bounded = 0;
        for (const [w, e] of exact.entries()) {
          const s = sketch[w];
          assert.equal(s.evaluation.dataset.drift, e.evaluation.dataset.drift, `window ${w} dataset verdict`);
          for (const [c, ce] of e.evaluation.columns.entries()) {
            const cs = s.evaluation.columns[c];
            assert.equal(cs.name, ce.name);
            assert.equal(cs.drift, ce.drift, `window ${w} ${ce.name} verdict`);
            assert.equal(cs.n_current, ce.n_current);
            assert.equal(cs.n_reference, ce.n_reference);
            if (!numeric.includes(ce.name)) {
              // The correction across columns moves with the numeric p-values; the rest is exact.
              const { p_value_adjusted: _a, drift: _d, ...exactRest } = ce;
              const { p_value_adjusted: _b, drift: _e, ...sketchRest } = cs;
              assert.deepEqual(sketchRest, exactRest, "categorical columns are exact below the cap");
              continue;
            }
            const bound = cs.details.d_error_bound as number;
            assert.equal(cs.details.method, "sketch");
            assert.ok(bound > 0 && bound < 0.05, `bound ${bound}`);
            bounded++;
            if (test === "ks")
              assert.ok(Math.abs(cs.statistic - ce.statistic) <= bound, `window ${w} ${ce.name} D`);
            else {
              // Wasserstein-1 moves by at most the bound times the range.
              const raw = Math.abs((cs.details.raw as number) - (ce.details.raw as number));
              assert.ok(cs.histogram.kind === "numeric");
              const [lo, hi] = cs.histogram.range;
              assert.ok(raw <= bound * (hi - lo), `window ${w} ${ce.name} W1`);
            }
          }
        }
        assert.ok(bounded > 0);
      });
    }
  }

  it("resumes from a checkpoint exactly where it stood", () => {
    const config = configOf({ mode: "sketch", sketch: { k: 50 } });
    const first = new DriftMonitor("m", config, kinds, null);
    replay(first, 0, 700);
    const state = throughJson(first.state);
    driftKind.checkState(state, "/state");
    const restored = new DriftMonitor("m", config, kinds, null, state);
    assert.deepEqual(strip(replay(restored, 700)), strip(replay(first, 700)));
    assert.ok(Buffer.byteLength(JSON.stringify(first.state)) < 64 * 1024);
  });

  it("refuses damaged sketch state with its JSON path", () => {
    const m = new DriftMonitor("m", configOf({ mode: "sketch", sketch: { k: 50 } }), kinds, null);
    replay(m, 0, 400);
    const at = "/state/collecting/features/temp_max";
    const damages: [string, (sketch: Record<string, unknown>) => void, RegExp][] = [
      ["a lost item", (s) => (s.levels as number[][])[0].pop(), /\/sketch\/levels: weigh \d+, not n = 366/],
      ["a NaN item", (s) => ((s.levels as unknown[][])[1][0] = null), /\/sketch\/levels\/1\/0/],
      ["a string k", (s) => (s.k = "200"), /\/sketch\/k: not a count/],
      ["a huge k", (s) => (s.k = 1e9), /\/sketch\/k: must be in/],
      ["a negative variance", (s) => (s.variance = -1), /\/sketch\/variance: must be ≥ 0/],
      ["a missing min", (s) => (s.min = null), /\/sketch\/min: must be a number/],
      [
        "too many items",
        (s) => (s.levels as number[][])[0].push(...new Array(5000).fill(1)),
        /\/sketch\/levels: holds/,
      ],
    ];
    for (const [what, damage, message] of damages) {
      const state = throughJson(m.state) as DriftMonitorState & {
        collecting: { features: Record<string, { sketch: Record<string, unknown> }> };
      };
      damage(state.collecting.features.temp_max.sketch);
      assert.throws(
        () => driftKind.checkState(state, "/state"),
        (error: Error) => {
          assert.ok(error instanceof StateShapeError, `${what}: ${error}`);
          assert.ok(error.message.startsWith(at), `${what}: ${error.message}`);
          assert.match(error.message, message, what);
          return true;
        },
      );
    }
    const capped = throughJson(m.state) as DriftMonitorState & {
      collecting: { features: Record<string, Record<string, unknown>> };
    };
    capped.collecting.features.weather.other = -3;
    assert.throws(
      () => driftKind.checkState(capped, "/state"),
      /\/collecting\/features\/weather\/other: not a count/,
    );
  });

  it("pools categories beyond max_categories in __other__, counts them, and exports the count", () => {
    const config = configOf({ mode: "sketch", sketch: { max_categories: 2 } });
    const results = replay(new DriftMonitor("m", config, kinds, null));
    const first = results[0];
    const column = first.evaluation.columns.find((c) => c.name === "weather");
    assert.ok(column?.histogram.kind === "categorical");
    assert.ok(column.histogram.categories.includes("__other__"), column.histogram.categories.join());
    // Each side keeps its two most frequent categories; both pool the rest.
    assert.ok(column.histogram.categories.length <= 5, column.histogram.categories.join());
    const pooled = first.quality.weather.pooled_values as number;
    assert.ok(pooled > 0);
    assert.equal(first.quality.temp_max.pooled_values, undefined);
    // The pooled values still count: n is every categorical value of the window.
    assert.equal(column.n_current, 91);
    const metrics = new Metrics({ processMetrics: false });
    driftKind.publish(first, metrics);
    const counted = (
      metrics.categoriesCappedTotal as unknown as { hashMap: Record<string, { value: number }> }
    ).hashMap;
    assert.deepEqual(
      Object.values(counted).map((v) => v.value),
      [pooled],
    );
  });
});

describe("drift monitor config in sketch mode", () => {
  const problems = (monitor: string): string[] =>
    weatherDriftProblems(
      `    reference: { type: first, events: 100 }\n    window: { type: tumbling, events: 10 }\n${monitor}`,
    );

  it("accepts sketch mode with each sketch-capable numeric test", () => {
    for (const test of ["ks", "wasserstein", "psi", "jensenshannon", "hellinger"])
      assert.deepEqual(
        problems(`    mode: sketch\n    numeric_test: ${test}\n    sketch: { k: 100, max_categories: 50 }\n`),
        [],
      );
  });

  it("names bad sketch parameters by their path", () => {
    const found = problems("    mode: sketchy\n    sketch: { k: 4, max_categories: 0, epsilon: 0.01 }\n");
    assert.ok(
      found.some((p) => p.startsWith("/monitors/m/mode ")),
      found.join("\n"),
    );
    assert.ok(
      found.some((p) => p.startsWith("/monitors/m/sketch/k ")),
      found.join("\n"),
    );
    assert.ok(
      found.some((p) => p.startsWith("/monitors/m/sketch/max_categories ")),
      found.join("\n"),
    );
    assert.ok(
      found.some((p) => p.startsWith("/monitors/m/sketch/epsilon ")),
      found.join("\n"),
    );
  });

  it("reports a numeric test that needs raw values as a problem of numeric_test", () => {
    // Every registered numeric test runs from sketches today; a future one that does not is refused here.
    const config = {
      ...configOf({ mode: "sketch" }),
      features: ["temp_max"],
      numeric_test: "exact_only",
    } as unknown as DriftMonitorConfig;
    const found = driftKind.problems?.(config, {
      config: {
        sources: { s: { type: "file", path: "x.jsonl" } },
        features: { temp_max: { source: "s", path: "/temp_max", type: "numeric" } },
        monitors: {},
      } as unknown as Config,
      resolvePath: (p) => p,
      path: "/monitors/m",
    });
    const problem = found?.find((p) => p.path === "/monitors/m/numeric_test");
    assert.ok(problem, JSON.stringify(found));
    assert.match(problem.message, /"exact_only" needs raw values and cannot run in sketch mode/);
  });
});
