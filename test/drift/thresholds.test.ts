import { strict as assert } from "node:assert";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../src/config/load.js";
import type { DriftMonitorConfig } from "../../src/config/types.js";
import { driftKind } from "../../src/drift/kind.js";
import { DriftMonitor, type DriftMonitorState, type DriftResult } from "../../src/drift/monitor.js";
import { isReferenceThreshold, type ReferenceThreshold } from "../../src/drift/thresholds.js";
import { Metrics } from "../../src/metrics/metrics.js";
import { chi2Test } from "../../src/stats/chi2.js";
import { ksTest } from "../../src/stats/ks.js";
import { permutationNull, pValueScore, scorePValue } from "../../src/stats/permutation.js";
import { type Random, seededRandom } from "../../src/stats/prng.js";
import type { ColumnSample, TestResult } from "../../src/stats/types.js";
import { driftwatch } from "../support/cli.js";
import { weatherDriftProblems } from "../support/config.js";
import { seattleDays } from "../support/stats.js";

const byStatistic = (r: TestResult) => Math.abs(r.statistic);
const byPValue = (r: TestResult) => pValueScore(r.pValue as number);

const normal = (random: Random) => () =>
  Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

const numericSample = (values: number[]): ColumnSample => ({
  kind: "numeric",
  sorted: Float64Array.from(values).sort(),
});

/** A rainfall-like column: 60 % dry days (exactly 0), the rest rounded to a tenth: many ties. */
const rainfall = (random: Random) => () =>
  random() < 0.6 ? 0 : Math.round(-Math.log(1 - random()) * 50) / 10;

/** Share of `windows` fresh windows of size w (from `draw`) whose statistic magnitude exceeds `threshold`. */
function exceedance(
  reference: ColumnSample,
  draw: () => number,
  w: number,
  windows: number,
  threshold: number,
): number {
  let over = 0;
  for (let i = 0; i < windows; i++) {
    const window = numericSample(Array.from({ length: w }, draw));
    if (Math.abs(ksTest.run(reference, window).statistic) > threshold) over++;
  }
  return over / windows;
}

describe("permutation null of a drift statistic", () => {
  it("is the same for the same seed and differs for another", () => {
    const random = normal(seededRandom(1));
    const reference = numericSample(Array.from({ length: 1000 }, random));
    const a = permutationNull(reference, 100, ksTest, 200, seededRandom(7), byStatistic);
    const b = permutationNull(reference, 100, ksTest, 200, seededRandom(7), byStatistic);
    const c = permutationNull(reference, 100, ksTest, 200, seededRandom(8), byStatistic);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.equal(a.length, 200);
    for (let i = 1; i < a.length; i++) assert.ok(a[i - 1] <= a[i], "ascending");
  });

  it("gives KS thresholds whose exceedance by fresh windows of the same distribution is the nominal rate", () => {
    const random = normal(seededRandom(2));
    const reference = numericSample(Array.from({ length: 2000 }, random));
    const draws = permutationNull(reference, 200, ksTest, 2000, seededRandom(3), byStatistic);
    const threshold = draws[Math.floor(0.9 * draws.length)];
    const rate = exceedance(reference, random, 200, 2000, threshold);
    // 2000 windows at 10 %: a 4σ band is ±0.027; the R − W reference side makes it a little conservative.
    assert.ok(rate > 0.073 && rate < 0.127, `exceedance ${rate}`);
  });

  it("holds the nominal rate on a column with many ties, where the KS p-value is conservative", () => {
    const random = rainfall(seededRandom(4));
    const reference = numericSample(Array.from({ length: 2000 }, random));
    const draws = permutationNull(reference, 100, ksTest, 2000, seededRandom(5), byStatistic);
    const threshold = draws[Math.floor(0.95 * draws.length)];
    const rate = exceedance(reference, random, 100, 3000, threshold);
    assert.ok(rate > 0.035 && rate < 0.065, `threshold exceedance ${rate}`);
    let byP = 0;
    for (let i = 0; i < 3000; i++) {
      const window = numericSample(Array.from({ length: 100 }, random));
      if ((ksTest.run(reference, window).pValue as number) < 0.05) byP++;
    }
    // The continuous-data p-value, on a column where 60 % of values tie, alarms far less often than 5 %.
    assert.ok(byP / 3000 < 0.03, `p-value rate ${byP / 3000}`);
  });

  it("draws categorical windows whose chi2 statistics follow the chi-square law", () => {
    const counts = new Map([
      ["a", 5000],
      ["b", 3000],
      ["c", 2000],
    ]);
    const draws = permutationNull(
      { kind: "categorical", counts },
      500,
      chi2Test,
      2000,
      seededRandom(6),
      byStatistic,
    );
    // chi2(2) 0.9 quantile 4.605; the finite-population draw (500 of 10 000) shrinks it by about 5 %.
    const q90 = draws[Math.floor(0.9 * draws.length)];
    assert.ok(q90 > 3.9 && q90 < 4.9, `0.9 quantile ${q90}`);
  });

  it("maps p-values to normal scores and back", () => {
    assert.ok(Math.abs(pValueScore(0.05) - 1.6448536269514722) < 1e-12);
    for (const p of [0.5, 0.05, 1e-3, 1e-12, 1e-200])
      assert.ok(Math.abs(scorePValue(pValueScore(p)) / p - 1) < 1e-9);
    assert.ok(Number.isFinite(pValueScore(0)) && Number.isFinite(pValueScore(1)));
  });

  it("holds the nominal rate on sparse categories by their p-values, where chi2's statistic and its fixed alpha do not", () => {
    // Zipf-like categories, many of them rare: each window brings categories the reference never
    // saw, each a degree of freedom more than any draw from the reference can have, so the draws'
    // statistics run low; the p-value accounts for the degrees of freedom. A rate is conditional on
    // its reference (every window shares the reference's own noise): 20 references, 100 windows each.
    const random = seededRandom(9);
    const weights = Array.from({ length: 400 }, (_, k) => 1 / (k + 1));
    const total = weights.reduce((a, b) => a + b, 0);
    const draw = () => {
      let u = random() * total;
      for (let k = 0; k < weights.length; k++) {
        u -= weights[k];
        if (u <= 0) return `c${k}`;
      }
      return "c399";
    };
    const countsOf = (n: number): ColumnSample => {
      const counts = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        const c = draw();
        counts.set(c, (counts.get(c) ?? 0) + 1);
      }
      return { kind: "categorical", counts };
    };
    const rates = (R: number, W: number) => {
      let overP = 0;
      let overStatistic = 0;
      let overFixed = 0;
      for (let rep = 0; rep < 20; rep++) {
        const reference = countsOf(R);
        const scores = permutationNull(reference, W, chi2Test, 400, seededRandom(rep), byPValue);
        const statistics = permutationNull(reference, W, chi2Test, 400, seededRandom(rep), byStatistic);
        const alpha = scorePValue(scores[Math.floor(0.95 * scores.length)]);
        const threshold = statistics[Math.floor(0.95 * statistics.length)];
        for (let i = 0; i < 100; i++) {
          const r = chi2Test.run(reference, countsOf(W));
          if ((r.pValue as number) < alpha) overP++;
          if (r.statistic > threshold) overStatistic++;
          if ((r.pValue as number) < 0.05) overFixed++;
        }
      }
      return { p: overP / 2000, statistic: overStatistic / 2000, fixed: overFixed / 2000 };
    };
    // Measured: R 2000, W 500: by p 0.06, by statistic 0.29, at alpha 0.05 0.04; R 10 000, W 500:
    // 0.056, 0.059 and 0.12.
    const small = rates(2000, 500);
    assert.ok(small.p > 0.03 && small.p < 0.08, JSON.stringify(small));
    assert.ok(small.statistic > 0.15, JSON.stringify(small));
    const large = rates(10000, 500);
    assert.ok(large.p > 0.03 && large.p < 0.08, JSON.stringify(large));
    assert.ok(large.fixed > 0.09, JSON.stringify(large));
  });

  it("refuses a reference with fewer than two windows of values", () => {
    assert.throws(
      () => permutationNull(numericSample([1, 2, 3]), 2, ksTest, 10, seededRandom(0), byStatistic),
      /the reference has 3 values, fewer than twice the window's 2/,
    );
  });
});

const rows = seattleDays();
const kinds = {
  temp_max: "numeric",
  precipitation: "numeric",
  wind: "numeric",
  weather: "categorical",
} as const;

function configOf(extra: Partial<DriftMonitorConfig> = {}): DriftMonitorConfig {
  return {
    type: "drift",
    features: Object.keys(kinds),
    reference: { type: "first", events: 400 },
    window: { type: "tumbling", events: 100 },
    thresholds: { quantile: 0.95, samples: 400 },
    ...extra,
  };
}

const replay = (m: DriftMonitor, from = 0, to = rows.length): DriftResult[] =>
  rows.slice(from, to).flatMap((row) => m.add(row, 0, null));

describe("drift monitor with data-driven thresholds", () => {
  it("decides each feature by its p-value against the alpha drawn from the reference", () => {
    const results = replay(new DriftMonitor("m", configOf(), kinds, null));
    assert.equal(results.length, Math.floor((rows.length - 400) / 100));
    let drifted = 0;
    for (const result of results)
      for (const column of result.evaluation.columns) {
        const own = column.details.reference_threshold as ReferenceThreshold;
        assert.ok(isReferenceThreshold(own), JSON.stringify(column.details));
        assert.deepEqual(own.rule, { quantile: 0.95 });
        assert.equal(own.window_events, 100);
        assert.equal(own.samples, 400);
        assert.equal(own.on, "p_value");
        assert.equal(column.threshold, own.threshold);
        assert.ok(own.threshold > 0 && own.threshold < 0.5, `${column.name} alpha ${own.threshold}`);
        assert.equal(column.drift, (column.p_value as number) < own.threshold);
        assert.equal(column.p_value_adjusted, column.p_value);
        if (column.drift) drifted++;
      }
    // Seattle's seasons drift against its first 400 days: some windows must drift, not all.
    assert.ok(drifted > 0 && drifted < results.length * 4, `${drifted}`);
  });

  it("draws the same thresholds after a restart from a checkpoint, and gives the same results", () => {
    const whole = replay(new DriftMonitor("m", configOf(), kinds, null));
    const first = new DriftMonitor("m", configOf(), kinds, null);
    const before = replay(first, 0, 650);
    const state = JSON.parse(JSON.stringify(first.state)) as DriftMonitorState;
    const after = replay(new DriftMonitor("m", configOf(), kinds, null, state), 650);
    const strip = (r: DriftResult[]) => r.map((x) => ({ ...x, duration_secs: 0 }));
    assert.deepEqual(strip([...before, ...after]), strip(whole));
  });

  it("divides the quantile's tail among the features under bonferroni, and applies per-test effect floors", () => {
    const m = new DriftMonitor("m", configOf({ correction: "bonferroni" }), kinds, null);
    replay(m, 0, 400);
    const entries = [...(m.referenceThresholds ?? new Map()).values()];
    assert.equal(entries.length, 4);
    for (const entry of entries) assert.deepEqual(entry.rule, { quantile: 1 - 0.05 / 4 });
    const floored = replay(
      new DriftMonitor("m", configOf({ min_effect: { ks: 0.99 } }), kinds, null),
    ).flatMap((r) => r.evaluation.columns);
    const plain = replay(new DriftMonitor("m", configOf(), kinds, null)).flatMap((r) => r.evaluation.columns);
    assert.ok(plain.some((c) => c.test === "ks" && c.drift));
    // The ks floor silences KS alone; chi2 decides as without it.
    for (const [i, column] of floored.entries())
      assert.equal(column.drift, column.test === "ks" ? false : plain[i].drift, column.name);
  });

  it("says why a feature with too few reference values has no threshold, and decides it by its test", () => {
    // precipitation missing in all but 150 of the reference's rows: fewer than two windows of values.
    const sparse = rows.map((row, i) => (i < 400 && i >= 150 ? { ...row, precipitation: null } : row));
    const m = new DriftMonitor("m", configOf(), kinds, null);
    const results = sparse.flatMap((row) => m.add(row, 0, null));
    const column = results[0].evaluation.columns.find((c) => c.name === "precipitation");
    assert.deepEqual(column?.details.reference_threshold, {
      unavailable: "the reference has 150 values, fewer than twice the window's 100",
    });
    assert.equal(column?.threshold, 0.05);
  });

  it("exports each feature's alpha drawn from the reference", () => {
    const [result] = replay(new DriftMonitor("m", configOf(), kinds, null), 0, 500);
    const metrics = new Metrics({ processMetrics: false });
    driftKind.publish(result, metrics);
    const series = (metrics.driftAlpha as unknown as { hashMap: Record<string, { value: number }> }).hashMap;
    assert.equal(Object.keys(series).length, 4);
    for (const column of result.evaluation.columns)
      assert.ok(
        Object.values(series).some((v) => v.value === column.threshold),
        `${column.name} ${column.threshold}`,
      );
  });
});

describe("drift monitor config with thresholds", () => {
  const problems = weatherDriftProblems;

  it("accepts a quantile or a standard-deviation rule, and per-test effect floors", () => {
    const window =
      "    reference: { type: first, events: 200 }\n    window: { type: tumbling, events: 100 }\n";
    assert.deepEqual(problems(`${window}    thresholds: { quantile: 0.99 }\n`), []);
    assert.deepEqual(problems(`${window}    thresholds: { std: 3, samples: 100, seed: 4 }\n`), []);
    assert.deepEqual(problems(`${window}    min_effect: { ks: 0.1, chi2: 0.05 }\n`), []);
  });

  it("names each problem by its path", () => {
    assert.deepEqual(
      problems(
        "    reference: { type: first, events: 150 }\n    window: { type: tumbling, events: 100 }\n    correction: fdr\n    thresholds: { quantile: 0.999, samples: 1000 }\n",
      ),
      [
        "/monitors/m/reference/events thresholds draw windows of 100 events from the reference, which needs at least 200 (got 150)",
        "/monitors/m/correction fdr adjusts p-values; with data-driven thresholds use none or bonferroni",
        "/monitors/m/thresholds/samples quantile 0.999 needs at least 10000 draws, 10 beyond it (got 1000)",
      ],
    );
    assert.deepEqual(
      problems(
        "    reference: { type: rolling, windows: 3 }\n    window: { type: tumbling, duration_secs: 60 }\n    thresholds: {}\n",
      ),
      [
        "/monitors/m/thresholds a rolling reference moves with every window; data-driven thresholds need a fixed reference",
        "/monitors/m/thresholds/window_events a time window needs `window_events`, the events per window the thresholds are drawn for",
      ],
    );
    assert.deepEqual(
      problems(
        "    reference: { type: first, events: 200 }\n    window: { type: tumbling, events: 100 }\n    correction: bonferroni\n    thresholds: { std: 3 }\n",
      ),
      [
        "/monitors/m/correction bonferroni divides a quantile's tail among the features; with `std`, raise it instead",
      ],
    );
    const both = problems(
      "    reference: { type: first, events: 200 }\n    window: { type: tumbling, events: 10 }\n    thresholds: { quantile: 0.9, std: 3 }\n    min_effect: { psi: 0.1 }\n",
    );
    assert.ok(
      both.includes("/monitors/m/thresholds give either `quantile` or `std`, not both"),
      both.join("\n"),
    );
    assert.ok(
      both.some((p) => p.startsWith("/monitors/m/min_effect")),
      both.join("\n"),
    );
  });
});

describe("the thresholds example through report --config", () => {
  it("gives the shifted delays away with either decision, and only the fixed alpha alarms on origin, which did not change", function () {
    this.timeout(60_000);
    const out = driftwatch("report", "--config", "drift/thresholds/driftwatch.yaml");
    assert.equal(out.code, 0, out.stderr);
    const { monitors } = JSON.parse(out.stdout) as {
      monitors: Record<string, { results: DriftResult[]; verdicts: string[] }>;
    };
    const drifted = (name: string, feature: string) =>
      monitors[name].results.flatMap((r) =>
        r.evaluation.columns.some((c) => c.name === feature && c.drift) ? [r.window.index] : [],
      );
    // The delays are 3 minutes longer from the 5001st flight, the first of window 10.
    assert.deepEqual(drifted("flights-fixed", "delay"), [10, 11, 12, 13, 14, 15]);
    assert.deepEqual(drifted("flights-recommended", "delay"), [10, 12, 13]);
    assert.deepEqual(drifted("flights-fixed", "origin"), [15]);
    assert.deepEqual(drifted("flights-recommended", "origin"), []);
    for (const name of ["flights-fixed", "flights-recommended"])
      assert.deepEqual(drifted(name, "distance"), [], name);
    const line = monitors["flights-recommended"].verdicts[10];
    assert.match(line, /delay ks 0\.135 p=2\.94e-7 \(alpha 0\.001761\) drift/);
  });
});
