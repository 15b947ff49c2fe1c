/**
 * Outliers per monitor and scorer: the share of outliers per window, the score distribution
 * against the threshold in use, and how many events cross it.
 */
import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { PromQueryFormat } from "@grafana/grafana-foundation-sdk/prometheus";
import * as units from "@grafana/grafana-foundation-sdk/units";
import {
  columns,
  dashboard,
  dashed,
  heatmap,
  labelVariable,
  prom,
  promTable,
  stat,
  table,
  thresholdLines,
  thresholds,
  timeseries,
} from "./builders.js";

const monitors = 'monitor=~"$monitor"';
const scorers = `${monitors},scorer=~"$scorer"`;

/** The outliers dashboard: outlier ratios, score quantiles against thresholds, score heatmap. */
export function outliersDashboard() {
  return dashboard(
    "driftwatch-outliers",
    "driftwatch / Outliers",
    "Outlier ratio per window, score distribution and thresholds, per monitor and scorer.",
  )
    .withVariable(labelVariable("monitor", "Monitor", "driftwatch_outlier_ratio"))
    .withVariable(labelVariable("scorer", "Scorer", `driftwatch_outlier_ratio{${monitors}}`))

    .withRow(new RowBuilder("Outliers"))
    .withPanel(
      stat(
        "Outlier ratio",
        "Share of the last closed window's events above the scorer's threshold. With the default threshold, the reference's own 99th percentile, about 1 % is expected.",
      )
        .withTarget(prom(`driftwatch_outlier_ratio{${scorers}}`, "{{monitor}} {{scorer}}"))
        .unit(units.PercentUnit)
        .decimals(2)
        .thresholds(thresholds("green", [0.02, "orange"], [0.05, "red"]))
        .span(8)
        .height(8),
    )
    .withPanel(
      timeseries(
        "Outlier ratio per window",
        "Share of outliers in each closed window; the dashed line marks the 1 % expected with the default threshold.",
      )
        .withTarget(prom(`driftwatch_outlier_ratio{${scorers}}`, "{{monitor}} {{scorer}}"))
        .unit(units.PercentUnit)
        .min(0)
        .thresholds(thresholds("green", [0.01, "orange"]))
        .thresholdsStyle(thresholdLines())
        .span(16)
        .height(8),
    )
    .withPanel(
      timeseries("Outlier events", "Events scored above the threshold, per second.")
        .withTarget(
          prom(
            `sum by (monitor, scorer) (rate(driftwatch_outlier_events_total{${scorers}}[$__rate_interval]))`,
            "{{monitor}} {{scorer}}",
          ),
        )
        .unit(units.EventsPerSecond)
        .min(0)
        .span(12)
        .height(8),
    )
    .withPanel(
      timeseries("Scored events", "Events scored per second, per scorer.")
        .withTarget(
          prom(
            `sum by (monitor, scorer) (rate(driftwatch_outlier_score_count{${scorers}}[$__rate_interval]))`,
            "{{monitor}} {{scorer}}",
          ),
        )
        .unit(units.EventsPerSecond)
        .min(0)
        .span(12)
        .height(8),
    )

    .withRow(new RowBuilder("Scores"))
    .withPanel(
      timeseries(
        "Scores against the threshold",
        "Median and 99th percentile of the event scores (from the histogram buckets, so approximate) and the threshold in use (dashed). Scales differ by scorer: robust_z and mahalanobis in sigmas, iqr in IQRs, isolation_forest in (0, 1].",
      )
        .withTarget(
          prom(
            `histogram_quantile(0.5, sum by (le, monitor, scorer) (rate(driftwatch_outlier_score_bucket{${scorers}}[$__rate_interval])))`,
            "{{monitor}} {{scorer}} p50",
          ),
        )
        .withTarget(
          prom(
            `histogram_quantile(0.99, sum by (le, monitor, scorer) (rate(driftwatch_outlier_score_bucket{${scorers}}[$__rate_interval])))`,
            "{{monitor}} {{scorer}} p99",
          ),
        )
        .withTarget(prom(`driftwatch_outlier_threshold{${scorers}}`, "{{monitor}} {{scorer}} threshold"))
        .overrideByQuery("C", dashed)
        .unit(units.NoUnit)
        .min(0)
        .span(12)
        .height(9),
    )
    .withPanel(
      heatmap(
        "Score distribution",
        "Events per score bucket and interval, over the scorers selected; select one scorer, as their scales differ.",
      )
        .withTarget(
          prom(
            `sum by (le) (increase(driftwatch_outlier_score_bucket{${scorers}}[$__rate_interval]))`,
            "{{le}}",
          ).format(PromQueryFormat.Heatmap),
        )
        .span(12)
        .height(9),
    )
    .withPanel(
      table(
        "Thresholds in use",
        "The score above which an event is an outlier: a percentile of the reference's scores, or the configured value.",
      )
        .withTarget(promTable(`driftwatch_outlier_threshold{${scorers}}`))
        .transformations(columns({ Value: "threshold" }, ["__name__", "instance", "job"]))
        .decimals(4)
        .span(24)
        .height(6),
    );
}
