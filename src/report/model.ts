import type { SegmentVerdict } from "../drift/scope.js";
import type { InvalidUtf8 } from "../io/utf8.js";
import type { ClassificationMetrics, RegressionMetrics } from "../performance/types.js";
import type { ColumnDistances, ColumnHistogram } from "../stats/types.js";

/**
 * The drift report document: plain data produced by the engine and formatted by the renderers
 * (JSON, Markdown, HTML). Its JSON form is described by `schemas/drift-report.schema.json`.
 */

// The distances and histogram of a column are what the statistics compute; they are defined with
// them (stats imports nothing above it) and re-exported here as part of the report document.
export type { ColumnDistances, ColumnHistogram } from "../stats/types.js";

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

/** Model quality of the reference and the current data, from their label and prediction columns. */
export interface ModelQuality {
  readonly task: "classification" | "regression";
  /** Why the task is what it is: "given by --task", or the rule that decided it from the data. */
  readonly task_reason: string;
  readonly target: string;
  readonly prediction: string;
  readonly score: string | null;
  /** Every class's probability column (`--probabilities`), or null. */
  readonly probabilities: readonly { readonly label: string; readonly column: string }[] | null;
  /** Positive class for ROC AUC, log loss and calibration (classification with scores). */
  readonly positive: string | null;
  readonly reference: ClassificationMetrics | RegressionMetrics;
  readonly current: ClassificationMetrics | RegressionMetrics;
  /** Rows left out because the label or the prediction was missing (or not a number, for regression). */
  readonly skipped_rows: { readonly reference: number; readonly current: number };
}

/** Outliers of the current rows against scorers fitted on the reference rows. */
export interface OutlierSection {
  /** The numeric columns that make a row. */
  readonly features: readonly string[];
  readonly rows: number;
  readonly scorers: readonly {
    readonly scorer: string;
    readonly threshold: number;
    readonly outliers: number;
    readonly ratio: number;
    /** The most extreme current rows (1-based data row numbers), highest score first. */
    readonly top: readonly { readonly row: number; readonly score: number }[];
  }[];
}

/** A data file the report read. */
export interface InputFile {
  readonly path: string;
  readonly rows: number;
  /**
   * Records (rows, lines, array elements; Parquet string values) that were not valid UTF-8, read
   * with U+FFFD in place of each invalid sequence and used; absent when there were none.
   */
  readonly invalid_utf8?: InvalidUtf8;
}

/** The whole report. */
export interface DriftReport {
  readonly columns: readonly ColumnReport[];
  readonly dataset: DatasetSummary;
  /** Columns left out of the comparison and why (timestamps, ignored, all missing, ...). */
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
  /** Where the data came from (file names and row counts). */
  readonly inputs: {
    readonly reference: InputFile;
    readonly current: InputFile;
  };
  readonly generated_by: string;
  /** Columns given a role with --target, --prediction and --score; their drift is target and prediction drift. */
  readonly roles?: {
    readonly target?: string;
    readonly prediction?: string;
    readonly score?: string;
    readonly probabilities?: readonly string[];
  };
  /** With --target and --prediction. */
  readonly quality?: ModelQuality;
  /** With --outliers. */
  readonly outliers?: OutlierSection;
  /** With --suite: each expectation suite run over the current data. */
  readonly checks?: readonly ChecksSection[];
  /** With --segment-by: the comparison cut by a column's values; `columns` and `dataset` are then the pooled comparison. */
  readonly segments?: SegmentsReport;
}

/** One segment's comparison: the rows of its value in each file, column by column. */
export interface SegmentSection {
  /** The segment's value, or `__other__`. */
  readonly segment: string;
  /** Rows of the segment in each file. */
  readonly rows: { readonly reference: number; readonly current: number };
  readonly columns: readonly ColumnReport[];
  readonly dataset: DatasetSummary;
  /** Columns not compared within the segment (no values on a side), and why. */
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
}

/** `report --segment-by`: the comparison cut by the values of one column. */
export interface SegmentsReport {
  /** The segment column. */
  readonly by: string;
  /** Segments of their own at most: the values with the most reference rows (ties by value). */
  readonly max_segments: number;
  /** Current rows pooled in `__other__` because their value has no segment of its own. */
  readonly overflow_rows: number;
  /** The dataset-level verdict: the pooled comparison (the report's columns) and the segments'. */
  readonly verdict: SegmentVerdict;
  /** The segments, most reference rows first, `__other__` last when it has rows. */
  readonly segments: readonly SegmentSection[];
}

/** One expectation's outcome in a suite run over the current data (GE's result, flattened). */
export interface ExpectationOutcome {
  /** GE's expectation type, e.g. `expect_column_values_to_be_between`. */
  readonly type: string;
  /** The columns the expectation is about (none for table expectations). */
  readonly columns: readonly string[];
  readonly kwargs: Readonly<Record<string, unknown>>;
  /** `fail` decides the suite's verdict; `warn` is reported only. */
  readonly severity: "warn" | "fail";
  readonly success: boolean;
  /** Aggregate and table expectations: what was measured. */
  readonly observed_value?: unknown;
  /** Rows in the domain, missing values among them (column and map expectations). */
  readonly element_count?: number;
  readonly missing_count?: number;
  /** Map expectations: unexpected values, their share of the non-missing ones (percent), the first few. */
  readonly unexpected_count?: number;
  readonly unexpected_percent?: number | null;
  readonly partial_unexpected_list?: readonly unknown[];
  /** GE's `details` (mismatched columns, value counts...). */
  readonly details?: Readonly<Record<string, unknown>>;
  /** Why the expectation could not be evaluated (a missing column, a stream-only check), or null. */
  readonly error: string | null;
}

/** An expectation suite run over the current data (`--suite`). */
export interface ChecksSection {
  /** The suite's name. */
  readonly suite: string;
  /** The suite file, as given. */
  readonly file: string;
  /** True when every `fail`-severity expectation succeeded. */
  readonly success: boolean;
  readonly statistics: {
    readonly evaluated_expectations: number;
    readonly successful_expectations: number;
    readonly unsuccessful_expectations: number;
    readonly success_percent: number | null;
  };
  readonly expectations: readonly ExpectationOutcome[];
}
