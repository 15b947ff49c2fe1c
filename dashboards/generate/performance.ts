/**
 * Model performance and concept drift: each model metric with its confidence interval per slice,
 * the prediction-label join that feeds them, and the concept-drift detectors on the error stream.
 */
import * as common from "@grafana/grafana-foundation-sdk/common";
import { CustomVariableBuilder, RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import * as units from "@grafana/grafana-foundation-sdk/units";
import {
  columns,
  dashboard,
  flagMappings,
  labelVariable,
  prom,
  promTable,
  stat,
  stateTimeline,
  table,
  thresholds,
  timeseries,
} from "./builders.js";

const monitors = 'monitor=~"$monitor"';
const slices = `${monitors},slice=~"$slice",scope="$scope"`;
const metrics = `${slices},metric=~"$metric"`;
const intervalBound = [
  { id: "custom.lineStyle", value: { fill: "dash", dash: [4, 4] } },
  { id: "custom.fillOpacity", value: 0 },
];

/** The performance dashboard: model metrics with intervals, the label join, concept drift. */
export function performanceDashboard() {
  return dashboard(
    "driftwatch-performance",
    "driftwatch / Model performance",
    "Model quality per monitor and slice with confidence intervals, the prediction-label join, and concept drift.",
  )
    .withVariable(labelVariable("monitor", "Monitor", "driftwatch_performance_pairs"))
    .withVariable(labelVariable("slice", "Slice", `driftwatch_performance_pairs{${monitors}}`))
    .withVariable(labelVariable("metric", "Metric", `driftwatch_performance{${monitors}}`))
    .withVariable(
      new CustomVariableBuilder("scope")
        .label("Scope")
        .description(
          "window: the last window's pairs; cumulative: every pair since the monitor's state began; estimated: the last window of predictions, estimated before its labels (CBPE).",
        )
        .values("window,cumulative,estimated")
        .current({ selected: true, text: "window", value: "window" })
        .options([
          { selected: true, text: "window", value: "window" },
          { selected: false, text: "cumulative", value: "cumulative" },
          { selected: false, text: "estimated", value: "estimated" },
        ]),
    )

    .withRow(new RowBuilder("Model quality"))
    .withPanel(
      timeseries(
        "$metric",
        "The model metric per monitor and slice for the chosen scope, with its confidence interval as dashed lines (Wilson, delta method, DeLong, a DeLong bound for one-vs-rest ROC AUC, a seeded bootstrap for the calibration error; ± 3 sampling errors for the estimated scope; 95 % unless the monitor's level says otherwise). One panel per metric.",
      )
        .withTarget(prom(`driftwatch_performance{${metrics}}`, "{{monitor}} {{slice}}"))
        .withTarget(prom(`driftwatch_performance_lower{${metrics}}`, "{{monitor}} {{slice}} lower"))
        .withTarget(prom(`driftwatch_performance_upper{${metrics}}`, "{{monitor}} {{slice}} upper"))
        .overrideByQuery("B", intervalBound)
        .overrideByQuery("C", intervalBound)
        .unit(units.NoUnit)
        .decimals(3)
        .repeat("metric")
        .repeatDirection("h")
        .maxPerRow(3)
        // Full width, so the panels after it start on the next line whatever the repeat gives.
        .span(24)
        .height(8),
    )
    .withPanel(
      table(
        "Last values",
        "Every metric of the chosen scope now, with the bounds of its confidence interval.",
      )
        // Aggregated to the labels the three share, so their results merge into one row each.
        .withTarget(promTable(`max by (monitor, metric, slice) (driftwatch_performance{${metrics}})`))
        .withTarget(promTable(`max by (monitor, metric, slice) (driftwatch_performance_lower{${metrics}})`))
        .withTarget(promTable(`max by (monitor, metric, slice) (driftwatch_performance_upper{${metrics}})`))
        .transformations(columns({ "Value #A": "value", "Value #B": "lower", "Value #C": "upper" }))
        .decimals(4)
        .span(16)
        .height(9),
    )
    .withPanel(
      timeseries(
        "Joined pairs",
        "Prediction-label pairs behind the metrics of each slice; intervals are wide while this is small.",
      )
        .withTarget(prom(`driftwatch_performance_pairs{${slices}}`, "{{monitor}} {{slice}}"))
        .unit(units.Short)
        .min(0)
        .span(8)
        .height(9),
    )

    .withRow(new RowBuilder("Before the labels arrive"))
    .withPanel(
      timeseries(
        "Estimated $metric against realized",
        "With `estimation`, each window of predictions is estimated from the model's calibrated probabilities before its labels come (CBPE, NannyML's method), with its confidence band (± 3 sampling errors, dashed) and the reference's alert thresholds (dotted); the realized metric of the last window of joined pairs is drawn with it, once labels arrive.",
      )
        .withTarget(
          prom(
            `driftwatch_performance{${monitors},slice="all",scope="estimated",metric=~"$metric"}`,
            "{{monitor}} estimated",
          ),
        )
        .withTarget(
          prom(
            `driftwatch_performance{${monitors},slice="all",scope="window",metric=~"$metric"}`,
            "{{monitor}} realized",
          ),
        )
        .withTarget(
          prom(
            `driftwatch_performance_lower{${monitors},slice="all",scope="estimated",metric=~"$metric"}`,
            "{{monitor}} estimated lower",
          ),
        )
        .withTarget(
          prom(
            `driftwatch_performance_upper{${monitors},slice="all",scope="estimated",metric=~"$metric"}`,
            "{{monitor}} estimated upper",
          ),
        )
        .withTarget(
          prom(
            `driftwatch_performance_threshold{${monitors},metric=~"$metric"}`,
            "{{monitor}} threshold {{bound}}",
          ),
        )
        .overrideByQuery("C", intervalBound)
        .overrideByQuery("D", intervalBound)
        .overrideByQuery("E", [
          { id: "custom.lineStyle", value: { fill: "dot" } },
          { id: "custom.fillOpacity", value: 0 },
        ])
        .unit(units.NoUnit)
        .decimals(3)
        .span(16)
        .height(9),
    )
    .withPanel(
      timeseries(
        "Estimation error",
        "Estimated minus realized, for the last estimated window whose labels have all come: how far the estimates were off on this model and data.",
      )
        .withTarget(
          prom(
            `driftwatch_performance_estimation_error{${monitors},metric=~"$metric"}`,
            "{{monitor}} {{metric}}",
          ),
        )
        .unit(units.NoUnit)
        .decimals(3)
        .span(8)
        .height(9),
    )
    .withPanel(
      stateTimeline(
        "Estimates outside their thresholds",
        "When an estimated metric left the thresholds its estimation's reference set (the estimated_performance alert rule fires on the same).",
      )
        .withTarget(prom(`driftwatch_performance_estimate_alert{${monitors}}`, "{{monitor}} {{metric}}"))
        .mappings(flagMappings({ text: "within", color: "green" }, { text: "outside", color: "red" }))
        .thresholds(thresholds("green", [1, "red"]))
        .span(24)
        .height(6),
    )

    .withRow(new RowBuilder("Label join"))
    .withPanel(
      timeseries(
        "Waiting in the join",
        "Predictions waiting for their label and labels waiting for their prediction; each waits at most ttl_secs and max_pending entries.",
      )
        .withTarget(prom(`driftwatch_join_pending{${monitors}}`, "{{monitor}} {{side}}"))
        .unit(units.Short)
        .min(0)
        .span(9)
        .height(8),
    )
    .withPanel(
      timeseries(
        "Join outcomes",
        "Join outcomes since the monitor's state began (kept across restarts): matched, expired_predictions, orphan_labels, evicted_predictions, evicted_labels, duplicates.",
      )
        .withTarget(prom(`driftwatch_join_events{${monitors}}`, "{{monitor}} {{outcome}}"))
        .unit(units.Short)
        .min(0)
        .span(9)
        .height(8),
    )
    .withPanel(
      stat(
        "Predictions labelled",
        "Share of predictions that met their label, of those matched, expired or evicted; the rest never count toward the metrics.",
      )
        .withTarget(
          prom(
            `sum by (monitor) (driftwatch_join_events{${monitors},outcome="matched"}) / sum by (monitor) (driftwatch_join_events{${monitors},outcome=~"matched|expired_predictions|evicted_predictions"})`,
            "{{monitor}}",
          ),
        )
        .unit(units.PercentUnit)
        .decimals(1)
        .thresholds(thresholds("red", [0.5, "orange"], [0.9, "green"]))
        .span(6)
        .height(8),
    )

    .withRow(new RowBuilder("Concept drift"))
    .withPanel(
      timeseries(
        "Detector estimates",
        "Each concept-drift detector's estimate on the error stream: the error rate for classification, the mean absolute error for regression.",
      )
        .withTarget(prom(`driftwatch_concept_drift_estimate{${monitors}}`, "{{monitor}} {{detector}}"))
        .unit(units.NoUnit)
        .decimals(3)
        .span(12)
        .height(8),
    )
    .withPanel(
      stateTimeline("Warning zone", "When each detector was in its warning zone, the step before a drift.")
        .withTarget(prom(`driftwatch_concept_drift_warning{${monitors}}`, "{{monitor}} {{detector}}"))
        .mappings(flagMappings({ text: "ok", color: "green" }, { text: "warning", color: "orange" }))
        .thresholds(thresholds("green", [1, "orange"]))
        .span(12)
        .height(8),
    )
    .withPanel(
      timeseries("Concept drifts", "Drifts each detector found on the error stream, per interval.")
        .withTarget(
          prom(
            `sum by (monitor, detector) (increase(driftwatch_concept_drift_total{${monitors}}[$__rate_interval]))`,
            "{{monitor}} {{detector}}",
          ),
        )
        .drawStyle(common.GraphDrawStyle.Bars)
        .fillOpacity(80)
        .unit(units.Short)
        .min(0)
        .span(16)
        .height(7),
    )
    .withPanel(
      stat("Drifts in range", "Concept drifts found over the time range, per monitor and detector.")
        .withTarget(
          prom(
            `sum by (monitor, detector) (increase(driftwatch_concept_drift_total{${monitors}}[$__range]))`,
            "{{monitor}} {{detector}}",
          ),
        )
        .unit(units.Short)
        .decimals(0)
        .thresholds(thresholds("green", [1, "red"]))
        .span(8)
        .height(7),
    );
}
