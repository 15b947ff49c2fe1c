/**
 * Shared shapes of the statistics core. Everything in `src/stats` is pure: same input, same
 * output, no clock and no I/O, so the CLI report and the daemon give identical numbers.
 */

/** A numeric column sample, ascending, without missing values (NaN never appears). */
export type SortedSample = Float64Array;

/** Counts per category of a categorical column, without missing values. */
export type CategoryCounts = ReadonlyMap<string, number>;

/** One side of a comparison: what a test needs to know about a column. */
export type ColumnSample =
  | { readonly kind: "numeric"; readonly sorted: SortedSample }
  | { readonly kind: "categorical"; readonly counts: CategoryCounts };

/** The outcome of one statistical test or distance on one column. */
export interface TestResult {
  /** The test statistic (KS D, chi-square, PSI, distance, z, ...). */
  readonly statistic: number;
  /** The p-value for hypothesis tests; null for distances. */
  readonly pValue: number | null;
  /** Test-specific detail for reports (method used, degrees of freedom, excluded categories, ...). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** What every drift test and distance has, registered by the name used in config and CLI flags. */
interface DriftTestCommon {
  /** The registry name (`ks`, `chi2`, `psi`, ...). */
  readonly name: string;
  /** Column kinds the test accepts. */
  readonly kinds: readonly ("numeric" | "categorical")[];
  /** One-line description for `list` and docs. */
  readonly description: string;
  /** Runs the test; both samples are of a kind listed in `kinds`. */
  run(reference: ColumnSample, current: ColumnSample): TestResult;
}

/** A hypothesis test: drift when the (corrected) p-value is below alpha and the effect reaches `min_effect`. */
export interface PValueTest extends DriftTestCommon {
  readonly decision: "p_value";
  /**
   * The effect size the `min_effect` floor is compared with (e.g. KS D, Cramér's V), from the
   * result and the two sample sizes; null when the result does not define one. Required, so that
   * a new test cannot silently never drift under `min_effect`.
   */
  effectSize(result: TestResult, nReference: number, nCurrent: number): number | null;
}

/** A distance: drift when the statistic reaches the threshold. */
export interface DistanceTest extends DriftTestCommon {
  readonly decision: "distance";
  /** Threshold used when the config or flags give none. */
  readonly defaultThreshold: number;
}

/** A drift test or distance, registered by the name used in config and CLI flags. */
export type DriftTest = PValueTest | DistanceTest;

/** Distances computed on the shared bins of a column (absent where undefined for its kind). */
export interface ColumnDistances {
  /** scipy.stats.wasserstein_distance on the raw values (numeric columns only). */
  readonly wasserstein?: number;
  /** Population Stability Index, zero proportions replaced by 1e-4. */
  readonly psi: number;
  /** Jensen–Shannon distance, natural logarithm (scipy.spatial.distance.jensenshannon). */
  readonly jensen_shannon: number;
  /** Hellinger distance. */
  readonly hellinger: number;
}

/** Shared bins of a column with the proportion of each side in every bin, for plots. */
export type ColumnHistogram =
  | {
      readonly kind: "numeric";
      /** Interior cut points (reference deciles, duplicates dropped); bins are right-closed with open outer ends. */
      readonly cuts: readonly number[];
      /** Smallest and largest value seen on either side, to draw the open outer bins. */
      readonly range: readonly [number, number];
      readonly reference: readonly number[];
      readonly current: readonly number[];
    }
  | {
      readonly kind: "categorical";
      readonly categories: readonly string[];
      readonly reference: readonly number[];
      readonly current: readonly number[];
    };
