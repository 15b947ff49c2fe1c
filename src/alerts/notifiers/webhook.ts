/**
 * Generic JSON webhook. The body follows Alertmanager's webhook payload, trimmed to what
 * driftwatch knows (no receiver, group key or external URL), under its own `version`:
 *
 * ```json
 * { "version": "1", "status": "firing",
 *   "alerts": [{ "status": "firing", "labels": { "alertname": "DriftDetected", "monitor": "orders" },
 *                "annotations": { "summary": "amount drifted" }, "startsAt": "2024-05-01T10:00:00Z" }] }
 * ```
 *
 * `status` is `firing` while any alert in the batch fires, `resolved` once all have ended.
 *
 * @example
 * const hook = new WebhookNotifier({ type: "webhook", url: "${ALERT_WEBHOOK_URL}", timeout_secs: 5 });
 * await hook.notify(alerts); // { ok: true }
 */
import { defaultTimeoutMs, postJson } from "./http.js";
import { redact, resolveEnv, resolveUrl } from "./secrets.js";
import {
  isResolved,
  type NotifiedAlert,
  type Notifier,
  type NotifierContext,
  type NotifyResult,
  type WebhookNotifierConfig,
} from "./types.js";

/** Status of one alert or of a whole batch, as Alertmanager's webhook names it. */
export type AlertStatus = "firing" | "resolved";

/** One alert in the webhook body: the alert plus its status. */
export interface WebhookAlert extends NotifiedAlert {
  readonly status: AlertStatus;
}

/** The JSON body the webhook notifier POSTs. */
export interface WebhookPayload {
  readonly version: "1";
  readonly status: AlertStatus;
  readonly alerts: readonly WebhookAlert[];
}

/** Builds the webhook body for a batch, as of `nowMs`. */
export function webhookPayload(alerts: readonly NotifiedAlert[], nowMs: number): WebhookPayload {
  const withStatus = alerts.map(
    (alert): WebhookAlert => ({ status: isResolved(alert, nowMs) ? "resolved" : "firing", ...alert }),
  );
  return {
    version: "1",
    status: withStatus.some((alert) => alert.status === "firing") ? "firing" : "resolved",
    alerts: withStatus,
  };
}

/** POSTs each batch as a `WebhookPayload`. */
export class WebhookNotifier implements Notifier {
  readonly name: string;
  readonly endpoint: string;
  private readonly url: URL;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(config: WebhookNotifierConfig, context: NotifierContext = {}, where = "notifier") {
    const env = context.env ?? process.env;
    this.name = config.name ?? config.type;
    this.url = resolveUrl(config.url, env, `${where}/url`);
    this.endpoint = redact(this.url);
    this.headers = Object.fromEntries(
      Object.entries(config.headers ?? {}).map(([key, value]) => [
        key,
        resolveEnv(value, env, `${where}/headers/${key}`),
      ]),
    );
    this.timeoutMs =
      config.timeout_secs !== undefined
        ? config.timeout_secs * 1000
        : (context.timeoutMs ?? defaultTimeoutMs);
    this.now = context.now ?? Date.now;
  }

  notify(alerts: readonly NotifiedAlert[]): Promise<NotifyResult> {
    return postJson(this.url, webhookPayload(alerts, this.now()), {
      timeoutMs: this.timeoutMs,
      headers: this.headers,
    });
  }
}
