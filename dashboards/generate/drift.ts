/**
 * Data drift per monitor and feature: the dataset verdict, which features drifted and when, and
 * the p-values and statistics behind each verdict.
 */
import * as common from "@grafana/grafana-foundation-sdk/common";
import { MappingType, RowBuilder, type ValueMapping } from "@grafana/grafana-foundation-sdk/dashboard";
import * as units from "@grafana/grafana-foundation-sdk/units";
import {
  columns,
  dashboard,
  dashed,
  flagMappings,
  labelVariable,
  prom,
  promTable,
  stat,
  stateTimeline,
  table,
  thresholdLines,
  thresholds,
  timeseries,
} from "./builders.js";

const monitors = 'monitor=~"$monitor"';
const features = `${monitors},feature=~"$feature"`;
const verdict = flagMappings({ text: "no drift", color: "green" }, { text: "drift", color: "red" });
/** Series of segmented monitors' segments (`segment_by`); the pooled window's carry no `segment`. */
const segments = `${monitors},segment!=""`;
/** The drift scope of a segmented monitor's last window as one number: 0 none, 1 confined, 2 global. */
const scope = `max by (monitor) (driftwatch_drift_scope{${monitors},scope="confined"}) + 2 * max by (monitor) (driftwatch_drift_scope{${monitors},scope="global"})`;
const scopeMappings: ValueMapping[] = [
  {
    type: MappingType.ValueToText,
    options: {
      "0": { text: "none", color: "green", index: 0 },
      "1": { text: "confined", color: "orange", index: 1 },
      "2": { text: "global", color: "red", index: 2 },
    },
  },
];

/**
 * The drift dashboard: dataset verdicts, per-feature verdict timelines, p-values and statistics,
 * and for segmented monitors the verdict of each segment and where the drift is.
 */
export function driftDashboard() {
  return dashboard(
    "driftwatch-drift",
    "driftwatch / Drift",
    "Data drift per monitor and feature: verdicts, p-values and test statistics of each evaluated window.",
  )
    .withVariable(labelVariable("monitor", "Monitor", "driftwatch_dataset_drift"))
    .withVariable(labelVariable("feature", "Feature", `driftwatch_drift_detected{${monitors}}`))

    .withRow(new RowBuilder("Dataset"))
    .withPanel(
      stat(
        "Dataset drift",
        "Verdict of the last evaluated window: drift when the share of drifted features reached the monitor's drift_share.",
      )
        .withTarget(prom(`driftwatch_dataset_drift{${monitors}}`, "{{monitor}}"))
        .mappings(verdict)
        .thresholds(thresholds("green", [1, "red"]))
        .span(6)
        .height(4),
    )
    .withPanel(
      stat("Drifted features", "Share of the monitor's features that drifted in the last evaluated window.")
        .withTarget(prom(`driftwatch_drifted_features_share{${monitors}}`, "{{monitor}}"))
        .unit(units.PercentUnit)
        .decimals(0)
        .thresholds(thresholds("green", [0.25, "orange"], [0.5, "red"]))
        .span(6)
        .height(4),
    )
    .withPanel(
      stat(
        "Events in last window",
        "Events in the last evaluated window; small windows give tests little power.",
      )
        .withTarget(prom(`driftwatch_window_events{${monitors}}`, "{{monitor}}"))
        .unit(units.Short)
        .thresholds(thresholds("blue"))
        .span(6)
        .height(4),
    )
    .withPanel(
      stat(
        "Reference size",
        "Rows or events in the reference the windows are compared with; grows while a `first` reference is being collected.",
      )
        .withTarget(prom(`driftwatch_reference_events{${monitors}}`, "{{monitor}}"))
        .unit(units.Short)
        .thresholds(thresholds("blue"))
        .span(6)
        .height(4),
    )
    .withPanel(
      stateTimeline("Dataset drift verdicts", "Dataset drift verdict of each evaluated window, per monitor.")
        .withTarget(prom(`driftwatch_dataset_drift{${monitors}}`, "{{monitor}}"))
        .mappings(verdict)
        .thresholds(thresholds("green", [1, "red"]))
        .span(12)
        .height(7),
    )
    .withPanel(
      timeseries(
        "Drifted features share",
        "Share of features that drifted per window; the dashed line is the default drift_share (0.5).",
      )
        .withTarget(prom(`driftwatch_drifted_features_share{${monitors}}`, "{{monitor}}"))
        .unit(units.PercentUnit)
        .min(0)
        .max(1)
        .thresholds(thresholds("green", [0.5, "red"]))
        .thresholdsStyle(thresholdLines())
        .span(12)
        .height(7),
    )

    .withRow(new RowBuilder("Features"))
    .withPanel(
      stateTimeline(
        "Feature drift verdicts",
        "Per feature, whether it drifted in each evaluated window (p-value below alpha, or distance above threshold, after the configured correction).",
      )
        .withTarget(prom(`driftwatch_drift_detected{${features}}`, "{{monitor}} / {{feature}}"))
        .mappings(verdict)
        .thresholds(thresholds("green", [1, "red"]))
        .span(24)
        .height(10),
    )
    .withPanel(
      timeseries(
        "p-values",
        "p-value of each feature's test after the configured correction (log scale), and the alpha it is compared with (dashed): the monitor's alpha, or each feature's own drawn from its reference (`thresholds`). Below its alpha the feature drifted. Values under 1e-10 are drawn at 1e-10 so the log scale keeps them. Distance tests (psi, wasserstein, jensenshannon, hellinger) have no p-value.",
      )
        .withTarget(
          prom(
            `clamp_min(driftwatch_drift_p_value{${features}}, 1e-10)`,
            "{{monitor}} / {{feature}} ({{test}})",
          ),
        )
        .withTarget(prom(`driftwatch_drift_alpha{${features}}`, "alpha: {{monitor}} / {{feature}}"))
        .overrideByRegexp("^alpha: .*", dashed)
        .unit(units.NoUnit)
        .scaleDistribution(
          new common.ScaleDistributionConfigBuilder().type(common.ScaleDistribution.Log).log(10),
        )
        .max(1)
        .thresholds(thresholds("red", [0.05, "green"]))
        .thresholdsStyle(thresholdLines())
        .span(12)
        .height(9),
    )
    .withPanel(
      timeseries(
        "Test statistics",
        "Statistic of each feature's test in the last window. Scales differ by test: ks and jensenshannon lie in [0, 1], psi and wasserstein are unbounded. Distance tests drift above their threshold (dashed): the monitor's (default 0.1), or each feature's own drawn from its reference (`thresholds`).",
      )
        .withTarget(prom(`driftwatch_drift_statistic{${features}}`, "{{monitor}} / {{feature}} ({{test}})"))
        .withTarget(prom(`driftwatch_drift_threshold{${features}}`, "threshold: {{monitor}} / {{feature}}"))
        .overrideByRegexp("^threshold: .*", dashed)
        .unit(units.NoUnit)
        .min(0)
        .span(12)
        .height(9),
    )
    .withPanel(
      table(
        "Last window per feature",
        "The last evaluated window of each feature: verdict, p-value (empty for distance tests), statistic, share of events missing the feature, and the alpha its p-value was compared with (drawn from the reference with `thresholds`).",
      )
        .withTarget(promTable(`max by (monitor, feature) (driftwatch_drift_detected{${features}})`))
        .withTarget(promTable(`max by (monitor, feature) (driftwatch_drift_p_value{${features}})`))
        .withTarget(promTable(`max by (monitor, feature) (driftwatch_drift_statistic{${features}})`))
        .withTarget(promTable(`max by (monitor, feature) (driftwatch_missing_ratio{${features}})`))
        .withTarget(promTable(`max by (monitor, feature) (driftwatch_drift_alpha{${features}})`))
        .transformations(
          columns({
            "Value #A": "drift",
            "Value #B": "p-value",
            "Value #C": "statistic",
            "Value #D": "missing",
            "Value #E": "alpha",
          }),
        )
        .overrideByName("drift", [
          { id: "mappings", value: verdict },
          { id: "custom.cellOptions", value: { type: "color-background" } },
          { id: "thresholds", value: thresholds("green", [1, "red"]).build() },
        ])
        .overrideByName("p-value", [{ id: "decimals", value: 4 }])
        .overrideByName("alpha", [{ id: "decimals", value: 4 }])
        .overrideByName("statistic", [{ id: "decimals", value: 4 }])
        .overrideByName("missing", [{ id: "unit", value: units.PercentUnit }])
        .span(24)
        .height(10),
    )

    .withRow(new RowBuilder("Segments"))
    .withPanel(
      stateTimeline(
        "Drift per segment",
        "Segmented monitors (segment_by): whether each segment's data drifted in each window (its share of drifted features reached drift_share), against the segment's own reference. __other__ pools the values past max_segments.",
      )
        .withTarget(prom(`driftwatch_dataset_drift{${segments}}`, "{{monitor}} / {{segment}}"))
        .mappings(verdict)
        .thresholds(thresholds("green", [1, "red"]))
        .span(16)
        .height(10),
    )
    .withPanel(
      stateTimeline(
        "Drift scope",
        "Where a segmented monitor's last window drifted: none; confined to some segments; global (the pooled data drifted, or more than half of the segments did).",
      )
        .withTarget(prom(scope, "{{monitor}}"))
        .mappings(scopeMappings)
        .thresholds(thresholds("green", [1, "orange"], [2, "red"]))
        .span(8)
        .height(5),
    )
    .withPanel(
      timeseries(
        "Events pooled in __other__",
        "Events per second a segmented monitor pooled in __other__ because their value has no segment of its own (past max_segments, or absent from a per-segment reference), and the values with a segment of their own.",
      )
        .withTarget(
          prom(
            `sum by (monitor) (rate(driftwatch_segments_overflow_total{${monitors}}[$__rate_interval]))`,
            "{{monitor}} pooled",
          ),
        )
        .withTarget(prom(`driftwatch_segments{${monitors}}`, "{{monitor}} segments"))
        .unit(units.Short)
        .min(0)
        .span(8)
        .height(5),
    )
    .withPanel(
      table(
        "Last window per segment",
        "Each segment's last evaluated window: verdict, share of drifted features, and events.",
      )
        .withTarget(promTable(`max by (monitor, segment) (driftwatch_dataset_drift{${segments}})`))
        .withTarget(promTable(`max by (monitor, segment) (driftwatch_drifted_features_share{${segments}})`))
        .withTarget(promTable(`max by (monitor, segment) (driftwatch_window_events{${segments}})`))
        .transformations(
          columns({ "Value #A": "drift", "Value #B": "drifted features", "Value #C": "events" }),
        )
        .overrideByName("drift", [
          { id: "mappings", value: verdict },
          { id: "custom.cellOptions", value: { type: "color-background" } },
          { id: "thresholds", value: thresholds("green", [1, "red"]).build() },
        ])
        .overrideByName("drifted features", [{ id: "unit", value: units.PercentUnit }])
        .span(24)
        .height(8),
    );
}
