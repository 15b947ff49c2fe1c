import type { NotifierConfig } from "../alerts/notifiers/types.js";
import type { AlertRuleConfig } from "../alerts/types.js";
import type { DriftOptions } from "../drift/evaluate.js";
import type { SourceConfig } from "../sources/config.js";
import type { WindowConfig } from "../windows/config.js";

// Sources own their configuration types (src/sources/config.ts); re-exported for the config's users.
export type {
  DeadLetterConfig,
  FileSourceConfig,
  HttpSourceConfig,
  KafkaSourceConfig,
  SourceConfig,
} from "../sources/config.js";
// Windows own theirs (src/windows/config.ts).
export type { WindowConfig } from "../windows/config.js";

/** A feature: a JSON pointer into one source's events. */
export interface FeatureConfig {
  readonly source: string;
  readonly path: string;
  readonly type: "numeric" | "categorical";
}

/** Where a drift monitor's reference comes from. */
export type ReferenceConfig =
  | { readonly type: "file"; readonly path: string }
  | { readonly type: "profile"; readonly path: string }
  | { readonly type: "first"; readonly events: number };

/** A drift monitor: the report's engine applied to windows of a stream. */
export interface DriftMonitorConfig extends Partial<DriftOptions> {
  /** Alert rules on this monitor's results. */
  readonly alerts?: readonly AlertRuleConfig[];
  readonly type: "drift";
  readonly features: readonly string[];
  readonly reference: ReferenceConfig;
  readonly window: WindowConfig;
  /** Cron expression (node-cron) for extra evaluations of the open window. */
  readonly schedule?: string;
  /** JSON pointer to an event id; a window keeps its first ids as samples for alerts. */
  readonly id?: string;
}

/** One outlier scorer of a monitor: its registry name, its threshold, and its own params. */
export interface OutlierScorerConfig {
  readonly type: "robust_z" | "iqr" | "mahalanobis" | "isolation_forest";
  /** Percentile of the reference scores (default 99) or an explicit value. */
  readonly threshold?: { readonly percentile?: number; readonly value?: number };
  readonly [param: string]: unknown;
}

/** An outlier monitor: scores every event against models fitted on a reference. */
export interface OutlierMonitorConfig {
  readonly type: "outliers";
  /** Alert rules on this monitor's results. */
  readonly alerts?: readonly AlertRuleConfig[];
  /** Numeric features of one source, in the order rows are built. */
  readonly features: readonly string[];
  readonly reference:
    | { readonly type: "file"; readonly path: string }
    | { readonly type: "first"; readonly events: number };
  /** Default: robust_z and isolation_forest. */
  readonly scorers?: readonly OutlierScorerConfig[];
  /** Tumbling windows over which outlier ratios are reported. */
  readonly window:
    | { readonly type: "tumbling"; readonly events: number }
    | { readonly type: "tumbling"; readonly duration_secs: number; readonly time?: "event" | "processing" };
  /** JSON pointer to an event id, kept for the most extreme events of each window. */
  readonly id?: string;
  /** How many of the most extreme events each window keeps per scorer (default 10). */
  readonly top?: number;
}

/** A performance monitor: predictions joined with late labels, windowed model metrics, detectors. */
export interface PerformanceMonitorConfig {
  readonly type: "performance";
  /** Alert rules on this monitor's results. */
  readonly alerts?: readonly AlertRuleConfig[];
  readonly task: "classification" | "regression";
  /** Where predictions come from: JSON pointers for the id, the predicted label (or value) and an optional score. */
  readonly predictions: {
    readonly source: string;
    readonly id: string;
    readonly label: string;
    readonly score?: string;
  };
  /** Where ground truth comes from: JSON pointers for the id and the true label (or value). */
  readonly labels: { readonly source: string; readonly id: string; readonly label: string };
  /** How long a prediction waits for its label (and the reverse), and how many may wait per side. */
  readonly join?: { readonly ttl_secs?: number; readonly max_pending?: number };
  /** Tumbling windows of joined pairs, by count or by (processing) time. */
  readonly window:
    | { readonly type: "tumbling"; readonly events: number }
    | { readonly type: "tumbling"; readonly duration_secs: number };
  /** Declarative slices on features of the predictions source. */
  readonly slices?: Readonly<Record<string, import("../performance/types.js").Slice>>;
  /** Concept-drift detectors on the error stream (0/1 misclassification, or absolute error). */
  readonly detectors?: readonly ({ readonly type: string } & Readonly<Record<string, unknown>>)[];
  /** Positive class for ROC AUC, log loss and calibration of binary scores. */
  readonly positive?: string;
  /** Confidence level of the intervals (default 0.95). */
  readonly level?: number;
}

/**
 * A checks monitor: an expectation suite (GE's format) run over one source's events. Row-level
 * expectations judge every event; aggregate, table and stream expectations judge each window.
 */
export interface ChecksMonitorConfig {
  readonly type: "checks";
  /** Alert rules on this monitor's results. */
  readonly alerts?: readonly AlertRuleConfig[];
  /** The source whose events the suite validates. */
  readonly source: string;
  /** The suite file (YAML or JSON, GE's suite format), relative to the config file. */
  readonly suite: string;
  /** The windows to evaluate over, or `{ same_as: <drift monitor> }` to use that monitor's. */
  readonly window: WindowConfig | { readonly same_as: string };
  /** Events whose fields are the reference of `expect_schema_to_match_reference` (default: the first window). */
  readonly reference?: { readonly type: "file"; readonly path: string };
  /** JSON pointer to an event id; a window keeps its first ids as samples for alerts. */
  readonly id?: string;
}

export type MonitorConfig =
  | DriftMonitorConfig
  | OutlierMonitorConfig
  | PerformanceMonitorConfig
  | ChecksMonitorConfig;

/** The whole configuration file. */
export interface Config {
  readonly sources: Readonly<Record<string, SourceConfig>>;
  readonly features: Readonly<Record<string, FeatureConfig>>;
  readonly monitors: Readonly<Record<string, MonitorConfig>>;
  readonly metrics?: { readonly listen: string };
  readonly state?: {
    readonly dir: string;
    readonly checkpoint_interval_secs?: number;
    /**
     * How long shutdown retries its final checkpoint, and a `--once` replay waits, while state
     * cannot be written (a full disk); then the daemon exits with an error (default 20).
     */
    readonly persist_timeout_secs?: number;
  };
  /** How alerts are repeated, resolved and linked. */
  readonly alerting?: {
    readonly repeat_interval_secs?: number;
    readonly resolve_timeout_secs?: number;
    readonly evaluation_interval_secs?: number;
    readonly generator_url?: string;
    readonly top_features?: number;
  };
  /** Where alerts are sent. */
  readonly notifiers?: readonly NotifierConfig[];
}
