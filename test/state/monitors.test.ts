import { strict as assert } from "node:assert";
import { ChecksMonitor } from "../../src/checks/monitor.js";
import { parseSuite } from "../../src/checks/suite.js";
import type {
  ChecksMonitorConfig,
  DriftMonitorConfig,
  OutlierMonitorConfig,
  PerformanceMonitorConfig,
} from "../../src/config/types.js";
import { DriftMonitor } from "../../src/drift/monitor.js";
import type { MultivariateMonitorConfig } from "../../src/multivariate/config.js";
import { MultivariateMonitor } from "../../src/multivariate/monitor.js";
import type { OnlineMonitorConfig } from "../../src/online/config.js";
import { OnlineMonitor } from "../../src/online/monitor.js";
import { OutlierMonitor } from "../../src/outliers/monitor.js";
import { PerformanceMonitor } from "../../src/performance/monitor.js";
import { checkMonitorStates } from "../../src/state/monitors.js";

/** A state as a checkpoint gives it back: through JSON (Infinity and NaN become null). */
const throughJson = (state: unknown): unknown => JSON.parse(JSON.stringify(state));

/** Every monitor type's state after real events, each in the middle of a window. */
function realStates(): Record<string, { type: string; state: unknown }> {
  const drift = new DriftMonitor(
    "d",
    {
      type: "drift",
      features: ["x", "c"],
      reference: { type: "first", events: 20 },
      window: { type: "sliding", duration_secs: 60, step_secs: 20 },
      id: "/id",
    } as DriftMonitorConfig,
    { x: "numeric", c: "categorical" },
    null,
  );
  for (let i = 0; i < 80; i++)
    drift.add({ x: i % 7 === 0 ? "bad" : i / 3, c: i % 5 === 0 ? null : `k${i % 3}` }, i * 2000, null, {
      position: { key: "line", offset: i },
      id: String(i),
    });

  const outliers = new OutlierMonitor(
    "o",
    {
      type: "outliers",
      features: ["a", "b"],
      reference: { type: "first", events: 40 },
      scorers: [
        { type: "robust_z" },
        { type: "iqr" },
        { type: "mahalanobis" },
        { type: "isolation_forest", seed: 3 },
      ],
      window: { type: "tumbling", events: 25 },
    } as OutlierMonitorConfig,
    null,
  );
  for (let i = 0; i < 70; i++)
    outliers.add({ a: Math.cos(i) * 5, b: i % 4 === 0 ? null : i % 9 }, i, null, String(i));

  const suite = parseSuite(
    [
      "expectations:",
      "  - type: expect_column_values_to_be_between",
      "    kwargs: { column: /price, min_value: 0, max_value: 10 }",
      "  - type: expect_column_mean_to_be_between",
      "    kwargs: { column: /price, min_value: 0, max_value: 10 }",
      "  - type: expect_schema_to_match_reference",
      "  - type: expect_table_row_count_to_be_between",
      "    kwargs: { min_value: 1 }",
    ].join("\n"),
    "suite.yaml",
    "suite",
  );
  const checks = new ChecksMonitor(
    "c",
    {
      type: "checks",
      source: "s",
      suite: "suite.yaml",
      window: { type: "tumbling", events: 30 },
      id: "/id",
    } as ChecksMonitorConfig,
    suite,
    { type: "tumbling", events: 30 },
    {},
    null,
    undefined,
    0,
  );
  for (let i = 0; i < 45; i++) checks.add({ id: `e${i}`, price: i % 6 === 0 ? 99 : i % 10 }, i, null, {});

  let now = 0;
  const performance = new PerformanceMonitor(
    "p",
    {
      type: "performance",
      task: "classification",
      predictions: { source: "p", id: "/id", label: "/label", score: "/score" },
      labels: { source: "l", id: "/id", label: "/label" },
      window: { type: "tumbling", events: 10 },
      slices: { eu: { feature: "region", in: ["eu"] } },
      detectors: [{ type: "adwin" }, { type: "ddm" }, { type: "kswin", seed: 1 }, { type: "page_hinkley" }],
      positive: "yes",
    } as PerformanceMonitorConfig,
    undefined,
    () => now,
  );
  for (let i = 0; i < 60; i++) {
    now = i * 100;
    const label = i % 3 === 0 ? "yes" : "no";
    performance.add("p", { id: String(i), label, score: (i % 10) / 10 }, { region: i % 2 ? "eu" : "us" });
    if (i % 4 !== 0) performance.add("l", { id: String(i), label: i % 5 === 0 ? "yes" : label }, {});
  }
  performance.add("l", { id: "never-predicted", label: "no" }, {});

  const multivariate = new MultivariateMonitor(
    "m",
    {
      type: "multivariate",
      features: ["e"],
      test: "mmd",
      reference: { type: "first", events: 20 },
      window: { type: "sliding", events: 20, step_events: 10 },
      sample: 8,
    } as MultivariateMonitorConfig,
    { kind: "vector", feature: "e", dim: 3 },
    null,
  );
  for (let i = 0; i < 55; i++)
    multivariate.add({ e: i % 9 === 0 ? [1, "x", 2] : [Math.sin(i), Math.cos(i), i % 4] }, i, null);

  const online = new OnlineMonitor(
    "n",
    {
      type: "online_drift",
      feature: "x",
      reference: { type: "first", events: 30 },
      ert: 50,
      window_sizes: [4, 8],
      n_bootstraps: 1000,
    } as OnlineMonitorConfig,
    { detector: "cvm", name: "x", shape: null },
    null,
  );
  for (let i = 0; i < 60; i++)
    online.add({ x: i % 11 === 0 ? "bad" : Math.sin(i) + (i > 45 ? 3 : 0) }, null, null);

  return {
    n: { type: "online_drift", state: online.state },
    m: { type: "multivariate", state: multivariate.state },
    d: { type: "drift", state: drift.state },
    o: { type: "outliers", state: outliers.state },
    c: { type: "checks", state: checks.state },
    p: { type: "performance", state: performance.state },
  };
}

describe("checkMonitorStates", () => {
  it("accepts the state of every monitor type as its monitor leaves it, after a trip through JSON", () => {
    const monitors: Record<string, unknown> = {};
    for (const [name, { type, state }] of Object.entries(realStates()))
      monitors[name] = { hash: "h", type, state: throughJson(state) };
    checkMonitorStates(monitors);
  });

  it("refuses an entry of an unknown monitor type or without one", () => {
    assert.throws(
      () => checkMonitorStates({ m: { hash: "h", state: {} } }),
      /\/monitors\/m\/type: not one of "checks", "drift", "multivariate", "online_drift", "outliers", "performance" \(got undefined\)/,
    );
  });

  it("names the JSON path of each kind of damage", () => {
    const cases: [string, (states: Record<string, { state: unknown }>) => void, RegExp][] = [
      [
        "a window value that is not a number",
        (s) => {
          const pane = (s.d.state as { window: { closed: { features: { x: { values: unknown[] } } }[] } })
            .window.closed[0];
          pane.features.x.values[1] = null;
        },
        /\/monitors\/d\/state\/window\/closed\/0\/features\/x\/values\/1: not a finite number \(got null\)/,
      ],
      [
        "a time pane that ends before it starts",
        (s) => {
          const open = (s.d.state as { window: { open: { end: number } } }).window.open;
          open.end = -1;
        },
        /\/monitors\/d\/state\/window\/open: a pane from \d+ to -1/,
      ],
      [
        "a negative category count",
        (s) => {
          const c = (
            s.d.state as {
              collecting: null;
              window: { open: { features: { c: { counts: Record<string, number> } } } };
            }
          ).window.open.features.c;
          c.counts.k1 = -3;
        },
        /\/monitors\/d\/state\/window\/open\/features\/c\/counts\/k1: not a count \(got -3\)/,
      ],
      [
        "a robust z-score model missing a number",
        (s) => {
          const fitted = (s.o.state as { fitted: { model: { median: unknown[] } }[] }).fitted;
          fitted[0].model.median[0] = "7";
        },
        /\/monitors\/o\/state\/fitted\/0\/model\/median\/0: not a finite number \(got "7"\)/,
      ],
      [
        "a checks history that is not counts",
        (s) => {
          (s.c.state as { history: unknown[] }).history.push(1.5);
        },
        /\/monitors\/c\/state\/history\/\d+: not a count \(got 1.5\)/,
      ],
      [
        "a performance pair count that went negative",
        (s) => {
          (s.p.state as { pairs: number }).pairs = -1;
        },
        /\/monitors\/p\/state\/pairs: not a count \(got -1\)/,
      ],
    ];
    for (const [what, damage, message] of cases) {
      const states = Object.fromEntries(
        Object.entries(realStates()).map(([name, { type, state }]) => [
          name,
          { hash: "h", type, state: throughJson(state) },
        ]),
      ) as Record<string, { state: unknown }>;
      damage(states);
      assert.throws(() => checkMonitorStates(states), message, what);
    }
  });
});
