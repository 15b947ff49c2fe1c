import assert from "node:assert/strict";
import { evaluateRules, formatNumber, type RuleInput, ruleKey } from "../../src/alerts/rules.js";
import type { AlertRuleConfig, RulesState } from "../../src/alerts/types.js";
import { driftKind } from "../../src/drift/kind.js";
import { rankColumns } from "../../src/drift/rules.js";
import { outliersKind } from "../../src/outliers/kind.js";
import { performanceKind } from "../../src/performance/kind.js";
import { classification, column, driftResult, outlierResult, performanceResult, T0 } from "./fixtures.js";

function run(monitor: string, rules: AlertRuleConfig[], inputs: RuleInput[], state: RulesState = {}) {
  let s = state;
  let last: ReturnType<typeof evaluateRules> | null = null;
  for (const input of inputs) {
    last = evaluateRules(monitor, rules, input, s);
    s = last.state;
  }
  return last as ReturnType<typeof evaluateRules>;
}

const amount = (drift: boolean) =>
  column("amount", "ks", drift ? 0.31 : 0.02, drift ? 1.2e-7 : 0.6, 0.05, drift);
const country = (drift: boolean) =>
  column("country", "chi2", drift ? 41.5 : 2, drift ? 3.4e-4 : 0.7, 0.05, drift);
const basket = (drift: boolean) => column("basket", "psi", drift ? 0.42 : 0.05, null, 0.2, drift);

describe("alerts/rules", () => {
  describe("feature_drift", () => {
    it("raises one condition per drifting feature with its test, statistic, p-value, threshold and window", () => {
      const { sets } = evaluateRules(
        "orders",
        [{ type: "feature_drift" }],
        {
          kind: driftKind,
          result: driftResult(3, [amount(true), country(false), basket(true)]),
        },
        {},
      );
      assert.equal(sets.length, 1);
      assert.equal(sets[0].rule, ruleKey("orders", 0));
      const byFeature = new Map(sets[0].conditions.map((c) => [c.labels.feature, c]));
      assert.deepEqual([...byFeature.keys()].sort(), ["amount", "basket"]);
      const c = byFeature.get("amount");
      assert.ok(c);
      assert.deepEqual(c.labels, {
        alertname: "FeatureDrift",
        monitor: "orders",
        severity: "warning",
        feature: "amount",
      });
      assert.equal(c.annotations.test, "ks");
      assert.equal(c.annotations.statistic, "0.31");
      assert.equal(c.annotations.p_value, "1.2e-7");
      assert.equal(c.annotations.threshold, "0.05");
      assert.equal(c.annotations.window_index, "3");
      assert.equal(c.annotations.window_events, "500");
      assert.equal(c.annotations.window_start, "2024-05-01T03:00:00.000Z");
      assert.equal(c.annotations.window_end, "2024-05-01T04:00:00.000Z");
      assert.equal(c.annotations.first_event_time, "2024-05-01T03:00:01.000Z");
      assert.equal(c.annotations.last_event_time, "2024-05-01T03:59:59.000Z");
      assert.equal(c.annotations.distances, "psi=0.3, jensen_shannon=0.12, hellinger=0.1, wasserstein=1.5");
      assert.equal(c.annotations.drifted_features, "2/3");
      assert.match(c.annotations.summary, /feature "amount" drifted in monitor "orders"/);
      assert.equal(c.value, 0.31);
      const psi = byFeature.get("basket");
      assert.equal(psi?.annotations.p_value, undefined, "distance tests have no p-value");
      assert.equal(psi?.annotations.threshold, "0.2");
    });

    it("lists top features by p-value, then distance tests by statistic over threshold", () => {
      const cols = [
        basket(true),
        country(true),
        amount(true),
        column("age", "wasserstein", 0.9, null, 0.1, true),
      ];
      assert.deepEqual(
        rankColumns(cols).map((c) => c.name),
        ["amount", "country", "age", "basket"],
      );
      const { sets } = evaluateRules(
        "orders",
        [{ type: "feature_drift" }],
        { kind: driftKind, result: driftResult(0, cols) },
        {},
      );
      assert.equal(
        sets[0].conditions[0].annotations.top_features,
        "amount (ks 0.31, p=1.2e-7), country (chi2 41.5, p=0.00034), age (wasserstein 0.9 > 0.1), basket (psi 0.42 > 0.2)",
      );
    });

    it("waits for consecutive_windows windows in a row and restarts the count after a clean window", () => {
      const rules: AlertRuleConfig[] = [{ type: "feature_drift", consecutive_windows: 2 }];
      const w = (i: number, drift: boolean) =>
        ({ kind: driftKind, result: driftResult(i, [amount(drift)]) }) as const;
      assert.deepEqual(run("orders", rules, [w(0, true)]).sets[0].conditions, []);
      const second = run("orders", rules, [w(0, true), w(1, true)]).sets[0].conditions;
      assert.equal(second.length, 1);
      assert.equal(second[0].annotations.consecutive_windows, "2");
      assert.deepEqual(run("orders", rules, [w(0, true), w(1, false), w(2, true)]).sets[0].conditions, []);
      assert.equal(
        run("orders", rules, [w(0, true), w(1, true), w(2, true)]).sets[0].conditions[0].annotations
          .consecutive_windows,
        "3",
      );
    });

    it("counts a replayed window once and ignores scheduled evaluations of the open window", () => {
      const rules: AlertRuleConfig[] = [{ type: "feature_drift", consecutive_windows: 2 }];
      const after = run("orders", rules, [{ kind: driftKind, result: driftResult(0, [amount(true)]) }]);
      const replay = evaluateRules(
        "orders",
        rules,
        { kind: driftKind, result: driftResult(0, [amount(true)]) },
        after.state,
      );
      assert.deepEqual(replay.sets, [], "no update for a window already counted");
      assert.deepEqual(replay.state, after.state);
      const scheduled = evaluateRules(
        "orders",
        rules,
        { kind: driftKind, result: driftResult(1, [amount(true)], "schedule") },
        after.state,
      );
      assert.deepEqual(scheduled.sets, []);
      assert.deepEqual(scheduled.state, after.state);
    });

    it("watches only the listed features", () => {
      const { sets } = evaluateRules(
        "orders",
        [{ type: "feature_drift", features: ["country"] }],
        {
          kind: driftKind,
          result: driftResult(0, [amount(true), country(true)]),
        },
        {},
      );
      assert.deepEqual(
        sets[0].conditions.map((c) => c.labels.feature),
        ["country"],
      );
    });

    it("leaves the state it was given unchanged", () => {
      const state: RulesState = { [ruleKey("orders", 0)]: { counters: { amount: 1 }, last_index: 0 } };
      const copy = structuredClone(state);
      evaluateRules(
        "orders",
        [{ type: "feature_drift", consecutive_windows: 3 }],
        { kind: driftKind, result: driftResult(1, [amount(true)]) },
        state,
      );
      assert.deepEqual(state, copy);
    });
  });

  describe("dataset_drift", () => {
    it("holds after consecutive windows of dataset drift, with share, bound and top features", () => {
      const rules: AlertRuleConfig[] = [
        { type: "dataset_drift", consecutive_windows: 2, severity: "critical" },
      ];
      const w = (i: number) =>
        ({ kind: driftKind, result: driftResult(i, [amount(true), country(true), basket(false)]) }) as const;
      assert.deepEqual(run("orders", rules, [w(0)]).sets[0].conditions, []);
      const [c] = run("orders", rules, [w(0), w(1)]).sets[0].conditions;
      assert.deepEqual(c.labels, { alertname: "DatasetDrift", monitor: "orders", severity: "critical" });
      assert.equal(c.annotations.share, formatNumber(2 / 3));
      assert.equal(c.annotations.threshold, "0.5");
      assert.equal(c.annotations.drifted_features, "2/3");
      assert.equal(c.annotations.top_features, "amount (ks 0.31, p=1.2e-7), country (chi2 41.5, p=0.00034)");
      assert.equal(c.annotations.window_index, "1");
    });

    it("is inactive when fewer than drift_share of the features drift", () => {
      const { sets } = evaluateRules(
        "orders",
        [{ type: "dataset_drift" }],
        {
          kind: driftKind,
          result: driftResult(0, [amount(true), country(false), basket(false)]),
        },
        {},
      );
      assert.deepEqual(sets[0].conditions, []);
    });
  });

  describe("performance_below", () => {
    const rule: AlertRuleConfig = {
      type: "performance_below",
      metric: "accuracy",
      below: 0.8,
      min_pairs: 50,
    };

    it("holds while the window's metric is below the bound, with its interval and pair count", () => {
      const { sets } = evaluateRules(
        "model",
        [rule],
        { kind: performanceKind, result: performanceResult(7, classification(0.72, 120)) },
        {},
      );
      const [c] = sets[0].conditions;
      assert.deepEqual(c.labels, {
        alertname: "PerformanceBelow",
        monitor: "model",
        severity: "warning",
        metric: "accuracy",
        slice: "all",
      });
      assert.equal(c.value, 0.72);
      assert.equal(c.annotations.value, "0.72");
      assert.equal(c.annotations.threshold, "0.8");
      assert.equal(c.annotations.pairs, "120");
      assert.equal(c.annotations.interval, "[0.67, 0.77] (0.95)");
      assert.equal(c.annotations.window_index, "7");
    });

    it("stays inactive above the bound, under min_pairs, and for an unknown slice", () => {
      const check = (r: AlertRuleConfig, result = performanceResult(0, classification(0.72, 120))) =>
        evaluateRules("model", [r], { kind: performanceKind, result }, {}).sets[0].conditions;
      assert.deepEqual(check(rule, performanceResult(0, classification(0.85, 120))), []);
      assert.deepEqual(check(rule, performanceResult(0, classification(0.5, 10))), []);
      assert.deepEqual(check({ ...rule, slice: "eu" }), []);
      assert.deepEqual(
        check({ ...rule, metric: "r2" }),
        [],
        "a regression metric on a classifier never holds",
      );
      assert.deepEqual(check({ ...rule, scope: "cumulative" }), [], "cumulative accuracy is 0.95");
    });

    it("reads a declared slice", () => {
      const result = performanceResult(0, classification(0.9, 500), { eu: classification(0.6, 80) });
      const { sets } = evaluateRules(
        "model",
        [{ ...rule, slice: "eu" }],
        { kind: performanceKind, result },
        {},
      );
      assert.equal(sets[0].conditions[0].labels.slice, "eu");
      assert.equal(sets[0].conditions[0].annotations.pairs, "80");
    });
  });

  describe("concept_drift", () => {
    const rules: AlertRuleConfig[] = [{ type: "concept_drift" }];

    it("is raised by a detection as it happens and ended by a window closing without one", () => {
      const detected = evaluateRules(
        "model",
        rules,
        {
          kind: performanceKind,
          result: {
            monitor: "model",
            detections: [{ detector: "adwin", drift: true, warning: false, estimate: 0.3, drifts: 5 }],
          },
        },
        {},
      );
      const [c] = detected.sets[0].conditions;
      assert.deepEqual(c.labels, {
        alertname: "ConceptDrift",
        monitor: "model",
        severity: "warning",
        detector: "adwin",
      });
      assert.equal(c.annotations.estimate, "0.3");
      assert.equal(c.annotations.total_detections, "5");

      const calm = evaluateRules(
        "model",
        rules,
        {
          kind: performanceKind,
          result: {
            monitor: "model",
            detections: [{ detector: "adwin", drift: false, warning: true, estimate: 0.3, drifts: 5 }],
          },
        },
        detected.state,
      );
      assert.deepEqual(calm.sets, [], "a status without drift says nothing new");

      const closedWith = evaluateRules(
        "model",
        rules,
        {
          kind: performanceKind,
          result: performanceResult(1, classification(0.9, 100), {}, [{ detector: "adwin", pair: 1234 }]),
        },
        detected.state,
      );
      assert.equal(closedWith.sets[0].conditions[0].annotations.pairs, "1234");
      const closedWithout = evaluateRules(
        "model",
        rules,
        { kind: performanceKind, result: performanceResult(2, classification(0.9, 100)) },
        closedWith.state,
      );
      assert.deepEqual(closedWithout.sets[0].conditions, []);
    });

    it("ignores detectors not listed", () => {
      const { sets } = evaluateRules(
        "model",
        [{ type: "concept_drift", detectors: ["ddm"] }],
        {
          kind: performanceKind,
          result: {
            monitor: "model",
            detections: [{ detector: "adwin", drift: true, warning: false, estimate: 0.3, drifts: 5 }],
          },
        },
        {},
      );
      assert.deepEqual(sets, []);
    });
  });

  describe("outlier_ratio_above", () => {
    it("raises one condition per scorer above the bound, with sample event ids and scores", () => {
      const { sets } = evaluateRules(
        "payments",
        [{ type: "outlier_ratio_above", above: 0.05 }],
        {
          kind: outliersKind,
          result: outlierResult(4, { robust_z: 20, isolation_forest: 6 }),
        },
        {},
      );
      assert.equal(sets[0].conditions.length, 1);
      const [c] = sets[0].conditions;
      assert.deepEqual(c.labels, {
        alertname: "OutlierRatioAbove",
        monitor: "payments",
        severity: "warning",
        scorer: "robust_z",
      });
      assert.equal(c.value, 0.1);
      assert.equal(c.annotations.ratio, "0.1");
      assert.equal(c.annotations.threshold, "0.05");
      assert.equal(c.annotations.score_threshold, "3.5");
      assert.equal(c.annotations.sample_ids, "evt-9, evt-4");
      assert.equal(c.annotations.top_scores, "evt-9=12.5, ?=9, evt-4=7.25");
      assert.equal(c.annotations.first_event_time, "2024-05-01T00:00:00.000Z");
      assert.equal(c.annotations.window_start, undefined, "count windows have no bounds");
    });

    it("watches only the named scorer", () => {
      const { sets } = evaluateRules(
        "payments",
        [{ type: "outlier_ratio_above", above: 0.01, scorer: "isolation_forest" }],
        {
          kind: outliersKind,
          result: outlierResult(4, { robust_z: 20, isolation_forest: 6 }),
        },
        {},
      );
      assert.deepEqual(
        sets[0].conditions.map((c) => c.labels.scorer),
        ["isolation_forest"],
      );
    });
  });

  describe("source_silent", () => {
    const rules: AlertRuleConfig[] = [{ type: "source_silent", source: "orders_topic", silent_secs: 300 }];
    const clock = (now: number, last: number | null) =>
      ({ kind: "clock", now, last_event_time: { orders_topic: last }, started_at: T0 }) as const;

    it("holds once the source has been silent for silent_secs", () => {
      assert.deepEqual(
        evaluateRules("orders", rules, clock(T0 + 400_000, T0 + 200_000), {}).sets[0].conditions,
        [],
      );
      const [c] = evaluateRules("orders", rules, clock(T0 + 600_000, T0 + 200_000), {}).sets[0].conditions;
      assert.deepEqual(c.labels, {
        alertname: "SourceSilent",
        monitor: "orders",
        severity: "warning",
        source: "orders_topic",
      });
      assert.equal(c.annotations.silent_secs, "400");
      assert.equal(c.annotations.last_event_time, "2024-05-01T00:03:20.000Z");
      assert.equal(c.annotations.threshold, "300");
    });

    it("counts a source never heard from as silent since start", () => {
      const [c] = evaluateRules("orders", rules, clock(T0 + 300_000, null), {}).sets[0].conditions;
      assert.equal(c.annotations.last_event_time, "never");
      assert.equal(c.value, 300);
    });

    it("is evaluated only on clock inputs", () => {
      assert.deepEqual(
        evaluateRules("orders", rules, { kind: driftKind, result: driftResult(0, [amount(true)]) }, {}).sets,
        [],
      );
    });
  });

  describe("labels, annotations and links", () => {
    it("adds the rule's labels under the built-in ones and expands annotation templates", () => {
      const { sets } = evaluateRules(
        "orders",
        [
          {
            type: "feature_drift",
            name: "OrdersFeatureDrift",
            labels: { team: "risk", monitor: "ignored" },
            annotations: {
              summary: "{{ feature }} moved (p={{ p_value }})",
              runbook_url: "https://runbooks/{{monitor}}",
            },
          },
        ],
        { kind: driftKind, result: driftResult(0, [amount(true)]) },
        {},
      );
      const [c] = sets[0].conditions;
      assert.deepEqual(c.labels, {
        team: "risk",
        alertname: "OrdersFeatureDrift",
        monitor: "orders",
        severity: "warning",
        feature: "amount",
      });
      assert.equal(c.annotations.summary, "amount moved (p=1.2e-7)");
      assert.equal(c.annotations.runbook_url, "https://runbooks/orders");
      assert.equal(c.annotations.statistic, "0.31", "built-in context stays");
    });

    it("builds generatorURL from its template with URL-encoded values", () => {
      const { sets } = evaluateRules(
        "my orders",
        [{ type: "feature_drift" }],
        { kind: driftKind, result: driftResult(0, [amount(true)]) },
        {},
        {
          generator_url:
            "https://grafana.example.com/d/drift?var-monitor={{ monitor }}&var-feature={{ feature }}",
        },
      );
      assert.equal(
        sets[0].conditions[0].generatorURL,
        "https://grafana.example.com/d/drift?var-monitor=my%20orders&var-feature=amount",
      );
    });

    it("takes the rule's for_secs onto its conditions", () => {
      const { sets } = evaluateRules(
        "orders",
        [{ type: "feature_drift", for_secs: 600 }],
        { kind: driftKind, result: driftResult(0, [amount(true)]) },
        {},
      );
      assert.equal(sets[0].conditions[0].for_secs, 600);
    });
  });

  describe("formatNumber", () => {
    it("keeps integers whole and rounds others to four significant digits", () => {
      assert.equal(formatNumber(42), "42");
      assert.equal(formatNumber(0.123456), "0.1235");
      assert.equal(formatNumber(1.23456e-12), "1.235e-12");
    });
  });
});
