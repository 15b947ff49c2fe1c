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

/** A drift test or distance, registered by the name used in config and CLI flags. */
export interface DriftTest {
  /** The registry name (`ks`, `chi2`, `psi`, ...). */
  readonly name: string;
  /** Column kinds the test accepts. */
  readonly kinds: readonly ("numeric" | "categorical")[];
  /** `p_value`: drift when p < alpha; `distance`: drift when statistic >= threshold. */
  readonly decision: "p_value" | "distance";
  /** Default threshold for distances (ignored for p-value tests, which use alpha). */
  readonly defaultThreshold?: number;
  /** One-line description for `list` and docs. */
  readonly description: string;
  /** Runs the test; both samples are of a kind listed in `kinds`. */
  run(reference: ColumnSample, current: ColumnSample): TestResult;
}
