/**
 * Grafana Faro: alerts and drift verdicts as Faro events and measurements, posted to a Faro
 * collector (Grafana Alloy's `faro.receiver`, Grafana Cloud Frontend Observability). The signals
 * are made by `@grafana/faro-core` itself (an isolated instance per notifier), so the payload is
 * exactly what a Faro SDK sends; a custom transport collects what the API pushes and the notifier
 * POSTs it as one Faro body:
 *
 * ```json
 * { "meta": { "sdk": { "name": "faro", "version": "2.12.1" }, "app": { "name": "driftwatch" } },
 *   "events": [{ "name": "driftwatch_alert", "timestamp": "2024-05-01T10:00:05.000Z",
 *                "attributes": { "status": "firing", "alertname": "DriftDetected", "monitor": "orders",
 *                                "feature": "amount", "statistic": "0.31", "startsAt": "2024-05-01T10:00:00Z" } }],
 *   "measurements": [{ "type": "driftwatch_alert", "values": { "statistic": 0.31, "p_value": 0.0004 },
 *                      "timestamp": "2024-05-01T10:00:05.000Z",
 *                      "context": { "status": "firing", "alertname": "DriftDetected", "monitor": "orders", "feature": "amount" } }] }
 * ```
 *
 * @example
 * const faro = new FaroNotifier({ type: "faro", url: "http://alloy:12347/collect" });
 * await faro.notify(alerts);
 * await pushVerdict(faro, { monitor: "orders", feature: "amount", test: "ks", statistic: 0.31, p_value: 0.0004, drifted: true });
 */
import {
  BaseTransport,
  type Faro,
  getTransportBody,
  InternalLoggerLevel,
  initializeFaro,
  type TransportBody,
  type TransportItem,
  VERSION,
} from "@grafana/faro-core";
import { defaultTimeoutMs, postJson } from "./http.js";
import { redact, resolveUrl } from "./secrets.js";
import {
  type FaroNotifierConfig,
  isResolved,
  type NotifiedAlert,
  type Notifier,
  type NotifierContext,
  type NotifyResult,
} from "./types.js";

/** Name of the Faro event (and measurement type) each alert becomes. */
export const faroAlertEvent = "driftwatch_alert";
/** Measurement type of a drift verdict. */
export const faroVerdictMeasurement = "driftwatch_drift";

/** A drift verdict for one feature, as pushed to Faro by `pushVerdict`. */
export interface FaroVerdict {
  readonly monitor: string;
  readonly feature: string;
  /** The statistical test, e.g. `ks`, `chi2`, `psi`. */
  readonly test: string;
  readonly statistic: number;
  readonly p_value?: number;
  readonly drifted: boolean;
  /** Start and end of the evaluated window (RFC 3339), when known. */
  readonly window_start?: string;
  readonly window_end?: string;
}

/**
 * A Faro transport that keeps what the Faro API hands it until `take()`. Faro's own transports
 * fire and forget; collecting instead lets the notifier send one body per batch and report
 * whether it arrived, which the dispatcher needs to retry.
 */
export class CollectingTransport extends BaseTransport {
  readonly name = "driftwatch-collecting-transport";
  readonly version = VERSION;
  private items: TransportItem[] = [];

  send(items: TransportItem | TransportItem[]): void {
    this.items.push(...(Array.isArray(items) ? items : [items]));
  }

  /** The Faro body of everything collected since the last call, or undefined if nothing was. */
  take(): TransportBody | undefined {
    const items = this.items;
    this.items = [];
    return items.length > 0 ? getTransportBody(items) : undefined;
  }
}

/** Numeric values among `keys` of an alert (labels, then annotations), for a measurement. */
function numericValues(alert: NotifiedAlert, keys: readonly string[]): Record<string, number> {
  const values: Record<string, number> = {};
  for (const key of keys) {
    const text = alert.labels[key] ?? alert.annotations[key];
    if (text === undefined || text.trim() === "") continue;
    const value = Number(text);
    if (Number.isFinite(value)) values[key] = value;
  }
  return values;
}

/** Sends alerts (and verdicts) to a Faro collector. */
export class FaroNotifier implements Notifier {
  readonly name: string;
  readonly endpoint: string;
  private readonly url: URL;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly transport = new CollectingTransport();
  private readonly faro: Faro;

  constructor(config: FaroNotifierConfig, context: NotifierContext = {}, where = "notifier") {
    this.url = resolveUrl(config.url, context.env ?? process.env, `${where}/url`);
    this.name = config.name ?? config.type;
    this.endpoint = redact(this.url);
    this.timeoutMs = context.timeoutMs ?? defaultTimeoutMs;
    this.now = context.now ?? Date.now;
    const faro = initializeFaro({
      app: { name: config.app_name ?? "driftwatch" },
      // Unbatched: each push reaches the transport synchronously, so `take()` right after the
      // pushes holds exactly this batch, even with several notify() calls in flight.
      batching: { enabled: false },
      // Alerts repeat on purpose (re-sends, resolutions); Faro's dedupe would drop them.
      dedupe: false,
      globalObjectKey: `driftwatch_faro_${this.name}`,
      instrumentations: [],
      internalLoggerLevel: InternalLoggerLevel.OFF,
      // Several notifiers (and tests) each have their own instance; none touches globalThis.
      isolate: true,
      preventGlobalExposure: true,
      metas: [],
      parseStacktrace: () => ({ frames: [] }),
      paused: false,
      transports: [this.transport],
      unpatchedConsole: console,
    });
    if (faro === undefined) throw new Error("initializing Faro failed");
    this.faro = faro;
  }

  notify(alerts: readonly NotifiedAlert[]): Promise<NotifyResult> {
    const nowMs = this.now();
    for (const alert of alerts) {
      const status = isResolved(alert, nowMs) ? "resolved" : "firing";
      // Labels win over annotations of the same name: they are the alert's identity.
      const attributes: Record<string, string> = {
        status,
        ...alert.annotations,
        ...alert.labels,
        startsAt: alert.startsAt,
        ...(alert.endsAt !== undefined ? { endsAt: alert.endsAt } : {}),
        ...(alert.generatorURL !== undefined ? { generatorURL: alert.generatorURL } : {}),
      };
      this.faro.api.pushEvent(faroAlertEvent, attributes, undefined, { timestampOverwriteMs: nowMs });
      const values = numericValues(alert, ["statistic", "p_value"]);
      if (Object.keys(values).length > 0) {
        const context: Record<string, string> = { status };
        for (const key of ["alertname", "monitor", "feature", "test", "severity"])
          if (alert.labels[key] !== undefined) context[key] = alert.labels[key];
        this.faro.api.pushMeasurement(
          { type: faroAlertEvent, values },
          { context, timestampOverwriteMs: nowMs },
        );
      }
    }
    return this.send();
  }

  /** Pushes drift verdicts as `driftwatch_drift` measurements and sends them. */
  pushVerdicts(verdicts: readonly FaroVerdict[]): Promise<NotifyResult> {
    const nowMs = this.now();
    for (const verdict of verdicts) {
      const values: Record<string, number> = {
        statistic: verdict.statistic,
        drifted: verdict.drifted ? 1 : 0,
      };
      if (verdict.p_value !== undefined) values.p_value = verdict.p_value;
      const context: Record<string, string> = {
        monitor: verdict.monitor,
        feature: verdict.feature,
        test: verdict.test,
        ...(verdict.window_start !== undefined ? { window_start: verdict.window_start } : {}),
        ...(verdict.window_end !== undefined ? { window_end: verdict.window_end } : {}),
      };
      this.faro.api.pushMeasurement(
        { type: faroVerdictMeasurement, values },
        { context, timestampOverwriteMs: nowMs },
      );
    }
    return this.send();
  }

  private async send(): Promise<NotifyResult> {
    const body = this.transport.take();
    if (body === undefined) return { ok: true };
    return postJson(this.url, body, { timeoutMs: this.timeoutMs });
  }
}

/**
 * Pushes one drift verdict to a Faro collector as a `driftwatch_drift` measurement
 * (`values: { statistic, p_value?, drifted: 0|1 }`, `context: { monitor, feature, test }`).
 * One attempt: verdicts are periodic gauges, so a lost one is replaced by the next window's.
 */
export function pushVerdict(notifier: FaroNotifier, verdict: FaroVerdict): Promise<NotifyResult> {
  return notifier.pushVerdicts([verdict]);
}
