/**
 * The daemon at a glance: is it up and consuming, how many events arrive and how many are
 * rejected, how far behind Kafka it is, which alerts fire, and what it costs (evaluation time,
 * CPU, memory, event-loop lag).
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
  thresholdLines,
  thresholds,
  timeseries,
} from "./builders.js";

const job = 'job=~"$job"';
const sources = `${job},source=~"$source"`;

/** The overview dashboard: events, invalid events, Kafka lag, alerts and the daemon's own health. */
export function overviewDashboard() {
  return dashboard(
    "driftwatch-overview",
    "driftwatch / Overview",
    "The driftwatch daemon: sources, events, rejected events, Kafka lag, alerts and resource use.",
  )
    .withVariable(
      labelVariable("job", "Job", "driftwatch_config_last_reload_successful").description(
        "Prometheus jobs that scrape a driftwatch daemon.",
      ),
    )
    .withVariable(labelVariable("source", "Source", `driftwatch_events_total{${job}}`))

    .withRow(new RowBuilder("Daemon"))
    .withPanel(
      stat(
        "Scrape",
        "1 while Prometheus scrapes the daemon (`up`); 0 when the daemon is down or unreachable.",
      )
        .withTarget(prom(`up{${job}}`, "{{instance}}"))
        .mappings(flagMappings({ text: "down", color: "red" }, { text: "up", color: "green" }))
        .thresholds(thresholds("red", [1, "green"]))
        .span(4)
        .height(4),
    )
    .withPanel(
      stat(
        "Sources consuming",
        "1 while a source is connected and consuming (`driftwatch_source_up`); a Kafka source at 0 is reconnecting.",
      )
        .withTarget(prom(`driftwatch_source_up{${sources}}`, "{{source}}"))
        .mappings(flagMappings({ text: "down", color: "red" }, { text: "up", color: "green" }))
        .thresholds(thresholds("red", [1, "green"]))
        .span(5)
        .height(4),
    )
    .withPanel(
      stat(
        "Config reload",
        "Whether the last configuration load (at start or on SIGHUP) succeeded; after a failed reload the daemon keeps running the previous config.",
      )
        .withTarget(prom(`driftwatch_config_last_reload_successful{${job}}`, "{{instance}}"))
        .mappings(flagMappings({ text: "failed", color: "red" }, { text: "ok", color: "green" }))
        .thresholds(thresholds("red", [1, "green"]))
        .span(5)
        .height(4),
    )
    .withPanel(
      stat(
        "Since last checkpoint",
        "Time since state and offsets were last checkpointed. Checkpoints run every checkpoint_interval_secs (default 5 s); a growing value means a restart would re-read more events.",
      )
        .withTarget(
          prom(`time() - driftwatch_checkpoint_last_success_timestamp_seconds{${job}}`, "{{instance}}"),
        )
        .unit(units.Seconds)
        .decimals(0)
        .thresholds(thresholds("green", [60, "orange"], [300, "red"]))
        .span(5)
        .height(4),
    )
    .withPanel(
      stat(
        "Firing alerts",
        'Alerts currently firing (`driftwatch_alerts{state="firing"}`). No data until the daemon exports its alert states.',
      )
        .withTarget(prom(`sum(driftwatch_alerts{${job},state="firing"})`, "firing"))
        .thresholds(thresholds("green", [1, "red"]))
        .noValue("no alert data")
        .span(5)
        .height(4),
    )

    .withRow(new RowBuilder("Events"))
    .withPanel(
      timeseries("Events read", "Events read from each source per second, valid or invalid.")
        .withTarget(
          prom(
            `sum by (source, outcome) (rate(driftwatch_events_total{${sources}}[$__rate_interval]))`,
            "{{source}} {{outcome}}",
          ),
        )
        .unit(units.EventsPerSecond)
        .min(0)
        .span(12)
        .height(8),
    )
    .withPanel(
      timeseries(
        "Invalid events by reason",
        "Events rejected before the monitors, per second: malformed_json, malformed_csv, not_an_object or schema. Each is also written to the dead-letter destination.",
      )
        .withTarget(
          prom(
            `sum by (source, reason) (rate(driftwatch_events_invalid_total{${sources}}[$__rate_interval]))`,
            "{{source}} {{reason}}",
          ),
        )
        .unit(units.EventsPerSecond)
        .min(0)
        .span(8)
        .height(8),
    )
    .withPanel(
      stat("Invalid share", "Share of the events read over the time range that were rejected as invalid.")
        .withTarget(
          prom(
            `sum(increase(driftwatch_events_total{${sources},outcome="invalid"}[$__range])) / sum(increase(driftwatch_events_total{${sources}}[$__range]))`,
            "invalid",
          ),
        )
        .unit(units.PercentUnit)
        .decimals(2)
        .thresholds(thresholds("green", [0.01, "orange"], [0.05, "red"]))
        .span(4)
        .height(8),
    )
    .withPanel(
      timeseries(
        "Dead letters",
        "Rejected events written to the dead-letter destination per second; `failed` writes are retried and mean the destination is unavailable.",
      )
        .withTarget(
          prom(
            `sum by (source, outcome) (rate(driftwatch_dead_letter_total{${sources}}[$__rate_interval]))`,
            "{{source}} {{outcome}}",
          ),
        )
        .unit(units.EventsPerSecond)
        .min(0)
        .span(12)
        .height(8),
    )
    .withPanel(
      timeseries(
        "Kafka consumer lag",
        "Messages between the last processed offset and the high watermark, summed over the partitions of each topic. A lag that keeps growing means the daemon cannot keep up.",
      )
        .withTarget(
          prom(`sum by (source, topic) (driftwatch_kafka_consumer_lag{${sources}})`, "{{source}} {{topic}}"),
        )
        .unit(units.Short)
        .axisLabel("messages")
        .min(0)
        .span(12)
        .height(8),
    )

    .withRow(new RowBuilder("Alerts"))
    .withPanel(
      stateTimeline(
        "Firing alerts over time",
        "Alerts in the firing state, per alert name. No data until the daemon exports `driftwatch_alerts`.",
      )
        .withTarget(prom(`sum by (alertname) (driftwatch_alerts{${job},state="firing"})`, "{{alertname}}"))
        .thresholds(thresholds("green", [1, "red"]))
        .noValue("no alert data")
        .span(16)
        .height(8),
    )
    .withPanel(
      table(
        "Alerts by state",
        "Pending and firing alerts now, per alert name. No data until the daemon exports `driftwatch_alerts`.",
      )
        .withTarget(promTable(`sum by (alertname, state) (driftwatch_alerts{${job}}) > 0`))
        .transformations(columns({ Value: "alerts" }))
        .noValue("no alert data")
        .span(8)
        .height(8),
    )

    .withRow(new RowBuilder("Resources"))
    .withPanel(
      timeseries(
        "Window evaluation time",
        "Time to evaluate one window of a monitor (all its tests), median and 99th percentile.",
      )
        .withTarget(
          prom(
            `histogram_quantile(0.5, sum by (le, monitor) (rate(driftwatch_evaluation_duration_seconds_bucket{${job}}[$__rate_interval])))`,
            "{{monitor}} p50",
          ),
        )
        .withTarget(
          prom(
            `histogram_quantile(0.99, sum by (le, monitor) (rate(driftwatch_evaluation_duration_seconds_bucket{${job}}[$__rate_interval])))`,
            "{{monitor}} p99",
          ),
        )
        .unit(units.Seconds)
        .min(0)
        .span(12)
        .height(8),
    )
    .withPanel(
      timeseries("CPU", "CPU time used per second of wall time; 1 is one full core.")
        .withTarget(prom(`rate(process_cpu_seconds_total{${job}}[$__rate_interval])`, "{{instance}}"))
        .unit(units.PercentUnit)
        .min(0)
        .span(12)
        .height(8),
    )
    .withPanel(
      timeseries("Memory", "Resident memory of the process and the part of the V8 heap in use.")
        .withTarget(prom(`process_resident_memory_bytes{${job}}`, "{{instance}} resident"))
        .withTarget(prom(`nodejs_heap_size_used_bytes{${job}}`, "{{instance}} heap used"))
        .unit(units.BytesIEC)
        .min(0)
        .span(12)
        .height(8),
    )
    .withPanel(
      timeseries(
        "Event-loop lag",
        "99th percentile of the Node.js event-loop delay; long window evaluations or checkpoints block the loop and delay consumption.",
      )
        .withTarget(prom(`nodejs_eventloop_lag_p99_seconds{${job}}`, "{{instance}} p99"))
        .unit(units.Seconds)
        .min(0)
        .thresholds(thresholds("green", [0.1, "orange"], [1, "red"]))
        .thresholdsStyle(thresholdLines())
        .span(12)
        .height(8),
    );
}
