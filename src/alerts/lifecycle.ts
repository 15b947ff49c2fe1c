import { fingerprint } from "./fingerprint.js";
import type { Alert, AlertEngineState, AlertRecord, AlertState, Condition, ConditionSet } from "./types.js";

/** How often alerts are re-sent and how long a sent alert stays valid. */
export interface AlertEngineOptions {
  /** A firing alert is sent again once its last send is this old (default 3600). */
  readonly repeat_interval_secs?: number;
  /**
   * `endsAt` of a firing alert is its send time plus this (default 4 × `repeat_interval_secs`),
   * so that an Alertmanager resolves it by itself if the daemon stops re-sending. It must exceed
   * `repeat_interval_secs`, or an Alertmanager would resolve every alert between two sends.
   */
  readonly resolve_timeout_secs?: number;
}

/** The default `repeat_interval_secs`. */
export const DEFAULT_REPEAT_INTERVAL_SECS = 3600;

/** Prometheus's factor: an alert stays valid for four of its resend periods. */
const VALIDITY_FACTOR = 4;

/** A change of an alert's state, for logs and event counters. */
export interface Transition {
  readonly fingerprint: string;
  readonly labels: Alert["labels"];
  readonly from: "inactive" | AlertState;
  readonly to: "inactive" | AlertState | "resolved";
  /** Epoch milliseconds. */
  readonly at: number;
}

/** What one evaluation did: the alerts to send now and the state changes. */
export interface EngineOutcome {
  /** Newly firing, resolved (once, `endsAt` = now) and repeated alerts, in fingerprint order. */
  readonly send: readonly Alert[];
  readonly transitions: readonly Transition[];
}

/** Pending and firing alerts of one alertname, for `driftwatch_alerts{alertname,state}`. */
export interface AlertCount {
  readonly alertname: string;
  readonly state: AlertState;
  readonly count: number;
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}

function emptyState(): AlertEngineState {
  return { version: 1, rules: {}, alerts: {} };
}

/**
 * The alert lifecycle of Prometheus's rule manager, over the conditions rules report: a condition
 * seen for the first time makes a `pending` alert; once it has held for its `for_secs` the alert
 * is `firing` and is sent; it is re-sent every `repeat_interval_secs` while it fires; when its
 * rule no longer reports it, a firing alert is sent once more as resolved (`endsAt` = now) and
 * forgotten, and a pending one is dropped silently. Alerts are identified by the fingerprint of
 * their labels, so the same condition reported twice is one alert.
 *
 * Each `ConditionSet` replaces what its rule reported before; rules left out of a call keep
 * theirs, so a window result updates only its monitor's rules, and a call with no sets (a clock
 * tick) only advances time: pending alerts fire, firing ones are repeated. Transitions happen
 * only in `evaluate`, so a pending alert fires at the first evaluation after `for_secs`, as in
 * Prometheus. The engine reads no clock: `now` is passed in (epoch milliseconds). Its `state` is
 * plain JSON; an engine built from it behaves exactly as the one it came from.
 *
 * @example
 *   const engine = new AlertEngine({ repeat_interval_secs: 60 });
 *   engine.evaluate([{ rule: "orders/0", conditions: [condition] }], Date.parse("2024-05-01T00:00:00Z")).send;
 *   // [{ labels: { alertname: "FeatureDrift", ... }, startsAt: "2024-05-01T00:00:00.000Z", endsAt: "2024-05-01T00:04:00.000Z", ... }]
 */
export class AlertEngine {
  private readonly repeatMs: number;
  private readonly validityMs: number;
  private readonly s: AlertEngineState;
  /** Every alertname seen since start, so that `countByState` reports zeros rather than dropping series. */
  private readonly alertnames = new Set<string>();

  constructor(options: AlertEngineOptions = {}, state?: AlertEngineState) {
    const repeat = options.repeat_interval_secs ?? DEFAULT_REPEAT_INTERVAL_SECS;
    const validity = options.resolve_timeout_secs ?? VALIDITY_FACTOR * repeat;
    if (!(repeat > 0)) throw new RangeError(`repeat_interval_secs must be > 0 (got ${repeat})`);
    if (!(validity > repeat))
      throw new RangeError(
        `resolve_timeout_secs must exceed repeat_interval_secs (got ${validity} <= ${repeat}); an Alertmanager would resolve alerts between sends`,
      );
    this.repeatMs = repeat * 1000;
    this.validityMs = validity * 1000;
    this.s = state ? structuredClone(state) : emptyState();
    for (const record of Object.values(this.s.alerts)) this.alertnames.add(record.labels.alertname ?? "");
  }

  /** The engine's state as plain JSON data, for checkpoints. */
  get state(): AlertEngineState {
    return structuredClone(this.s);
  }

  /**
   * Applies the rules' latest conditions at `now` (epoch ms) and returns what to send. Pass an
   * empty list on a timer so that `for_secs` and repeats advance when no result arrives.
   */
  evaluate(sets: readonly ConditionSet[], now: number): EngineOutcome {
    const fresh = new Map<string, Condition>();
    for (const set of sets) {
      const fps: string[] = [];
      for (const condition of set.conditions) {
        const fp = fingerprint(condition.labels);
        fresh.set(fp, condition);
        if (!fps.includes(fp)) fps.push(fp);
      }
      this.s.rules[set.rule] = fps;
    }
    const active = new Set<string>();
    for (const fps of Object.values(this.s.rules)) for (const fp of fps) active.add(fp);

    const transitions: Transition[] = [];
    const send: { fp: string; alert: Alert }[] = [];
    const alerts = this.s.alerts;

    for (const fp of active) {
      const condition = fresh.get(fp);
      let record = alerts[fp];
      if (record === undefined) {
        // A rule's fingerprints always come with conditions the first time, so one is at hand.
        if (condition === undefined) continue;
        record = {
          labels: condition.labels,
          annotations: condition.annotations,
          value: condition.value,
          state: "pending",
          for_secs: condition.for_secs,
          generator_url: condition.generatorURL,
          active_at: now,
          fired_at: null,
          last_sent_at: null,
        };
        alerts[fp] = record;
        this.alertnames.add(record.labels.alertname ?? "");
        transitions.push({
          fingerprint: fp,
          labels: record.labels,
          from: "inactive",
          to: "pending",
          at: now,
        });
      } else if (condition !== undefined) {
        // Annotations follow the latest result, as Prometheus re-renders them on each evaluation.
        record.annotations = condition.annotations;
        record.value = condition.value;
        record.for_secs = condition.for_secs;
        record.generator_url = condition.generatorURL;
      }
      if (record.state === "pending" && now - record.active_at >= record.for_secs * 1000) {
        record.state = "firing";
        record.fired_at = now;
        transitions.push({ fingerprint: fp, labels: record.labels, from: "pending", to: "firing", at: now });
      }
      if (
        record.state === "firing" &&
        (record.last_sent_at === null || now - record.last_sent_at >= this.repeatMs)
      ) {
        record.last_sent_at = now;
        send.push({ fp, alert: this.toAlert(record, now + this.validityMs) });
      }
    }

    for (const fp of Object.keys(alerts)) {
      if (active.has(fp)) continue;
      const record = alerts[fp];
      delete alerts[fp];
      if (record.state === "pending") {
        transitions.push({
          fingerprint: fp,
          labels: record.labels,
          from: "pending",
          to: "inactive",
          at: now,
        });
      } else {
        transitions.push({ fingerprint: fp, labels: record.labels, from: "firing", to: "resolved", at: now });
        send.push({ fp, alert: this.toAlert(record, now) });
      }
    }

    send.sort((a, b) => (a.fp < b.fp ? -1 : a.fp > b.fp ? 1 : 0));
    return { send: send.map((s) => s.alert), transitions };
  }

  /**
   * Forgets every rule whose key is not listed (after a config reload removed or changed rules);
   * their alerts resolve at the next `evaluate`.
   */
  retain(rules: Iterable<string>): void {
    const keep = new Set(rules);
    for (const key of Object.keys(this.s.rules)) if (!keep.has(key)) delete this.s.rules[key];
  }

  /** Pending and firing alerts per alertname, zeros included for every alertname seen since start. */
  countByState(): AlertCount[] {
    const counts = new Map<string, { pending: number; firing: number }>();
    for (const name of [...this.alertnames].sort()) counts.set(name, { pending: 0, firing: 0 });
    for (const record of Object.values(this.s.alerts)) {
      const c = counts.get(record.labels.alertname ?? "") as { pending: number; firing: number };
      c[record.state]++;
    }
    const rows: AlertCount[] = [];
    for (const [alertname, c] of counts) {
      rows.push({ alertname, state: "pending", count: c.pending });
      rows.push({ alertname, state: "firing", count: c.firing });
    }
    return rows;
  }

  /** Firing alerts as they stand, with the `endsAt` a send at `now` would carry (for an API or a debug page). */
  firing(now: number): Alert[] {
    return Object.keys(this.s.alerts)
      .sort()
      .map((fp) => this.s.alerts[fp])
      .filter((r) => r.state === "firing")
      .map((r) => this.toAlert(r, now + this.validityMs));
  }

  private toAlert(record: AlertRecord, endsAt: number): Alert {
    return {
      labels: { ...record.labels },
      annotations: { ...record.annotations },
      startsAt: rfc3339(record.fired_at ?? record.active_at),
      endsAt: rfc3339(endsAt),
      generatorURL: record.generator_url,
    };
  }
}
