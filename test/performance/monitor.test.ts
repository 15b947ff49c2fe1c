import { strict as assert } from "node:assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.js";
import type { PerformanceMonitorConfig } from "../../src/config/types.js";
import { Logger } from "../../src/log.js";
import { resultsOf } from "../../src/monitors/results.js";
import { performanceKind } from "../../src/performance/kind.js";
import {
  type DetectorStatus,
  PerformanceMonitor,
  type PerformanceResult,
} from "../../src/performance/monitor.js";
import type { ClassificationMetrics, RegressionMetrics } from "../../src/performance/types.js";
import { Pipeline } from "../../src/pipeline.js";
import { assertValue, type ClassificationCase, fixture } from "./fixture.js";

const dir = mkdtempSync(join(tmpdir(), "driftwatch-performance-"));

const config: PerformanceMonitorConfig = {
  type: "performance",
  task: "classification",
  predictions: { source: "p", id: "/id", label: "/prediction/label", score: "/prediction/score" },
  labels: { source: "l", id: "/id", label: "/label" },
  join: { ttl_secs: 60, max_pending: 3 },
  window: { type: "tumbling", events: 4 },
  slices: { eu: { feature: "region", in: ["eu"] } },
  positive: "yes",
};

function accuracyOf(metrics: ClassificationMetrics | RegressionMetrics): number | null {
  return "accuracy" in metrics ? metrics.accuracy.value : null;
}

describe("PerformanceMonitor", () => {
  it("joins labels to predictions in either order and computes window and slice metrics", () => {
    let now = 0;
    const m = new PerformanceMonitor("perf", config, undefined, () => now);
    const predict = (id: number, label: string, region: string) =>
      m.add("p", { id: String(id), prediction: { label, score: label === "yes" ? 0.8 : 0.3 } }, { region });
    const truth = (id: number, label: string) => m.add("l", { id: String(id), label }, {});
    predict(1, "yes", "eu");
    predict(2, "no", "us");
    truth(1, "yes");
    truth(3, "no"); // label before its prediction
    predict(3, "yes", "eu");
    const { closed } = truth(2, "yes");
    assert.equal(closed.length, 0, "three pairs so far");
    predict(4, "no", "eu");
    const [window] = truth(4, "no").closed;
    assert.equal(window.window.events, 4);
    assert.equal(accuracyOf(window.window_metrics.all), 0.5);
    assert.equal(accuracyOf(window.window_metrics.slices.eu), 2 / 3);
    assert.equal(window.join.matched, 4);
    const all = window.window_metrics.all as ClassificationMetrics;
    assert.ok(all.accuracy.interval && all.accuracy.interval.method === "wilson");
    assert.notEqual(all.roc_auc.value, null);
    // Expiry and eviction.
    predict(10, "no", "us");
    now = 30_000;
    predict(11, "no", "us");
    truth(99, "yes");
    now = 61_000;
    m.tick(now);
    assert.deepEqual(m.pending, { predictions: 1, labels: 1 }, "only what arrived before 1 s has expired");
    assert.equal(m.joinCounts.expired_predictions, 1);
    now = 91_000;
    m.tick(now);
    assert.deepEqual(m.pending, { predictions: 0, labels: 0 });
    assert.equal(m.joinCounts.expired_predictions, 2);
    assert.equal(m.joinCounts.orphan_labels, 1);
    for (let id = 20; id < 24; id++) predict(id, "no", "us");
    assert.equal(m.joinCounts.evicted_predictions, 1, "max_pending 3 keeps the newest three");
    assert.deepEqual(m.pending, { predictions: 3, labels: 0 });
  });

  it("feeds errors to the detectors and resumes from its state as if uninterrupted", () => {
    const withDetectors: PerformanceMonitorConfig = {
      ...config,
      join: undefined,
      window: { type: "tumbling", events: 100 },
      detectors: [{ type: "ddm" }, { type: "adwin" }],
    };
    const run = (
      from: number,
      to: number,
      m: PerformanceMonitor,
      out: { closed: PerformanceResult[]; detections: DetectorStatus[] },
    ) => {
      for (let i = from; i < to; i++) {
        // 5 % errors, then 50 % from pair 600 on: a concept change.
        const wrong = i < 600 ? i % 20 === 0 : i % 2 === 0;
        m.add("p", { id: String(i), prediction: { label: "yes", score: 0.9 } }, { region: "eu" });
        const r = m.add("l", { id: String(i), label: wrong ? "no" : "yes" }, {});
        out.closed.push(...r.closed);
        out.detections.push(...r.detections);
      }
    };
    const straight = { closed: [] as PerformanceResult[], detections: [] as DetectorStatus[] };
    run(0, 1000, new PerformanceMonitor("perf", withDetectors, undefined, () => 0), straight);
    const fired = straight.detections.filter((d) => d.drift);
    assert.ok(
      fired.some((d) => d.detector === "ddm"),
      "DDM fires after the change",
    );
    assert.ok(
      straight.closed.flatMap((c) => c.drifts).every((d) => d.pair > 600),
      "and not before it",
    );
    assert.ok((accuracyOf(straight.closed[9].window_metrics.all) ?? 1) < 0.6);
    assert.ok((accuracyOf(straight.closed[0].window_metrics.all) ?? 0) > 0.9);

    const resumed = { closed: [] as PerformanceResult[], detections: [] as DetectorStatus[] };
    const first = new PerformanceMonitor("perf", withDetectors, undefined, () => 0);
    run(0, 650, first, resumed);
    const second = new PerformanceMonitor(
      "perf",
      withDetectors,
      JSON.parse(JSON.stringify(first.state)),
      () => 0,
    );
    run(650, 1000, second, resumed);
    assert.deepEqual(resumed, straight);
  });

  it("runs one detector type twice under two names, and prints warnings as well as drifts", () => {
    const m = new PerformanceMonitor(
      "perf",
      {
        ...config,
        join: undefined,
        slices: undefined,
        window: { type: "tumbling", events: 1000 },
        detectors: [
          { type: "ddm" },
          { type: "ddm", name: "ddm-eager", warning_threshold: 1, drift_threshold: 2 },
        ],
      },
      undefined,
      () => 0,
    );
    const lines: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const wrong = i < 600 ? i % 20 === 0 : i % 2 === 0;
      m.add("p", { id: String(i), prediction: { label: "yes", score: 0.9 } }, {});
      const { detections } = m.add("l", { id: String(i), label: wrong ? "no" : "yes" }, {});
      if (detections.length > 0) {
        const line = performanceKind.verdict({ monitor: "perf", detections });
        if (line !== null) lines.push(...line.split("\n"));
      }
    }
    for (const name of ["ddm", "ddm-eager"]) {
      const own = lines.filter((l) => l.startsWith(`[perf] ${name} `));
      const warning = own.findIndex((l) =>
        /^\[perf\] \S+ warning: the error is rising \(estimate [\d.]+\)$/.test(l),
      );
      const drift = own.findIndex((l) =>
        /^\[perf\] \S+ detected concept drift \(estimate [\d.]+, 1 so far\)$/.test(l),
      );
      assert.ok(
        warning !== -1 && drift !== -1 && warning < drift,
        `${name}: a warning, then the drift\n${own.join("\n")}`,
      );
    }
    const eager = lines.findIndex((l) => l.startsWith("[perf] ddm-eager detected"));
    const standard = lines.findIndex((l) => l.startsWith("[perf] ddm detected"));
    assert.ok(eager < standard, "the eager settings fire first");
  });

  it("computes regression metrics from numeric predictions and labels", () => {
    const m = new PerformanceMonitor(
      "reg",
      {
        ...config,
        task: "regression",
        slices: undefined,
        positive: undefined,
        window: { type: "tumbling", events: 3 },
      },
      undefined,
      () => 0,
    );
    const pairs: [number, number][] = [
      [3, 2.5],
      [5, 5],
      [2.5, 4],
    ];
    let result: PerformanceResult | undefined;
    for (const [i, [actual, predicted]] of pairs.entries()) {
      m.add("p", { id: i, prediction: { label: predicted } }, {});
      result = m.add("l", { id: i, label: actual }, {}).closed[0] ?? result;
    }
    const metrics = result?.window_metrics.all as RegressionMetrics;
    assert.ok(Math.abs((metrics.mae.value ?? 0) - 2 / 3) < 1e-15);
    assert.ok(Math.abs((metrics.rmse.value ?? 0) - Math.sqrt((0.25 + 0 + 2.25) / 3)) < 1e-15);
  });
});

describe("PerformanceMonitor with per-class probabilities", () => {
  const multiclass = fixture.classification.filter((c) => c.data?.probabilities !== undefined);

  /** The fixture case's rows as prediction and label events, probabilities in the given shape. */
  function run(
    c: ClassificationCase,
    shape: "object" | "array",
    predictions: Partial<PerformanceMonitorConfig["predictions"]> = {},
  ): ClassificationMetrics {
    const data = c.data as NonNullable<ClassificationCase["data"]>;
    const probabilities = data.probabilities as Record<string, number[]>;
    const classes = Object.keys(probabilities);
    const m = new PerformanceMonitor(
      "multi",
      {
        type: "performance",
        task: "classification",
        predictions: {
          source: "p",
          id: "/id",
          label: "/label",
          probabilities: "/proba",
          ...(shape === "array" ? { classes } : {}),
          ...predictions,
        },
        labels: { source: "l", id: "/id", label: "/label" },
        window: { type: "tumbling", events: data.actual.length },
        ...(c.positive === null ? {} : { positive: c.positive }),
      },
      undefined,
      () => 0,
    );
    let result: PerformanceResult | undefined;
    for (const [i, actual] of data.actual.entries()) {
      const row = classes.map((label) => probabilities[label][i]);
      const proba = shape === "array" ? row : Object.fromEntries(classes.map((label, j) => [label, row[j]]));
      m.add("p", { id: i, label: data.predicted[i], proba }, {});
      result = m.add("l", { id: i, label: actual }, {}).closed[0] ?? result;
    }
    assert.ok(result, `${c.name}: the window closed`);
    return result.window_metrics.all as ClassificationMetrics;
  }

  it("reaches one-vs-rest ROC AUC and multiclass log loss, equal to scikit-learn's", () => {
    assert.ok(multiclass.length >= 3);
    for (const c of multiclass) {
      for (const shape of ["object", "array"] as const) {
        const metrics = run(c, shape);
        const at = `${c.name} (${shape})`;
        assertValue(metrics.roc_auc_ovr.value, c.expected.roc_auc_ovr, 1e-12, 0, `${at}: roc_auc_ovr`);
        assertValue(metrics.log_loss.value, c.expected.log_loss, 1e-12, 0, `${at}: log_loss`);
        assertValue(metrics.expected_calibration_error.value, c.expected.ece, 1e-12, 1e-15, `${at}: ece`);
        assert.equal(metrics.scored, c.expected.scored, `${at}: scored`);
      }
    }
  });

  it("counts probabilities it cannot read, and never uses them", () => {
    const m = new PerformanceMonitor(
      "multi",
      {
        type: "performance",
        task: "classification",
        predictions: {
          source: "p",
          id: "/id",
          label: "/label",
          probabilities: "/proba",
          classes: ["a", "b"],
        },
        labels: { source: "l", id: "/id", label: "/label" },
        window: { type: "tumbling", events: 7 },
      },
      undefined,
      () => 0,
    );
    const probas: unknown[] = [
      [0.3, 0.7],
      [0.3, 0.2, 0.5], // the wrong length
      "0.3", // text
      { a: 0.4, b: "0.6" }, // a value that is not a number
      {}, // no class
      undefined, // absent
      JSON.parse('{"a": 0.9, "b": 0.1, "__proto__": 0}'), // an ordinary key, whatever its name
    ];
    let result: PerformanceResult | undefined;
    for (const [i, proba] of probas.entries()) {
      m.add("p", { id: i, label: "b", ...(proba === undefined ? {} : { proba }) }, {});
      result = m.add("l", { id: i, label: "b" }, {}).closed[0] ?? result;
    }
    const metrics = result?.window_metrics.all as ClassificationMetrics;
    assert.equal(metrics.count, 7);
    assert.equal(metrics.scored, 2);
    assert.equal(metrics.invalid_scores, 5);
  });
});

describe("Pipeline with a performance monitor", () => {
  it("joins two sources, exports metrics per slice and counts concept drift", async () => {
    const predictions: string[] = [];
    const labels: string[] = [];
    for (let i = 0; i < 1200; i++) {
      const region = i % 3 === 0 ? "eu" : "us";
      predictions.push(JSON.stringify({ id: `c${i}`, region, prediction: { label: "stay", score: 0.2 } }));
      // The concept changes for the eu slice half way: its customers start to churn.
      const churn = region === "eu" && i >= 600 ? i % 4 !== 0 : i % 25 === 0;
      if (i % 10 !== 9) labels.push(JSON.stringify({ id: `c${i}`, label: churn ? "churn" : "stay" }));
    }
    writeFileSync(join(dir, "predictions.jsonl"), `${predictions.join("\n")}\n`);
    writeFileSync(join(dir, "labels.jsonl"), `${labels.join("\n")}\n`);
    const file = join(dir, "perf.yaml");
    writeFileSync(
      file,
      `
sources:
  predictions: { type: file, path: predictions.jsonl }
  labels: { type: file, path: labels.jsonl }
features:
  region: { source: predictions, path: /region, type: categorical }
monitors:
  churn-performance:
    type: performance
    task: classification
    predictions: { source: predictions, id: /id, label: /prediction/label, score: /prediction/score }
    labels: { source: labels, id: /id, label: /label }
    join: { ttl_secs: 86400, max_pending: 1000000 }
    window: { type: tumbling, events: 270 }
    slices:
      eu: { feature: region, in: [eu] }
    detectors: [ { type: adwin }, { type: ddm }, { type: page_hinkley } ]
    positive: churn
state: { dir: state }
`,
    );
    const results: PerformanceResult[] = [];
    const pipeline = await Pipeline.create(loadConfig(file), {
      log: new Logger("error"),
      metricsListen: null,
      onResult: resultsOf<PerformanceResult>("performance", (r) => {
        // Detections come at once, beside the closed windows.
        if ("window" in r) results.push(r);
      }),
    });
    await pipeline.start();
    await pipeline.finished();
    await pipeline.stop();
    assert.equal(results.length, 4, "1080 labelled pairs in windows of 270");
    const eu = (r: PerformanceResult) => accuracyOf(r.window_metrics.slices.eu) ?? 0;
    assert.ok(
      eu(results[0]) > 0.9 && eu(results[3]) < 0.4,
      `eu accuracy falls: ${results.map(eu).join(", ")}`,
    );
    const text = await pipeline.metrics.registry.metrics();
    assert.match(
      text,
      /^driftwatch_performance\{monitor="churn-performance",metric="accuracy",slice="eu",scope="window"\} 0\.\d+$/m,
    );
    assert.match(
      text,
      /^driftwatch_performance_lower\{monitor="churn-performance",metric="accuracy",slice="all",scope="cumulative"\} /m,
    );
    assert.match(
      text,
      /^driftwatch_concept_drift_total\{monitor="churn-performance",detector="ddm"\} [1-9]/m,
    );
    assert.match(text, /^driftwatch_join_events\{monitor="churn-performance",outcome="matched"\} 1080$/m);
    assert.match(text, /^driftwatch_join_pending\{monitor="churn-performance",side="predictions"\} 120$/m);
  });
});
