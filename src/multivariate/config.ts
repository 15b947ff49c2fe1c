import {
  alertsSlot,
  type ConfigOf,
  featureList,
  positiveInt,
  referenceFile,
  referenceFirst,
} from "../monitors/schema.js";
import { type MultivariateTestName, multivariateTests } from "../stats/multivariate/registry.js";
import { windowSchema as window } from "../windows/config.js";

// A multivariate monitor's configuration: its type and its JSON Schema branch, owned here beside
// the monitor. Test names and each test's `options` come from the registry, so a new test is
// accepted here without an edit.

/** Rows kept of the reference and of each window when the config names none. */
export const DEFAULT_SAMPLE = 1000;

/** The schema branch of a multivariate monitor's entry, without the per-test `options` schemas. */
export const multivariateSchema = {
  type: "object",
  additionalProperties: false,
  required: ["type", "features", "test", "reference", "window"],
  properties: {
    type: {
      const: "multivariate",
      description: "drift of several features taken together, or of a vector feature (an embedding)",
    },
    features: featureList(
      "one vector feature, or two or more numeric features taken together as a set; all of one source",
    ),
    test: {
      enum: Object.keys(multivariateTests) as MultivariateTestName[],
      description: "the multivariate test (`driftwatch list` describes each)",
    },
    options: {
      type: "object",
      description: "the test's own options (each test's keys and defaults: `driftwatch list`)",
    },
    reference: {
      type: "object",
      required: ["type"],
      discriminator: { propertyName: "type" },
      oneOf: [referenceFile, referenceFirst],
    },
    window,
    sample: {
      ...positiveInt,
      maximum: 100000,
      description: `rows kept of the reference and of each window (default ${DEFAULT_SAMPLE}): a bounded sample, the same whatever the order or split of the rows; results say when a test ran on a sample`,
    },
    seed: {
      type: "integer",
      minimum: 0,
      maximum: 4294967295,
      description: "seed of the sample, the permutations, projections and folds (default 0)",
    },
    alpha: {
      type: "number",
      exclusiveMinimum: 0,
      maximum: 1,
      description: "significance level of p-value tests (default 0.05)",
    },
    alerts: alertsSlot,
  },
} as const;

/** A multivariate monitor's config entry (its type is its schema's). */
export type MultivariateMonitorConfig = ConfigOf<typeof multivariateSchema>;

/**
 * The schema branch of the config entry, with `alerts` the schema of its rule types and `options`
 * checked against the chosen test's own options schema.
 */
export function multivariateConfigSchema(alerts: object): Record<string, unknown> {
  return {
    ...multivariateSchema,
    properties: { ...multivariateSchema.properties, alerts },
    allOf: Object.entries(multivariateTests).map(([name, test]) => ({
      if: { required: ["test"], properties: { test: { const: name } } },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword.
      then: { properties: { options: test.optionsSchema } },
    })),
  };
}
