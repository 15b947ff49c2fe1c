import type { AlertingSettings } from "../alerts/config.js";
import type { NotifierConfig } from "../alerts/notifiers/types.js";
import type { ChecksMonitorConfig } from "../checks/config.js";
import type { DriftMonitorConfig } from "../drift/config.js";
import type { OutlierMonitorConfig } from "../outliers/config.js";
import type { PerformanceMonitorConfig } from "../performance/config.js";
import type { SourceConfig } from "../sources/config.js";

// Windows and monitor kinds own theirs (src/windows/config.ts, src/<kind>/config.ts).
export type { ChecksMonitorConfig } from "../checks/config.js";
export type { DriftMonitorConfig, ReferenceConfig } from "../drift/config.js";
export type { OutlierMonitorConfig, OutlierScorerConfig } from "../outliers/config.js";
export type { PerformanceMonitorConfig } from "../performance/config.js";
// Sources own their configuration types (src/sources/config.ts); re-exported for the config's users.
export type {
  DeadLetterConfig,
  FileSourceConfig,
  HttpSourceConfig,
  KafkaSourceConfig,
  SourceConfig,
} from "../sources/config.js";
export type { WindowConfig } from "../windows/config.js";

/** A feature: a JSON pointer into one source's events. */
export interface FeatureConfig {
  readonly source: string;
  readonly path: string;
  readonly type: "numeric" | "categorical";
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
  readonly alerting?: AlertingSettings;
  /** Where alerts are sent. */
  readonly notifiers?: readonly NotifierConfig[];
}
