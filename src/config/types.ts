import type { FromSchema } from "json-schema-to-ts";
import type { AlertingSettings } from "../alerts/config.js";
import type { NotifierConfig } from "../alerts/notifiers/types.js";
import type { ChecksMonitorConfig } from "../checks/config.js";
import type { DriftMonitorConfig } from "../drift/config.js";
import type { MultivariateMonitorConfig } from "../multivariate/config.js";
import type { OnlineMonitorConfig } from "../online/config.js";
import type { OutlierMonitorConfig } from "../outliers/config.js";
import type { PerformanceMonitorConfig } from "../performance/config.js";
import type { SourceConfig } from "../sources/config.js";
import type { featureSchema, metricsSchema, stateSchema } from "./sections.js";

// The configuration's type, composed of the types its components make from their own schema
// branches (src/<kind>/config.ts, src/sources/config.ts, src/alerts/) and of this folder's sections
// (`sections.ts`): every type here comes from the schema the loader applies, nothing is written
// twice. A monitor kind registered as an extension is checked by its schema and typed by itself.

export type { ChecksMonitorConfig } from "../checks/config.js";
export type { DriftMonitorConfig, ReferenceConfig } from "../drift/config.js";
export type { MultivariateMonitorConfig } from "../multivariate/config.js";
export type { OnlineMonitorConfig } from "../online/config.js";
export type { OutlierMonitorConfig, OutlierScorerConfig } from "../outliers/config.js";
export type { PerformanceMonitorConfig } from "../performance/config.js";
export type {
  DeadLetterConfig,
  FileSourceConfig,
  HttpSourceConfig,
  KafkaSourceConfig,
  SourceConfig,
} from "../sources/config.js";
export type { WindowConfig } from "../windows/config.js";

/** A feature: a JSON pointer into one source's events. */
export type FeatureConfig = FromSchema<typeof featureSchema>;

/** A monitor of any built-in kind, told apart by `type`. */
export type MonitorConfig =
  | DriftMonitorConfig
  | OutlierMonitorConfig
  | MultivariateMonitorConfig
  | OnlineMonitorConfig
  | PerformanceMonitorConfig
  | ChecksMonitorConfig;

/** The whole configuration file. */
export interface Config {
  readonly sources: Readonly<Record<string, SourceConfig>>;
  readonly features: Readonly<Record<string, FeatureConfig>>;
  readonly monitors: Readonly<Record<string, MonitorConfig>>;
  /** The Prometheus endpoint. */
  readonly metrics?: FromSchema<typeof metricsSchema>;
  /** Where state is checkpointed (`persist_timeout_secs`: how long a full disk is waited out). */
  readonly state?: FromSchema<typeof stateSchema>;
  /** How alerts are repeated, resolved and linked. */
  readonly alerting?: AlertingSettings;
  /** Where alerts are sent. */
  readonly notifiers?: readonly NotifierConfig[];
}
