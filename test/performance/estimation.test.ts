/**
 * A performance monitor's `estimation` end to end: the fixture's labelled reference rows arrive
 * as predictions and labels (the reference pairs), then its analysis rows as predictions only;
 * every window of predictions the monitor estimates equals NannyML 0.13's chunk, and the pipeline
 * exports it beside the realized metrics.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import type { PerformanceMonitorConfig } from "../../src/config/types.js";
import { Metrics } from "../../src/metrics/metrics.js";
import type {
  EstimationCheckResult,
  EstimationReferenceResult,
  EstimationResult,
} from "../../src/performance/estimation.js";
import { performanceKind } from "../../src/performance/kind.js";
import { PerformanceMonitor } from "../../src/performance/monitor.js";
import { driftwatch } from "../support/cli.js";

interface Rows {
  actual: (number | string)[];
  predicted: (number | string)[];
  score?: number[];
  probabilities?: Record<string, number[]>;
}
interface Chunk {
  period: "reference" | "analysis";
  start_index: number;
  end_index: number;
  metrics: Record<string, Record<string, number | boolean | null>>;
}
interface Case {
  name: string;
  problem: "binary" | "multiclass";
  positive?: string;
  chunk_size: number;
  metrics: string[];
  reference: Rows;
  analysis: Rows;
  nannyml: { calibration: Record<string, { needed: boolean }>; chunks: Chunk[] };
}

const fixture = JSON.parse(
  readFileSync(new URL("../fixtures/nannyml/cbpe.json", import.meta.url), "utf8"),
) as { cases: Case[] };

/** Row i of the fixture's rows as the prediction event the monitor reads. */
function predictionEvent(rows: Rows, i: number, id: string): Record<string, unknown> {
  const event: Record<string, unknown> = { id, label: String(rows.predicted[i]) };
  if (rows.score) event.score = rows.score[i];
  if (rows.probabilities)
    event.proba = Object.fromEntries(Object.entries(rows.probabilities).map(([label, p]) => [label, p[i]]));
  return event;
}

function close(got: number | null | undefined, want: number | null, what: string): void {
  if (want === null || got === null || got === undefined) {
    assert.equal(got ?? null, want, what);
    return;
  }
  assert.ok(
    Math.abs(got - want) <= 1e-12 * Math.max(1, Math.abs(want)),
    `${what}: ${got} vs NannyML ${want}`,
  );
}

describe("performance estimation in the monitor (CBPE)", () => {
  for (const c of fixture.cases.filter((x) => x.name !== "binary_single_class")) {
    it(`estimates every window of predictions as NannyML's chunks: ${c.name}`, async () => {
      const config: PerformanceMonitorConfig = {
        type: "performance",
        task: "classification",
        predictions: {
          source: "p",
          id: "/id",
          label: "/label",
          ...(c.problem === "binary" ? { score: "/score" } : { probabilities: "/proba" }),
        },
        labels: { source: "l", id: "/id", label: "/label" },
        window: { type: "tumbling", events: 1000 },
        ...(c.problem === "binary" ? { positive: c.positive } : {}),
        estimation: {
          reference: { pairs: c.reference.actual.length },
          chunk_size: c.chunk_size,
          metrics: c.metrics as NonNullable<PerformanceMonitorConfig["estimation"]>["metrics"],
          // NannyML's own decisions: its test can hinge on numpy's unstable sort (see cbpe.ts).
          calibrate: Object.fromEntries(Object.entries(c.nannyml.calibration).map(([k, v]) => [k, v.needed])),
        },
      };
      const monitor = new PerformanceMonitor("estimate", config, undefined, () => 0);
      const out: unknown[] = [];
      for (let i = 0; i < c.reference.actual.length; i++) {
        out.push(...monitor.add("p", predictionEvent(c.reference, i, `r${i}`), {}).estimated);
        out.push(...monitor.add("l", { id: `r${i}`, label: String(c.reference.actual[i]) }, {}).estimated);
      }
      assert.equal(out.length, 1, "the reference is fitted when its last pair joins");
      const fitted = out[0] as EstimationReferenceResult;
      assert.equal(fitted.estimation_reference.failed, null);
      assert.match(
        performanceKind.verdict(fitted) ?? "",
        /^\[estimate\] estimation ready: reference of \d+ pairs/,
      );
      // Through a checkpoint: the fitted reference is part of the state.
      const resumed = new PerformanceMonitor(
        "estimate",
        config,
        JSON.parse(JSON.stringify(monitor.state)),
        () => 0,
      );
      const windows: EstimationResult[] = [];
      for (let i = 0; i < c.analysis.actual.length; i++)
        windows.push(
          ...(resumed.add("p", predictionEvent(c.analysis, i, `a${i}`), {}).estimated as EstimationResult[]),
        );
      windows.push(...(resumed.flush(0).filter((r) => "estimation" in r) as EstimationResult[]));
      const chunks = c.nannyml.chunks.filter((k) => k.period === "analysis");
      assert.equal(windows.length, chunks.length, "one window per NannyML chunk");
      for (const [w, chunk] of chunks.entries()) {
        const got = windows[w].estimation;
        assert.equal(got.predictions, chunk.end_index - chunk.start_index + 1);
        for (const [metric, want] of Object.entries(chunk.metrics)) {
          const row = got.metrics[metric as keyof typeof got.metrics];
          assert.ok(row, `${c.name} window ${w}: ${metric} estimated`);
          const at = `${c.name} window ${w} ${metric}`;
          close(row.value, want.value as number | null, `${at} value`);
          close(row.sampling_error, want.sampling_error as number | null, `${at} sampling_error`);
          close(
            row.lower_confidence_boundary,
            want.lower_confidence_boundary as number | null,
            `${at} lower bound`,
          );
          close(
            row.upper_confidence_boundary,
            want.upper_confidence_boundary as number | null,
            `${at} upper bound`,
          );
          close(row.lower_threshold, want.lower_threshold as number | null, `${at} lower threshold`);
          close(row.upper_threshold, want.upper_threshold as number | null, `${at} upper threshold`);
          assert.equal(row.alert, want.alert, `${at} alert`);
        }
      }
      // Exported beside the realized metrics, with the bounds and thresholds dashboards draw.
      const metrics = new Metrics({ processMetrics: false });
      const last = windows[windows.length - 1];
      performanceKind.publish(last, metrics);
      const gauge = async (name: string, labels: Record<string, string>) =>
        (await metrics.registry.getSingleMetric(name)?.get())?.values.find((v) =>
          Object.entries(labels).every(([k, x]) => v.labels[k] === x),
        )?.value;
      const accuracy = last.estimation.metrics.accuracy;
      assert.ok(accuracy);
      const labels = { monitor: "estimate", metric: "accuracy", slice: "all", scope: "estimated" };
      assert.equal(await gauge("driftwatch_performance", labels), accuracy.value);
      assert.equal(await gauge("driftwatch_performance_lower", labels), accuracy.lower_confidence_boundary);
      assert.equal(
        await gauge("driftwatch_performance_threshold", {
          monitor: "estimate",
          metric: "accuracy",
          bound: "lower",
        }),
        accuracy.lower_threshold ?? undefined,
      );
      assert.equal(
        await gauge("driftwatch_performance_estimate_alert", { monitor: "estimate", metric: "accuracy" }),
        accuracy.alert ? 1 : 0,
      );
      // The labels that come later settle each window: its estimates against NannyML's realized values.
      const checks: EstimationCheckResult[] = [];
      for (let i = 0; i < c.analysis.actual.length; i++)
        for (const r of resumed.add("l", { id: `a${i}`, label: String(c.analysis.actual[i]) }, {}).estimated)
          if ("estimation_check" in r) checks.push(r);
      assert.deepEqual(
        checks.map((k) => k.estimation_check.index),
        chunks.map((_, w) => w),
        "every window settles once its last label comes",
      );
      for (const [w, chunk] of chunks.entries())
        for (const [metric, want] of Object.entries(chunk.metrics)) {
          const row =
            checks[w].estimation_check.metrics[
              metric as keyof (typeof checks)[number]["estimation_check"]["metrics"]
            ];
          close(row?.realized, want.realized as number | null, `${c.name} window ${w} ${metric} realized`);
          if (row?.estimated != null && row.realized != null)
            assert.equal(row.error, row.estimated - row.realized);
        }
      performanceKind.publish(checks[0], metrics);
      assert.equal(
        await gauge("driftwatch_performance_estimation_error", { monitor: "estimate", metric: "accuracy" }),
        checks[0].estimation_check.metrics.accuracy?.error ?? undefined,
      );
      assert.match(
        performanceKind.verdict(checks[0]) ?? "",
        /^\[estimate\] estimated window 0 settled by its \d+ labels: roc_auc [\d.]+ realized [\d.]+ \(error -?[\d.e-]+\)/,
      );
      const alerted = windows.find((w) => Object.values(w.estimation.metrics).some((m) => m?.alert));
      if (alerted)
        assert.match(performanceKind.verdict(alerted) ?? "", /\| ALERT \w+ [\d.]+ (below|above) [\d.]+/);
    });
  }

  it("starts over with the next pairs when the reference cannot be fitted, and says why", () => {
    const config: PerformanceMonitorConfig = {
      type: "performance",
      task: "classification",
      predictions: { source: "p", id: "/id", label: "/label", score: "/score" },
      labels: { source: "l", id: "/id", label: "/label" },
      window: { type: "tumbling", events: 1000 },
      positive: "1",
      estimation: { reference: { pairs: 10 }, chunk_size: 5 },
    };
    const monitor = new PerformanceMonitor("estimate", config, undefined, () => 0);
    const results: EstimationReferenceResult[] = [];
    // Fewer rows than NannyML's calibration test splits, one of them positive: not a usable reference.
    for (let i = 0; i < 10; i++) {
      monitor.add("p", { id: String(i), label: "0", score: i / 10 }, {});
      const label = i === 0 ? "1" : "0";
      results.push(
        ...(monitor.add("l", { id: String(i), label }, {}).estimated as EstimationReferenceResult[]),
      );
    }
    assert.equal(results.length, 1);
    assert.notEqual(results[0].estimation_reference.failed, null);
    assert.match(
      performanceKind.verdict(results[0]) ?? "",
      /^\[estimate\] estimation cannot use its reference of 10 pairs \(.+\); collecting the next 10$/,
    );
    assert.deepEqual(monitor.state.estimation?.rows, [], "collecting afresh");
  });

  it("settles every window, whether its last label comes before or after it closes, leaving out predictions it did not count", () => {
    const config: PerformanceMonitorConfig = {
      type: "performance",
      task: "classification",
      predictions: { source: "p", id: "/id", label: "/label", probabilities: "/proba" },
      labels: { source: "l", id: "/id", label: "/y" },
      window: { type: "tumbling", events: 1000 },
      estimation: { reference: { pairs: 60 }, chunk_size: 20 },
    };
    const monitor = new PerformanceMonitor("estimate", config, undefined, () => 0);
    let seed = 1;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const labels = ["x", "y", "z"];
    const checks: EstimationCheckResult[] = [];
    for (let i = 0; i < 200; i++) {
      const a = random();
      const b = random() * (1 - a);
      // From prediction 100 on, every seventh lacks a class's probability: not counted, not compared.
      const proba = i >= 100 && i % 7 === 0 ? { x: a, y: b } : { x: a, y: b, z: 1 - a - b };
      const actual = labels[Math.floor(random() * 3)];
      const results = [
        ...monitor.add("p", { id: String(i), label: labels[i % 3], proba }, {}).estimated,
        ...monitor.add("l", { id: String(i), y: actual }, {}).estimated,
      ];
      for (const r of results) if ("estimation_check" in r) checks.push(r);
    }
    assert.deepEqual(
      checks.map((c) => [c.estimation_check.index, c.estimation_check.predictions]),
      [
        [0, 20],
        [1, 20],
        [2, 17],
        [3, 18],
        [4, 17],
        [5, 17],
        [6, 17],
      ],
    );
    for (const c of checks) assert.notEqual(c.estimation_check.metrics.accuracy?.realized ?? null, null);
  });

  it("runs the worked example of the README: estimates before labels, beside what the late labels realized", () => {
    const r = driftwatch("report", "--config", "drift/estimation/driftwatch.yaml");
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as {
      monitors: Record<string, { results: Record<string, unknown>[] }>;
    };
    const estimated = report.monitors.housing.results.filter(
      (x) => "estimation" in x,
    ) as unknown as EstimationResult[];
    const realized = report.monitors["housing-realized"].results.filter((x) => "window_metrics" in x);
    assert.deepEqual(
      estimated.map((e) => e.estimation.predictions),
      [500, 500, 500, 500, 500, 500, 250],
    );
    assert.equal(realized.length, 7);
    // As the README's table says.
    assert.equal(estimated[1].estimation.metrics.accuracy?.value?.toFixed(3), "0.758");
    assert.equal(estimated[6].estimation.metrics.roc_auc?.value?.toFixed(3), "0.857");
  });
});
