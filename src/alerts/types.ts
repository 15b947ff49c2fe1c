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

/** Drift of individual features (drift monitors): one alert per drifting feature. */
export interface FeatureDriftRule extends AlertRuleCommon {
  readonly type: "feature_drift";
  /** Windows in a row a feature must drift in before the condition holds (default 1). */
  readonly consecutive_windows?: number;
  /** Only these features (default: every feature of the monitor). */
  readonly features?: readonly string[];
}

/** Dataset drift (drift monitors): the share of drifted features reached the monitor's `drift_share`. */
export interface DatasetDriftRule extends AlertRuleCommon {
  readonly type: "dataset_drift";
  /** Windows in a row the dataset must drift in (default 1). */
  readonly consecutive_windows?: number;
}

/** Model metrics whose higher values are better, the ones `performance_below` can bound. */
export type BoundedMetric =
  | "accuracy"
  | "macro_precision"
  | "macro_recall"
  | "macro_f1"
  | "roc_auc"
  | "roc_auc_ovr"
  | "r2";

/** A model metric fell below a bound (performance monitors). */
export interface PerformanceBelowRule extends AlertRuleCommon {
  readonly type: "performance_below";
  readonly metric: BoundedMetric;
  /** A declared slice, or `all` (default). */
  readonly slice?: string;
  /** The closed window's metrics (default) or the cumulative ones since start. */
  readonly scope?: "window" | "cumulative";
  /** The condition holds while the metric's estimate is below this. */
  readonly below: number;
  /** Joined pairs the scope must hold before its estimate is trusted (default 1). */
  readonly min_pairs?: number;
}

/** A concept-drift detector fired (performance monitors). */
export interface ConceptDriftRule extends AlertRuleCommon {
  readonly type: "concept_drift";
  /** Only these detector types (default: every detector of the monitor). */
  readonly detectors?: readonly string[];
}

/** A scorer's outlier ratio in a window went above a bound (outlier monitors). */
export interface OutlierRatioAboveRule extends AlertRuleCommon {
  readonly type: "outlier_ratio_above";
  /** Only this scorer (default: each scorer of the monitor, one alert each). */
  readonly scorer?: string;
  /** The condition holds while the window's outlier ratio is above this, in [0, 1]. */
  readonly above: number;
}

/** An expectation failed in a window (checks monitors): one alert per expectation and column. */
export interface ExpectationFailedRule extends AlertRuleCommon {
  readonly type: "expectation_failed";
  /** Only these expectation types (default: all of the suite's). */
  readonly expectations?: readonly string[];
  /** Also alert on `warn`-severity expectations (default false). */
  readonly include_warn?: boolean;
  /** Windows in a row the expectation must fail in (default 1). */
  readonly consecutive_windows?: number;
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

/** One alert rule of a monitor, by `type`. */
export type AlertRuleConfig =
  | FeatureDriftRule
  | DatasetDriftRule
  | PerformanceBelowRule
  | ConceptDriftRule
  | OutlierRatioAboveRule
  | ExpectationFailedRule
  | SourceSilentRule;

/** A rule type name. */
export type AlertRuleType = AlertRuleConfig["type"];

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
