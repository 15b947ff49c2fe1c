/**
 * Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat all take `{ text }` with
 * Slack's mrkdwn). One message per batch, one paragraph per alert, written for a person on call:
 *
 * ```
 * :rotating_light: *[FIRING] DriftDetected* · warning
 * monitor `orders` · feature `amount` · test `ks`
 * statistic 0.31 · p-value 0.0004 · window 2024-05-01T10:00:00Z → 2024-05-01T11:00:00Z
 * amount drifted from the reference
 * ```
 *
 * Resolved alerts start with `:white_check_mark: *[RESOLVED] …*`. Fields come from labels first,
 * then annotations: `feature`, `test`, `statistic`, `p_value`, and `window` (or `window_start` and
 * `window_end`); absent fields are left out rather than printed empty.
 *
 * @example
 * const slack = new SlackNotifier({ type: "slack", url: "${SLACK_WEBHOOK_URL}" });
 * await slack.notify(alerts); // { ok: true }
 */
import { defaultTimeoutMs, postJson } from "./http.js";
import { redact, resolveUrl } from "./secrets.js";
import {
  isResolved,
  type NotifiedAlert,
  type Notifier,
  type NotifierContext,
  type NotifyResult,
  type SlackNotifierConfig,
} from "./types.js";

const severityEmoji: Readonly<Record<string, string>> = {
  critical: ":rotating_light:",
  error: ":red_circle:",
  warning: ":warning:",
  info: ":information_source:",
};

/** A field of the alert: its label, else its annotation, else undefined. */
function field(alert: NotifiedAlert, key: string): string | undefined {
  const value = alert.labels[key] ?? alert.annotations[key];
  return value === undefined || value === "" ? undefined : value;
}

/** Formats a numeric text to 4 significant digits; leaves anything else as it is. */
function number(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  return text.trim() !== "" && Number.isFinite(value) ? String(Number(value.toPrecision(4))) : text;
}

/** The paragraph for one alert. */
export function formatSlackAlert(alert: NotifiedAlert, nowMs: number): string {
  const resolved = isResolved(alert, nowMs);
  const severity = field(alert, "severity");
  const emoji = resolved ? ":white_check_mark:" : (severityEmoji[severity ?? ""] ?? ":bell:");
  const name = field(alert, "alertname") ?? "alert";
  const lines = [
    `${emoji} *[${resolved ? "RESOLVED" : "FIRING"}] ${name}*${severity ? ` · ${severity}` : ""}`,
  ];
  const where = (["monitor", "feature", "test"] as const)
    .map((key) => [key, field(alert, key)] as const)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key} \`${value}\``);
  if (where.length > 0) lines.push(where.join(" · "));
  const start = field(alert, "window_start");
  const end = field(alert, "window_end");
  const window = field(alert, "window") ?? (start && end ? `${start} → ${end}` : undefined);
  const figures = [
    ["statistic", number(field(alert, "statistic"))],
    ["p-value", number(field(alert, "p_value"))],
    ["window", window],
  ]
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key} ${value}`);
  if (figures.length > 0) lines.push(figures.join(" · "));
  if (resolved) lines.push(`resolved at ${alert.endsAt}`);
  const summary = alert.annotations.summary ?? alert.annotations.description;
  if (summary) lines.push(summary);
  if (alert.generatorURL) lines.push(`<${alert.generatorURL}|source>`);
  return lines.join("\n");
}

/** The whole message for a batch: a count line when there is more than one alert, then each alert. */
export function formatSlackMessage(alerts: readonly NotifiedAlert[], nowMs: number): string {
  const paragraphs = alerts.map((alert) => formatSlackAlert(alert, nowMs));
  if (alerts.length <= 1) return paragraphs.join("");
  const resolved = alerts.filter((alert) => isResolved(alert, nowMs)).length;
  const firing = alerts.length - resolved;
  const counts = [firing > 0 ? `${firing} firing` : "", resolved > 0 ? `${resolved} resolved` : ""]
    .filter(Boolean)
    .join(", ");
  return [`*driftwatch: ${alerts.length} alerts* (${counts})`, ...paragraphs].join("\n\n");
}

/** POSTs `{ text }` to a Slack-compatible incoming webhook. */
export class SlackNotifier implements Notifier {
  readonly name: string;
  readonly endpoint: string;
  private readonly url: URL;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(config: SlackNotifierConfig, context: NotifierContext = {}, where = "notifier") {
    this.url = resolveUrl(config.url, context.env ?? process.env, `${where}/url`);
    this.name = config.name ?? config.type;
    this.endpoint = redact(this.url);
    this.timeoutMs = context.timeoutMs ?? defaultTimeoutMs;
    this.now = context.now ?? Date.now;
  }

  notify(alerts: readonly NotifiedAlert[]): Promise<NotifyResult> {
    return postJson(
      this.url,
      { text: formatSlackMessage(alerts, this.now()) },
      { timeoutMs: this.timeoutMs },
    );
  }
}
