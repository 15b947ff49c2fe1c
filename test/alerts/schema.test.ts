import assert from "node:assert/strict";
import { Ajv } from "ajv";
import {
  alertingSchema,
  alertRuleSchemas,
  alertsSchemaOf,
  anyAlertsSchema,
} from "../../src/alerts/schema.js";
import type { AlertRuleConfig } from "../../src/alerts/types.js";
import { checksAlertRules } from "../../src/checks/rules.js";
import { driftAlertRules } from "../../src/drift/rules.js";
import { monitorKinds } from "../../src/monitors/registry.js";
import { outlierAlertRules } from "../../src/outliers/rules.js";
import { performanceAlertRules } from "../../src/performance/rules.js";

function compile(schema: object) {
  // The options the config loader compiles the main schema with.
  return new Ajv({ allErrors: true, discriminator: true, strict: false }).compile(schema);
}

const examples: AlertRuleConfig[] = [
  { type: "feature_drift", consecutive_windows: 3, features: ["amount"], for_secs: 600 },
  { type: "dataset_drift", consecutive_windows: 2, severity: "critical" },
  { type: "performance_below", metric: "accuracy", slice: "eu", scope: "window", below: 0.8, min_pairs: 200 },
  { type: "concept_drift", detectors: ["adwin"], labels: { team: "ml" } },
  { type: "estimated_performance", metrics: ["roc_auc", "accuracy"], for_secs: 60 },
  {
    type: "outlier_ratio_above",
    scorer: "isolation_forest",
    above: 0.05,
    annotations: { runbook_url: "https://r" },
  },
  {
    type: "expectation_failed",
    expectations: ["expect_column_values_to_be_between"],
    include_warn: true,
    consecutive_windows: 2,
  },
  { type: "multivariate_drift", consecutive_windows: 2 },
  { type: "online_drift", severity: "critical" },
  { type: "source_silent", source: "orders", silent_secs: 900, name: "OrdersSilent" },
];

describe("alerts/schema", () => {
  it("accepts one example of every rule type", () => {
    const validate = compile(anyAlertsSchema(Object.values(monitorKinds)));
    assert.ok(validate(examples), JSON.stringify(validate.errors));
    assert.deepEqual(
      Object.keys(alertRuleSchemas(Object.values(monitorKinds))).sort(),
      examples.map((e) => e.type).sort(),
    );
  });

  it("rejects unknown keys, missing bounds and unknown types, reporting each", () => {
    const validate = compile(anyAlertsSchema(Object.values(monitorKinds)));
    assert.equal(
      validate([
        { type: "feature_drift", consecutive_window: 3 },
        { type: "performance_below", metric: "accuracy" },
        { type: "drift_everywhere" },
        { type: "outlier_ratio_above", above: 2 },
        { type: "source_silent", source: "s", silent_secs: 60, labels: { "bad-name": "x" } },
      ]),
      false,
    );
    const paths = new Set((validate.errors ?? []).map((e) => e.instancePath));
    for (const p of ["/0", "/1", "/2", "/3/above", "/4/labels"]) assert.ok(paths.has(p), `no error at ${p}`);
  });

  it("accepts under each monitor type only the rules that apply to it", () => {
    const drift = compile(alertsSchemaOf(driftAlertRules));
    assert.ok(drift([{ type: "feature_drift" }, { type: "source_silent", source: "s", silent_secs: 1 }]));
    assert.equal(drift([{ type: "outlier_ratio_above", above: 0.1 }]), false);
    const performance = compile(alertsSchemaOf(performanceAlertRules));
    assert.ok(performance([{ type: "concept_drift" }]));
    assert.equal(performance([{ type: "dataset_drift" }]), false);
    const outliers = compile(alertsSchemaOf(outlierAlertRules));
    assert.ok(outliers([{ type: "outlier_ratio_above", above: 0.1 }]));
    const checks = compile(alertsSchemaOf(checksAlertRules));
    assert.ok(
      checks([{ type: "expectation_failed" }, { type: "source_silent", source: "s", silent_secs: 1 }]),
    );
    assert.equal(checks([{ type: "feature_drift" }]), false);
    assert.equal(drift([{ type: "expectation_failed" }]), false);
  });

  it("describes every property", () => {
    for (const [type, schema] of Object.entries(alertRuleSchemas(Object.values(monitorKinds)))) {
      const properties = (schema as { properties: Record<string, { description?: string }> }).properties;
      for (const [key, property] of Object.entries(properties))
        assert.ok(property.description, `${type}.${key} has no description`);
    }
    for (const [key, property] of Object.entries(alertingSchema.properties))
      assert.ok(property.description, `alerting.${key} has no description`);
  });

  it("validates the top-level alerting settings", () => {
    const validate = compile(alertingSchema);
    assert.ok(
      validate({
        repeat_interval_secs: 60,
        resolve_timeout_secs: 300,
        generator_url: "https://g/{{ monitor }}",
      }),
    );
    assert.equal(validate({ repeat_interval: 60 }), false);
  });
});
