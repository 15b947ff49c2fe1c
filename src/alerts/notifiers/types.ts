import type { FromSchema } from "json-schema-to-ts";
import type { alertmanagerSchema, faroSchema, slackSchema, webhookSchema } from "./schema.js";
/**
 * The notifier contract, as Alertmanager's: one method, and a result that says whether a failure
 * is worth retrying. Notifiers never throw for delivery problems; the dispatcher decides what to
 * do with a failure (retry with backoff, count, log), so a slow or broken receiver never reaches
 * back into the pipeline.
 */

/**
 * An alert as Alertmanager's v2 API takes it (`postableAlert`). The alert engine produces this
 * shape; an alert whose `endsAt` is in the past is resolved.
 *
 * @example
 * { labels: { alertname: "DriftDetected", monitor: "orders", feature: "amount", severity: "warning" },
 *   annotations: { summary: "amount drifted", statistic: "0.31", p_value: "0.0004" },
 *   startsAt: "2024-05-01T10:00:00Z" }
 */
export interface NotifiedAlert {
  /** Identity of the alert: `alertname`, `monitor`, `severity` and any others (`feature`, `test`). */
  readonly labels: Readonly<Record<string, string>>;
  /** Free text: `summary`, `description`, `context`; numbers such as `statistic`, `p_value` as text. */
  readonly annotations: Readonly<Record<string, string>>;
  /** When the alert started firing (RFC 3339). */
  readonly startsAt: string;
  /** When it ended (RFC 3339); a time in the past marks it resolved. */
  readonly endsAt?: string;
  /** A link back to whatever produced the alert. */
  readonly generatorURL?: string;
}

/**
 * The outcome of one delivery attempt. 5xx, 408, 429, network errors and timeouts are retryable;
 * any other 4xx is not, since sending the same request again gets the same answer.
 */
export type NotifyResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly retryable: boolean; readonly reason: string };

/** Something that delivers a batch of alerts somewhere. */
export interface Notifier {
  /** Bounded, config-given name; the `notifier` label of `driftwatch_notifications_total`. */
  readonly name: string;
  /** Where it sends, already redacted to scheme and host (see `redact`), for log lines. */
  readonly endpoint?: string;
  /** Delivers one batch; resolves (never rejects) with whether it worked and, if not, whether to retry. */
  notify(alerts: readonly NotifiedAlert[]): Promise<NotifyResult>;
}

/**
 * POSTs Alertmanager-style JSON to a URL (its schema's type). `url` and header values may
 * reference environment variables as `${NAME}`.
 */
export type WebhookNotifierConfig = FromSchema<typeof webhookSchema>;

/** An Alertmanager to hand alerts to (`POST <url>/api/v2/alerts`), for routing, grouping and silencing. */
export type AlertmanagerNotifierConfig = FromSchema<typeof alertmanagerSchema>;

/** A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat): POSTs `{ text }`. */
export type SlackNotifierConfig = FromSchema<typeof slackSchema>;

/** A Grafana Faro collector (e.g. Grafana Alloy's `faro.receiver`): alerts as Faro events and measurements. */
export type FaroNotifierConfig = FromSchema<typeof faroSchema>;

/** Any notifier's config; the `type` key picks the kind. */
export type NotifierConfig =
  | WebhookNotifierConfig
  | AlertmanagerNotifierConfig
  | SlackNotifierConfig
  | FaroNotifierConfig;

/** What every notifier's constructor takes besides its config. */
export interface NotifierContext {
  /** Where `${NAME}` references are looked up (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Clock used to tell firing from resolved alerts (default `Date.now`). */
  readonly now?: () => number;
  /** Per-request timeout in milliseconds when the config gives none (default 10 000). */
  readonly timeoutMs?: number;
}

/** Whether an alert has ended by `nowMs`: an `endsAt` at or before now. */
export function isResolved(alert: NotifiedAlert, nowMs: number): boolean {
  if (alert.endsAt === undefined) return false;
  const ends = Date.parse(alert.endsAt);
  // Alertmanager writes Go's zero time (0001-01-01T00:00:00Z) for "no end"; it is not a resolution.
  return Number.isFinite(ends) && ends > 0 && ends <= nowMs;
}
