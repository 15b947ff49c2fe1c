import { alertsSlot, type ConfigOf, positiveInt, referenceFile, referenceFirst } from "../monitors/schema.js";

// An online drift monitor's configuration: its type and its JSON Schema branch, owned here beside
// the monitor.

/** The schema branch of an online drift monitor's entry; `alerts` is filled in by {@link onlineConfigSchema}. */
export const onlineSchema = {
  type: "object",
  additionalProperties: false,
  required: ["type", "reference", "ert", "window_sizes"],
  properties: {
    type: {
      const: "online_drift",
      description:
        "tests every event of one feature against a reference, with thresholds calibrated to an expected run time between false alarms",
    },
    feature: {
      type: "string",
      description:
        "the feature tested: numeric (detector cvm), categorical with its `positive` category counted as 1 (fet), or a vector (mmd); or name `features` instead",
    },
    features: {
      type: "array",
      minItems: 2,
      uniqueItems: true,
      items: { type: "string" },
      description:
        "two or more numeric features of one source taken together as rows (detector mmd), instead of `feature`",
    },
    detector: {
      enum: ["cvm", "fet", "mmd"],
      description:
        "cvm (Cramér-von Mises, alibi-detect's CVMDriftOnline) for a numeric feature, fet (Fisher's exact test of a proportion, FETDriftOnline) for a binary one, mmd (kernel MMD, MMDDriftOnline) for a vector or a set; default by what is tested",
    },
    positive: {
      type: ["string", "number", "boolean"],
      description:
        "fet: the value counted as 1 (a category's text, or a number or boolean as the event carries it); default: true and 1 are 1, false and 0 are 0, anything else is invalid",
    },
    reference: {
      type: "object",
      required: ["type"],
      discriminator: { propertyName: "type" },
      oneOf: [referenceFile, referenceFirst],
    },
    ert: {
      type: "number",
      exclusiveMinimum: 1,
      description:
        "expected run time: the mean number of events between false alarms on a stationary stream (the false-alarm rate per event is 1/ert)",
    },
    window_sizes: {
      type: "array",
      minItems: 1,
      maxItems: 16,
      uniqueItems: true,
      items: { ...positiveInt, maximum: 100000 },
      description:
        "sizes of the windows of the last events each tested against the reference (small react fast, large see small changes); mmd takes one",
    },
    n_bootstraps: {
      ...positiveInt,
      maximum: 1000000,
      description:
        "simulated streams behind the thresholds (default 10000 for cvm and fet, 1000 for mmd as alibi-detect; ideally at least 10 × ert)",
    },
    bandwidth: {
      type: "number",
      exclusiveMinimum: 0,
      description:
        "mmd: the RBF kernel's bandwidth in the rows' units (default: the median heuristic on the reference)",
    },
    sample: {
      ...positiveInt,
      maximum: 20000,
      description:
        "mmd: reference rows kept (default 1000; a bounded sample by a hash of each row, as a multivariate monitor keeps; the detector's kernel is sample × sample)",
    },
    alternative: {
      enum: ["greater", "less"],
      description: "fet: which way the proportion of 1s must move to count (default greater)",
    },
    lam: {
      type: "number",
      exclusiveMinimum: 0,
      maximum: 1,
      description: "fet: weight of the newest statistic in its moving average (default 0.99)",
    },
    ties: {
      enum: ["auto", "count", "break"],
      description:
        "cvm: equal values share an ECDF step (count, alibi-detect's) or are ordered by seeded random keys (break); auto breaks them when one value holds more than a tenth of the reference, where counting gives far more false alarms than ert says (default auto)",
    },
    simulation: {
      enum: ["conditional", "marginal"],
      description:
        "fet: simulate streams given the reference's count of 1s (conditional, alibi-detect's; default) or redraw it in each stream (marginal, with t_max about 2 × ert)",
    },
    t_max: {
      ...positiveInt,
      maximum: 1000000,
      description: "fet: length of the simulated streams (default 2 × the largest window − 1)",
    },
    seed: {
      type: "integer",
      minimum: 0,
      maximum: 4294967295,
      description: "seed of the threshold simulation (default 0); the same seed gives the same thresholds",
    },
    alerts: alertsSlot,
  },
} as const;

/** An online drift monitor's config entry (its type is its schema's). */
export type OnlineMonitorConfig = ConfigOf<typeof onlineSchema>;

/** The schema branch of the config entry, with `alerts` the schema of its rule types. */
export function onlineConfigSchema(alerts: object): Record<string, unknown> {
  return { ...onlineSchema, properties: { ...onlineSchema.properties, alerts } };
}
