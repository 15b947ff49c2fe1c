/**
 * Hands alerts to an Alertmanager through its v2 API, so routing, grouping, inhibition and
 * silencing stay where users already run them. The body is the alert array exactly as
 * `POST /api/v2/alerts` takes it:
 *
 * ```json
 * [{ "labels": { "alertname": "DriftDetected", "monitor": "orders", "severity": "warning" },
 *    "annotations": { "summary": "amount drifted" },
 *    "startsAt": "2024-05-01T10:00:00Z", "endsAt": "2024-05-01T11:00:00Z" }]
 * ```
 *
 * A resolved alert is the same alert with `endsAt` in the past; Alertmanager then resolves it and
 * sends its own resolved notifications. Firing alerts must be re-sent before Alertmanager's
 * `resolve_timeout` (5m by default) or it resolves them on its own; that is the alert engine's
 * resend interval, not this notifier's concern.
 *
 * @example
 * const am = new AlertmanagerNotifier({ type: "alertmanager", url: "http://alertmanager:9093" });
 * await am.notify(alerts); // { ok: true }
 */
import { defaultTimeoutMs, postJson } from "./http.js";
import { redact, resolveUrl } from "./secrets.js";
import type {
  AlertmanagerNotifierConfig,
  NotifiedAlert,
  Notifier,
  NotifierContext,
  NotifyResult,
} from "./types.js";

/** POSTs each batch to `<url>/api/v2/alerts`. */
export class AlertmanagerNotifier implements Notifier {
  readonly name: string;
  readonly endpoint: string;
  private readonly url: URL;
  private readonly timeoutMs: number;

  constructor(config: AlertmanagerNotifierConfig, context: NotifierContext = {}, where = "notifier") {
    const base = resolveUrl(config.url, context.env ?? process.env, `${where}/url`);
    // Keep a path prefix (an Alertmanager behind `--web.route-prefix` or a proxy path).
    const prefix = base.pathname.endsWith("/") ? base.pathname : `${base.pathname}/`;
    this.url = new URL(`${prefix}api/v2/alerts`, base);
    this.name = config.name ?? config.type;
    this.endpoint = redact(this.url);
    this.timeoutMs = context.timeoutMs ?? defaultTimeoutMs;
  }

  notify(alerts: readonly NotifiedAlert[]): Promise<NotifyResult> {
    const body = alerts.map((alert) => ({
      labels: alert.labels,
      annotations: alert.annotations,
      startsAt: alert.startsAt,
      ...(alert.endsAt !== undefined ? { endsAt: alert.endsAt } : {}),
      ...(alert.generatorURL !== undefined ? { generatorURL: alert.generatorURL } : {}),
    }));
    return postJson(this.url, body, { timeoutMs: this.timeoutMs });
  }
}
