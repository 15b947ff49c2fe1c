import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import type { AlertingConfig } from "./config.js";
import { AlertEngine } from "./lifecycle.js";
import { Dispatcher, notificationOutcomes } from "./notifiers/dispatcher.js";
import { buildNotifiers } from "./notifiers/registry.js";
import { clockKey, evaluateRules, type RuleInput, ruleKey } from "./rules.js";
import type { AlertEngineState, AlertingKind, AlertRuleConfig, RulesState } from "./types.js";

/** Checkpointed alerting state: the lifecycle engine's and each monitor's rule counters. */
export interface AlertingState {
  readonly engine: AlertEngineState;
  readonly rules: Record<string, RulesState>;
}

/**
 * The daemon's alerting: each monitor result goes through its monitor's rules, the conditions
 * through the lifecycle engine, and the alerts to send to the notifiers' dispatcher (which never
 * blocks). Exports `driftwatch_alerts{alertname,state}` and the notification counters.
 */
export class Alerting {
  private readonly engine: AlertEngine;
  private readonly rules: Record<string, RulesState>;
  private readonly dispatcher: Dispatcher;
  private readonly startedAt: number;

  constructor(
    private readonly config: AlertingConfig,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    state: AlertingState | undefined,
    now: number,
  ) {
    const alerting = config.alerting ?? {};
    this.engine = new AlertEngine(
      {
        repeat_interval_secs: alerting.repeat_interval_secs,
        resolve_timeout_secs: alerting.resolve_timeout_secs,
      },
      state?.engine,
    );
    // Alerts of rules that no longer exist (a reload removed them) resolve.
    const keys: string[] = [];
    for (const [monitor, definition] of Object.entries(config.monitors)) {
      (definition.alerts ?? []).forEach((_, i) => {
        keys.push(ruleKey(monitor, i), clockKey(ruleKey(monitor, i)));
      });
    }
    this.engine.retain(keys);
    this.rules = structuredClone(state?.rules ?? {});
    const notifiers = buildNotifiers(config.notifiers ?? [], {}, "notifiers");
    for (const notifier of notifiers) {
      for (const outcome of notificationOutcomes)
        this.metrics.notificationsTotal.inc({ notifier: notifier.name, outcome }, 0);
    }
    this.dispatcher = new Dispatcher(notifiers, {
      logger: log.child({ component: "notifiers" }),
      onOutcome: (notifier, outcome) => this.metrics.notificationsTotal.inc({ notifier, outcome }),
    });
    this.startedAt = now;
    this.export();
  }

  /** The state to checkpoint. */
  get state(): AlertingState {
    return { engine: this.engine.state, rules: structuredClone(this.rules) };
  }

  private rulesOf(monitor: string): readonly AlertRuleConfig[] {
    return this.config.monitors[monitor]?.alerts ?? [];
  }

  private run(monitor: string, input: RuleInput, now: number): void {
    const rules = this.rulesOf(monitor);
    if (rules.length === 0) return;
    const { sets, state } = evaluateRules(monitor, rules, input, this.rules[monitor] ?? {}, {
      generator_url: this.config.alerting?.generator_url,
      top_features: this.config.alerting?.top_features,
    });
    this.rules[monitor] = state;
    this.apply(this.engine.evaluate(sets, now));
  }

  private apply(outcome: ReturnType<AlertEngine["evaluate"]>): void {
    for (const t of outcome.transitions) {
      if (t.to === "firing" || t.to === "resolved") {
        this.log.info(t.to === "firing" ? "alert firing" : "alert resolved", {
          alertname: t.labels.alertname,
          labels: t.labels,
        });
      }
    }
    if (outcome.send.length > 0) this.dispatcher.enqueue(outcome.send);
    this.export();
  }

  private export(): void {
    this.metrics.alerts.reset();
    for (const { alertname, state, count } of this.engine.countByState())
      this.metrics.alerts.set({ alertname, state }, count);
  }

  /**
   * A monitor's result: its rules of the types the monitor's kind brings read it (the other
   * rules are not concerned), and what they find goes through the lifecycle.
   */
  onResult<R>(kind: AlertingKind<R>, monitor: string, result: R, now: number): void {
    this.run(monitor, { kind: kind as AlertingKind, result }, now);
  }

  /** Periodic: `source_silent` rules, pending alerts reaching `for`, and repeats. */
  tick(now: number, lastArrival: Readonly<Record<string, number | null>>): void {
    for (const monitor of Object.keys(this.config.monitors)) {
      if (this.rulesOf(monitor).length > 0) {
        this.run(
          monitor,
          { kind: "clock", now, last_event_time: lastArrival, started_at: this.startedAt },
          now,
        );
      }
    }
    this.apply(this.engine.evaluate([], now));
  }

  /** Delivers what is queued (bounded), then stops the notifiers. */
  async close(): Promise<void> {
    await this.dispatcher.close(5000);
  }
}
