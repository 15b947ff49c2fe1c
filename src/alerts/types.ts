/**
 * Shapes of the alerting stage: the rules a monitor's `alerts: [...]` declares, the conditions a
 * rule finds in a monitor result, the alerts sent (Alertmanager's v2 `postableAlert`), and the
 * engine's checkpointed state. Config keys are snake_case with full units, as everywhere in the
 * config; the `Alert` fields keep Alertmanager's camelCase so the JSON can be posted unchanged.
 */

/** How urgent an alert is; becomes the `severity` label. */
export type Severity = "warning" | "critical";

/** Keys every rule accepts, whatever its `type`. */
export interface AlertRuleCommon {
  /** The `alertname` label; each type has a default (`FeatureDrift`, `SourceSilent`, ...). */
  readonly name?: string;
  /** How long a condition must hold before the alert fires (default 0: fire at once). */
  readonly for_secs?: number;
  /** The `severity` label (default warning). */
  readonly severity?: Severity;
  /** Extra labels for routing (team, service); the rule's own labels take precedence. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Extra or replacement annotations; `{{ name }}` is replaced by that label's or annotation's value. */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** No event arrived from a source for a while (any monitor). */
export interface SourceSilentRule extends AlertRuleCommon {
  readonly type: "source_silent";
  /** The source, by its name under `sources`. */
  readonly source: string;
  /**
   * Seconds without an event after which the condition holds. Named apart from `for_secs`,
   * which every rule has and which still delays firing after the silence is detected.
   */
  readonly silent_secs: number;
}

/**
 * One alert rule of a monitor, by `type`: `source_silent`, which any monitor has, or one of the
 * rule types its monitor kind brings (each kind's `rules.ts` declares their exact shape, checked
 * by their schema when the config is loaded).
 */
export interface AlertRuleConfig extends AlertRuleCommon {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** Label set of an alert: string values only, as Alertmanager requires. */
export type Labels = Readonly<Record<string, string>>;

/** Annotations of an alert: string values only. */
export type Annotations = Readonly<Record<string, string>>;

/**
 * A condition a rule found active: the would-be alert's identity (labels), its context
 * (annotations) and the value compared with the bound. The lifecycle turns conditions into alerts.
 */
export interface Condition {
  readonly labels: Labels;
  readonly annotations: Annotations;
  /** The number the rule compared (statistic, ratio, metric, seconds silent). */
  readonly value: number;
  /** Seconds the condition must hold before firing (the rule's `for_secs`). */
  readonly for_secs: number;
  readonly generatorURL: string;
}

/**
 * Everything one rule found active in one evaluation. It replaces that rule's previous set: an
 * alert of the rule whose labels are missing here is over.
 */
export interface ConditionSet {
  /** The rule's key (`ruleKey`), stable across restarts. */
  readonly rule: string;
  readonly conditions: readonly Condition[];
}

/** Presentation settings shared by all rules. */
export interface RuleOptions {
  /**
   * Template of each alert's `generatorURL`, e.g. a Grafana dashboard link
   * `https://grafana/d/drift?var-monitor={{ monitor }}`; `{{ name }}` takes a label's or an
   * annotation's value, URL-encoded. Default: empty.
   */
  readonly generator_url?: string;
  /** How many features `top_features` lists (default 5). */
  readonly top_features?: number;
}

/** What a rule type's evaluation gets besides its rule, the result and the rule's state. */
export interface RuleContext {
  /** The monitor's name (the `monitor` label). */
  readonly monitor: string;
  readonly options: RuleOptions;
  /**
   * Builds a condition of the rule: its labels under the built-in ones (`alertname`, `monitor`,
   * `severity`) and `own` over them, the annotations with the rule's overrides expanded, and
   * `value` as the `value` annotation.
   */
  condition(own: Record<string, string>, annotations: Record<string, string>, value: number): Condition;
}

/**
 * A rule type a monitor kind brings for its results (`feature_drift` for drift monitors, ...):
 * its config schema, its default alertname, and how a result becomes the rule's active
 * conditions. The alerting stage knows rule types only through this, so a new kind brings its
 * rules without a change there.
 */
export interface AlertRuleKind<
  R = unknown,
  C extends AlertRuleCommon & { readonly type: string } = AlertRuleConfig,
> {
  /** The rule's `type` in the config. */
  readonly type: string;
  /** The `alertname` label when the rule has no `name`. */
  readonly alertname: string;
  /**
   * The JSON Schema of a rule of this type (draft-07, `type` a `const`, every property
   * described); `alertRuleSchema` adds the keys every rule has.
   */
  readonly schema: Readonly<Record<string, unknown>>;
  /**
   * The full set of the rule's active conditions after this result, or null when the result
   * does not concern the rule (its previous set stands). May update `state` (counters of
   * `consecutive_windows`, the last window counted); it is the rule's own copy.
   */
  evaluate(rule: C, result: R, state: RuleState, context: RuleContext): Condition[] | null;
  /**
   * True for a result driven by the clock rather than by a window (a freshness check at a
   * tick): its conditions are kept in a set of their own (`clockKey`), so that a closing window
   * does not resolve them, nor they the window's.
   */
  clock?(result: R): boolean;
}

/** What the alerting stage needs of a monitor kind: its `type` and the rule types it brings. */
export interface AlertingKind<R = unknown> {
  readonly type: string;
  // biome-ignore lint/suspicious/noExplicitAny: each rule type reads its own config shape, checked by its schema.
  readonly alertRules?: readonly AlertRuleKind<R, any>[];
}

/** An alert as Alertmanager's API v2 takes it (`POST /api/v2/alerts`). */
export interface Alert {
  readonly labels: Labels;
  readonly annotations: Annotations;
  /** RFC 3339: when the alert started firing. */
  readonly startsAt: string;
  /** RFC 3339: when it resolved, or, while firing, when an Alertmanager may consider it resolved unless re-sent. */
  readonly endsAt: string;
  readonly generatorURL: string;
}

/** Where an alert is in its lifecycle (an inactive alert is not kept). */
export type AlertState = "pending" | "firing";

/** One tracked alert in the engine's state (times in epoch milliseconds). */
export interface AlertRecord {
  readonly labels: Labels;
  annotations: Annotations;
  value: number;
  state: AlertState;
  for_secs: number;
  generator_url: string;
  /** When the condition was first seen (start of `pending`). */
  readonly active_at: number;
  /** When it started firing, null while pending. */
  fired_at: number | null;
  /** When it was last sent, null if never. */
  last_sent_at: number | null;
}

/** Checkpointed state of the alert engine: plain JSON. */
export interface AlertEngineState {
  readonly version: 1;
  /** Fingerprints each rule last reported active, by rule key. */
  readonly rules: Record<string, string[]>;
  /** Pending and firing alerts, by label fingerprint. */
  readonly alerts: Record<string, AlertRecord>;
}

/** Checkpointed state of one rule: consecutive-window counters and the last window counted. */
export interface RuleState {
  /** Windows in a row each label set's condition held (feature name, detector, or "" for the dataset). */
  counters: Record<string, number>;
  /** Index of the last window counted, so a replayed window is not counted twice. */
  last_index: number | null;
}

/** Checkpointed state of a monitor's rules, by rule key. */
export type RulesState = Record<string, RuleState>;
