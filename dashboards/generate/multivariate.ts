/**
 * Multivariate drift per monitor: whether the features taken together (an embedding, a feature
 * set) drifted in each window, the test's statistic and p-value against what it is compared with,
 * and how many rows the test ran on.
 */
import * as common from "@grafana/grafana-foundation-sdk/common";
import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import * as units from "@grafana/grafana-foundation-sdk/units";
import {
  dashboard,
  flagMappings,
  labelVariable,
  prom,
  stateTimeline,
  thresholdLines,
  thresholds,
  timeseries,
} from "./builders.js";

const monitors = 'monitor=~"$monitor"';
const verdict = flagMappings({ text: "no drift", color: "green" }, { text: "drift", color: "red" });

/** The multivariate drift dashboard. */
export function multivariateDashboard() {
  return dashboard(
    "driftwatch-multivariate",
    "driftwatch / Multivariate drift",
    "Drift of embeddings and feature sets: the verdict of each window's multivariate test (MMD, KS after a reduction, PCA reconstruction error, a domain classifier), its statistic and p-value, and the rows it ran on.",
  )
    .withVariable(labelVariable("monitor", "Monitor", "driftwatch_multivariate_drift_detected"))

    .withRow(new RowBuilder("Multivariate drift"))
    .withPanel(
      stateTimeline(
        "Verdicts",
        "Whether each multivariate monitor's test found drift in the last evaluated window.",
      )
        .withTarget(prom(`driftwatch_multivariate_drift_detected{${monitors}}`, "{{monitor}} ({{test}})"))
        .mappings(verdict)
        .thresholds(thresholds("green", [1, "red"]))
        .span(24)
        .height(7),
    )
    .withPanel(
      timeseries(
        "p-values",
        "p-value of each p-value test (mmd, ks_reduced, classifier) per window, log scale; the dashed line is the default alpha (0.05). Values under 1e-10 are drawn at 1e-10.",
      )
        .withTarget(
          prom(`clamp_min(driftwatch_multivariate_p_value{${monitors}}, 1e-10)`, "{{monitor}} ({{test}})"),
        )
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
        "Statistic and threshold",
        "The test's statistic per window (MMD², the largest KS D, the mean reconstruction error, the AUC) and what it is compared with: alpha for p-value tests, the upper threshold from reference chunks for pca_reconstruction.",
      )
        .withTarget(prom(`driftwatch_multivariate_statistic{${monitors}}`, "{{monitor}} ({{test}})"))
        .withTarget(prom(`driftwatch_multivariate_threshold{${monitors}}`, "{{monitor}} threshold"))
        .unit(units.NoUnit)
        .span(12)
        .height(9),
    )
    .withPanel(
      timeseries(
        "Rows tested",
        "Rows the test ran on in the last window, reference and window side: at most the monitor's `sample`; fewer than the events means the test ran on a sample.",
      )
        .withTarget(prom(`driftwatch_multivariate_rows{${monitors}}`, "{{monitor}} {{side}}"))
        .unit(units.Short)
        .min(0)
        .span(24)
        .height(7),
    );
}
