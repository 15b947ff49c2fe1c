import type { FromSchema } from "json-schema-to-ts";
import type { NotifierConfig } from "./notifiers/types.js";
import type { alertingSchema } from "./schema.js";
import type { AlertRuleConfig } from "./types.js";

// What the alerting reads of the configuration, owned here beside it: `src/config/types.ts` uses
// these types for its `alerting` section, and the whole config satisfies {@link AlertingConfig}, so
// the alerting never imports config/.

/** The top-level `alerting` section: how alerts are repeated, resolved and linked (its schema's type). */
export type AlertingSettings = FromSchema<typeof alertingSchema>;

/** The alerting's input: each monitor's alert rules, the `alerting` section and the notifiers. */
export interface AlertingConfig {
  /** The monitors by name; one without `alerts` has no rules. */
  readonly monitors: Readonly<Record<string, { readonly alerts?: readonly AlertRuleConfig[] }>>;
  readonly alerting?: AlertingSettings;
  /** Where alerts are sent. */
  readonly notifiers?: readonly NotifierConfig[];
}
