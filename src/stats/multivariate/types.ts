/**
 * Shared shapes of the multivariate drift tests: tests over a vector feature (an embedding) or a
 * set of numeric features taken together. Pure like the rest of `src/stats`: same rows and seed,
 * same result, no clock and no I/O, so `report` and the daemon give identical numbers.
 */

/** n rows of `dim` numbers, row-major: row i is `data[i * dim .. (i + 1) * dim)`. Never NaN. */
export interface Rows {
  readonly n: number;
  readonly dim: number;
  readonly data: Float64Array;
}

/** The outcome of a multivariate test on one window against the reference. */
export interface MultivariateResult {
  /** The test statistic (MMD², the smallest corrected p-value's KS D, the mean reconstruction error, AUC). */
  readonly statistic: number;
  /** The p-value for hypothesis tests; null for tests decided by a threshold. */
  readonly pValue: number | null;
  /** What `statistic` or `pValue` was compared with (alpha, or the threshold from reference chunks). */
  readonly threshold: number;
  /** Whether the window drifted by this test's own rule. */
  readonly drift: boolean;
  /**
   * Test-specific detail for reports, plain JSON: bandwidth, permutations, components kept,
   * per-dimension results, the features that separate the two samples, lower/upper thresholds.
   */
  readonly details: Readonly<Record<string, unknown>>;
}

/** What a test is run with besides the rows. */
export interface RunContext {
  /** Significance level of p-value tests. */
  readonly alpha: number;
  /** Seed of every random draw (permutations, projections, folds); recorded in the result. */
  readonly seed: number;
  /** Names of the `dim` columns (`x`, `y`, or `embedding[0]` …), for details that name them. */
  readonly names: readonly string[];
}

/**
 * A multivariate drift test, registered by the name used in config (`test: mmd`).
 *
 * `O` is its options object (the config's `options`, with defaults filled in); `F` what it learns
 * from the reference once (a PCA, a bandwidth, thresholds from reference chunks): plain JSON data,
 * so it can be cached with the reference and checkpointed.
 */
export interface MultivariateTest<O = Record<string, unknown>, F = unknown> {
  /** The registry name (`mmd`, `ks_reduced`, `pca_reconstruction`, `classifier`). */
  readonly name: string;
  /** One-line description for `list` and docs. */
  readonly description: string;
  /** How it decides: a p-value below alpha, or a statistic outside thresholds. */
  readonly decision: "p_value" | "threshold";
  /** JSON Schema of its `options` object (`additionalProperties: false`, each key described). */
  readonly optionsSchema: Readonly<Record<string, unknown>>;
  /** Its options with every default filled in from a partial options object from config. */
  options(partial: Readonly<Record<string, unknown>>): O;
  /** Learns what it needs from the reference rows (at least 2 rows; `dim` ≥ 1). */
  fit(reference: Rows, options: O, context: RunContext): F;
  /** Compares a window's rows (at least 2) with the reference it was fitted on. */
  run(fitted: F, reference: Rows, current: Rows, options: O, context: RunContext): MultivariateResult;
}
