/**
 * The drift report document: plain data produced by the engine and formatted by the renderers
 * (JSON, Markdown, HTML). Its JSON form is described by `schemas/drift-report.schema.json`.
 */

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

/** Per-column result. */
export interface ColumnReport {
  readonly name: string;
  readonly kind: "numeric" | "categorical";
  /** Registry name of the test that decided drift. */
  readonly test: string;
  readonly statistic: number;
  /** Raw p-value (null for distance tests). */
  readonly p_value: number | null;
  /** p-value after the multiple-testing correction (null for distance tests). */
  readonly p_value_adjusted: number | null;
  /** alpha for p-value tests, the distance threshold otherwise. */
  readonly threshold: number;
  readonly drift: boolean;
  readonly n_reference: number;
  readonly n_current: number;
  readonly missing_reference: number;
  readonly missing_current: number;
  readonly distances: ColumnDistances;
  /** Test details (KS method, chi-square degrees of freedom, excluded categories, ...). */
  readonly details: Readonly<Record<string, unknown>>;
  readonly only_in_reference?: readonly string[];
  readonly only_in_current?: readonly string[];
  readonly histogram: ColumnHistogram;
}

/** Dataset-level verdict. */
export interface DatasetSummary {
  readonly columns: number;
  readonly drifted_columns: number;
  readonly share: number;
  readonly drift_share: number;
  readonly drift: boolean;
  readonly alpha: number;
  readonly correction: "none" | "bonferroni" | "fdr";
}

/** The whole report. */
export interface DriftReport {
  readonly columns: readonly ColumnReport[];
  readonly dataset: DatasetSummary;
  /** Columns left out of the comparison and why (timestamps, ignored, all missing, ...). */
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
  /** Where the data came from (file names and row counts). */
  readonly inputs: {
    readonly reference: { readonly path: string; readonly rows: number };
    readonly current: { readonly path: string; readonly rows: number };
  };
  readonly generated_by: string;
}
