/**
 * Online drift per monitor: detections of the detectors that test every event, each window's
 * statistic against the threshold calibrated to the expected run time, and the run length.
 */
import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import * as units from "@grafana/grafana-foundation-sdk/units";
import { dashboard, labelVariable, prom, timeseries } from "./builders.js";

const monitors = 'monitor=~"$monitor"';

/** The online drift dashboard. */
export function onlineDashboard() {
  return dashboard(
    "driftwatch-online",
    "driftwatch / Online drift",
    "Detections of the online drift monitors, which test every event against a reference with thresholds calibrated to an expected run time (ERT) between false alarms, with their statistics and run lengths.",
  )
    .withVariable(labelVariable("monitor", "Monitor", "driftwatch_online_ert"))

    .withRow(new RowBuilder("Online drift"))
    .withPanel(
      timeseries(
        "Detections per hour",
        "Events at which an online detector found drift, per hour. Its thresholds are calibrated to one false alarm per `ert` events on a stationary stream (the Run length panel shows the ERT).",
      )
        .withTarget(
          prom(
            `sum by (monitor, feature) (increase(driftwatch_online_detections_total{${monitors}}[1h]))`,
            "{{monitor}} / {{feature}}",
          ),
        )
        .unit(units.Short)
        .min(0)
        .span(12)
        .height(8),
    )
    .withPanel(
      timeseries(
        "Statistic against threshold",
        "Each window's statistic at the last event (CVM statistic, or 1 − p of Fisher's exact test) and the threshold it is compared with; drift when a statistic reaches the threshold.",
      )
        .withTarget(prom(`driftwatch_online_statistic{${monitors}}`, "{{monitor}} window {{window}}"))
        .withTarget(prom(`driftwatch_online_threshold{${monitors}}`, "{{monitor}} threshold"))
        .unit(units.NoUnit)
        .span(12)
        .height(8),
    )
    .withPanel(
      timeseries(
        "Run length",
        "Events tested since the monitor started or last found drift, beside the expected run time its thresholds are calibrated to.",
      )
        .withTarget(prom(`driftwatch_online_run_length{${monitors}}`, "{{monitor}}"))
        .withTarget(prom(`driftwatch_online_ert{${monitors}}`, "{{monitor}} ERT"))
        .unit(units.Short)
        .min(0)
        .span(24)
        .height(7),
    );
}
