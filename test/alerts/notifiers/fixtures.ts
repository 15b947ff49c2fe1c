/** Alerts shared by the notifier tests. */
import type { NotifiedAlert } from "../../../src/alerts/notifiers/types.js";

/** The tests' "now": 2024-05-01T12:00:00Z. */
export const now = Date.parse("2024-05-01T12:00:00Z");

/** A firing drift alert with every field the notifiers read. */
export const firing: NotifiedAlert = {
  labels: {
    alertname: "DriftDetected",
    monitor: "orders",
    feature: "amount",
    test: "ks",
    severity: "warning",
  },
  annotations: {
    summary: "amount drifted from the reference",
    statistic: "0.3125",
    p_value: "0.000412",
    window_start: "2024-05-01T10:00:00Z",
    window_end: "2024-05-01T11:00:00Z",
  },
  startsAt: "2024-05-01T11:00:05Z",
  generatorURL: "http://driftwatch.local/monitors/orders",
};

/** The same alert, resolved an hour later. */
export const resolved: NotifiedAlert = { ...firing, endsAt: "2024-05-01T11:59:00Z" };
