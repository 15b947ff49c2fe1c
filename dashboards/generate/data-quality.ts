/**
 * Data quality: expectation results per suite, events rejected before the monitors, and the
 * missing, wrongly typed and unseen values the monitors see per feature.
 *
 * The expectation panels query what checks monitors export:
 * `driftwatch_expectation_success{monitor,suite,expectation,feature}` (1 when the expectation held
 * on its last evaluation), `driftwatch_expectation_unexpected_total` and
 * `driftwatch_expectation_observed_value` (aggregates: a mean, a row count, a lag).
 */
import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
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

const suites = 'suite=~"$suite"';
const sources = 'source=~"$source"';
const monitors = 'monitor=~"$monitor"';
const features = `${monitors},feature=~"$feature"`;
const noExpectations = "no expectation results";

/** The data-quality dashboard: expectations, invalid events, missing and unseen values. */
export function dataQualityDashboard() {
  return dashboard(
    "driftwatch-data-quality",
    "driftwatch / Data quality",
    "Expectation results, events rejected before the monitors, and missing or unseen feature values.",
  )
    .withVariable(labelVariable("suite", "Suite", "driftwatch_expectation_success"))
    .withVariable(labelVariable("source", "Source", "driftwatch_events_total"))
    .withVariable(labelVariable("monitor", "Monitor", "driftwatch_missing_ratio"))
    .withVariable(labelVariable("feature", "Feature", `driftwatch_missing_ratio{${monitors}}`))

    .withRow(new RowBuilder("Expectations"))
    .withPanel(
      stat(
        "Failing expectations",
        "Expectations whose last evaluation failed. 0 when all hold; no data without a checks monitor.",
      )
        // `count(... == 0)` is empty when nothing fails; adding 0 × the sum turns that into 0
        // while the metric exists, and leaves "no data" when it does not.
        .withTarget(
          prom(
            `count(driftwatch_expectation_success{${suites}} == 0) or (sum(driftwatch_expectation_success{${suites}}) * 0)`,
            "failing",
          ),
        )
        .thresholds(thresholds("green", [1, "red"]))
        .noValue(noExpectations)
        .span(6)
        .height(5),
    )
    .withPanel(
      stat("Expectations passing", "Share of expectations that held on their last evaluation, per suite.")
        .withTarget(prom(`avg by (suite) (driftwatch_expectation_success{${suites}})`, "{{suite}}"))
        .unit(units.PercentUnit)
        .decimals(1)
        .min(0)
        .max(1)
        .thresholds(thresholds("red", [0.95, "orange"], [1, "green"]))
        .noValue(noExpectations)
        .span(6)
        .height(5),
    )
    .withPanel(
      timeseries(
        "Unexpected values",
        "Values that broke an expectation, per second, by suite, expectation and feature.",
      )
        .withTarget(
          prom(
            `sum by (suite, expectation, feature) (rate(driftwatch_expectation_unexpected_total{${suites}}[$__rate_interval]))`,
            "{{suite}} {{expectation}} {{feature}}",
          ),
        )
        .unit(units.CountsPerSecond)
        .min(0)
        .noValue(noExpectations)
        .span(12)
        .height(5),
    )
    .withPanel(
      stateTimeline("Expectation results", "Whether each expectation held, evaluation by evaluation.")
        .withTarget(
          prom(`driftwatch_expectation_success{${suites}}`, "{{suite}} / {{expectation}} {{feature}}"),
        )
        .mappings(flagMappings({ text: "failed", color: "red" }, { text: "passed", color: "green" }))
        .thresholds(thresholds("red", [1, "green"]))
        .noValue(noExpectations)
        .span(14)
        .height(9),
    )
    .withPanel(
      table("Failing now", "Expectations whose last evaluation failed, by suite, expectation and feature.")
        .withTarget(promTable(`driftwatch_expectation_success{${suites}} == 0`))
        .transformations(columns({}, ["Value", "__name__", "instance", "job"]))
        .noValue("none failing")
        .span(10)
        .height(9),
    )
    .withPanel(
      timeseries(
        "Observed values",
        "What aggregate, table and stream expectations measured in each window (a mean, a row count, an event-time lag), by suite, expectation and feature.",
      )
        .withTarget(
          prom(`driftwatch_expectation_observed_value{${suites}}`, "{{suite}} {{expectation}} {{feature}}"),
        )
        .noValue(noExpectations)
        .span(24)
        .height(7),
    )

    .withRow(new RowBuilder("Rejected events"))
    .withPanel(
      timeseries(
        "Invalid events by reason",
        "Events rejected before the monitors, per second: malformed_json, malformed_csv, not_an_object or schema (the event failed its JSON schema).",
      )
        .withTarget(
          prom(
            `sum by (source, reason) (rate(driftwatch_events_invalid_total{${sources}}[$__rate_interval]))`,
            "{{source}} {{reason}}",
          ),
        )
        .unit(units.EventsPerSecond)
        .min(0)
        .span(9)
        .height(8),
    )
    .withPanel(
      stat("Invalid share", "Share of the events read over the time range that were rejected, per source.")
        .withTarget(
          prom(
            `sum by (source) (increase(driftwatch_events_total{${sources},outcome="invalid"}[$__range])) / sum by (source) (increase(driftwatch_events_total{${sources}}[$__range]))`,
            "{{source}}",
          ),
        )
        .unit(units.PercentUnit)
        .decimals(2)
        .thresholds(thresholds("green", [0.01, "orange"], [0.05, "red"]))
        .span(6)
        .height(8),
    )
    .withPanel(
      timeseries(
        "Dead letters",
        "Rejected events written to the dead-letter destination per second; `failed` writes are retried.",
      )
        .withTarget(
          prom(
            `sum by (source, outcome) (rate(driftwatch_dead_letter_total{${sources}}[$__rate_interval]))`,
            "{{source}} {{outcome}}",
          ),
        )
        .unit(units.EventsPerSecond)
        .min(0)
        .span(9)
        .height(8),
    )
    .withPanel(
      timeseries(
        "Missing features",
        "Valid events without a feature (absent or null), per second, by source and feature.",
      )
        .withTarget(
          prom(
            `sum by (source, feature) (rate(driftwatch_feature_missing_total{${sources}}[$__rate_interval]))`,
            "{{source}} {{feature}}",
          ),
        )
        .unit(units.EventsPerSecond)
        .min(0)
        .span(12)
        .height(8),
    )
    .withPanel(
      timeseries(
        "Wrongly typed features",
        "Valid events whose feature had a value of the wrong type (e.g. text for a numeric feature), per second.",
      )
        .withTarget(
          prom(
            `sum by (source, feature) (rate(driftwatch_feature_invalid_total{${sources}}[$__rate_interval]))`,
            "{{source}} {{feature}}",
          ),
        )
        .unit(units.EventsPerSecond)
        .min(0)
        .span(12)
        .height(8),
    )

    .withRow(new RowBuilder("Per window"))
    .withPanel(
      timeseries(
        "Missing ratio",
        "Share of each window's events in which the feature was missing or invalid, per drift monitor.",
      )
        .withTarget(prom(`driftwatch_missing_ratio{${features}}`, "{{monitor}} / {{feature}}"))
        .unit(units.PercentUnit)
        .min(0)
        .thresholds(thresholds("green", [0.05, "orange"], [0.2, "red"]))
        .span(9)
        .height(8),
    )
    .withPanel(
      timeseries(
        "Unseen categories",
        "Share of each window's values of a categorical feature whose category the reference never had.",
      )
        .withTarget(prom(`driftwatch_unseen_category_ratio{${features}}`, "{{monitor}} / {{feature}}"))
        .unit(units.PercentUnit)
        .min(0)
        .span(9)
        .height(8),
    )
    .withPanel(
      stat(
        "Late events",
        "Events that arrived after their time window had closed, over the time range; they are counted, not added.",
      )
        .withTarget(
          prom(
            `sum by (monitor) (increase(driftwatch_window_late_events_total{${monitors}}[$__range]))`,
            "{{monitor}}",
          ),
        )
        .unit(units.Short)
        .decimals(0)
        .thresholds(thresholds("green", [1, "orange"]))
        .span(6)
        .height(8),
    );
}
