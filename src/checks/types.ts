/**
 * Expectations in Great Expectations' (GE 1.x) language: the names, keyword arguments and result
 * objects of GE, evaluated over a table, which in driftwatch is the window of a stream (or a
 * whole file in `driftwatch report`). A column is a feature of the event: a JSON pointer, or a
 * top-level field by name.
 *
 * Every expectation is a definition in the registry. Its arguments are checked once when the suite
 * is loaded, and it compiles once to plain closures; evaluation only calls them.
 */

/** GE's result formats, from the least to the most detailed. */
export type ResultFormat = "BOOLEAN_ONLY" | "BASIC" | "SUMMARY" | "COMPLETE";

/** A result format with its options, as GE accepts it (`{result_format, partial_unexpected_count, ...}`). */
export interface ResultFormatOptions {
  readonly result_format: ResultFormat;
  /** Length of `partial_unexpected_list` (GE's default 20). */
  readonly partial_unexpected_count: number;
  /** Extra columns whose values each `unexpected_index_list` entry carries (GE's runner uses `pk_index`). */
  readonly unexpected_index_column_names?: readonly string[];
}

/** Keyword arguments of an expectation, after validation and defaults. */
export type Kwargs = Readonly<Record<string, unknown>>;

/** The kinds an argument may take (JSON values, checked when a suite is loaded). */
export type ArgKind =
  | "number"
  | "integer"
  | "string"
  | "boolean"
  | "array"
  | "object"
  /** A number, a string or a date-time (compared in the column's own order). */
  | "comparable"
  | "any";

/** One keyword argument of an expectation. */
export interface ArgSpec {
  readonly kind: ArgKind | readonly ArgKind[];
  readonly required?: boolean;
  /** `null` is accepted and means "not given" (GE accepts null for optional bounds). */
  readonly nullable?: boolean;
  readonly default?: unknown;
  /** Allowed values, for enumerations such as `ignore_row_if`. */
  readonly oneOf?: readonly unknown[];
  /** Inclusive numeric range. */
  readonly min?: number;
  readonly max?: number;
}

/**
 * An expectation's arguments cannot be used or its data cannot be evaluated (GE reports these in
 * `exception_info` when `catch_exceptions` is on). The message is one line for the user.
 */
export class ExpectationError extends Error {
  override readonly name = "ExpectationError";
}

/** A value test applied to each row (`true` = expected). */
export type ValuePredicate = (value: unknown) => boolean;

/** What a column aggregate or table expectation computes over a window. */
export interface AggregateOutcome {
  readonly success: boolean;
  readonly observed_value: unknown;
  /** GE's `details` (value counts, partitions, ...). */
  readonly details?: Readonly<Record<string, unknown>>;
}

interface DefinitionCommon {
  /** GE's expectation type, e.g. `expect_column_values_to_be_between`. */
  readonly type: string;
  /** One sentence for `driftwatch list` and error messages. */
  readonly description: string;
  /** Expectation-specific keyword arguments (the common ones are added by the registry). */
  readonly args: Readonly<Record<string, ArgSpec>>;
  /**
   * Cross-argument checks beyond `args` (e.g. "min_value or max_value is required"); throws
   * ExpectationError. Called once at load.
   */
  readonly validate?: (kwargs: Kwargs) => void;
}

/**
 * A column map expectation whose verdict on a row depends only on that row's value
 * (`..._to_be_between`, `..._to_match_regex`). Compiles once into a predicate; the engine drops
 * missing values first (`nulls: "skip"`, GE's default), or hands every value over
 * (`nulls: "include"`, for `..._to_be_null` / `..._to_not_be_null`).
 */
export interface ColumnMapDefinition extends DefinitionCommon {
  readonly domain: "column";
  readonly kind: "row";
  readonly nulls?: "skip" | "include";
  compile(kwargs: Kwargs): ValuePredicate;
}

/**
 * A column map expectation whose verdict on a row needs the rest of the window
 * (`..._to_be_unique`, z-scores, increasing / decreasing). Given the column's non-missing values
 * in row order, returns which of them are unexpected.
 */
export interface ColumnWindowMapDefinition extends DefinitionCommon {
  readonly domain: "column";
  readonly kind: "window_map";
  compile(kwargs: Kwargs): (values: readonly unknown[]) => ArrayLike<boolean>;
}

/** A column aggregate (mean, quantiles, distinct values, KL divergence...) over a window. */
export interface ColumnAggregateDefinition extends DefinitionCommon {
  readonly domain: "column";
  readonly kind: "aggregate";
  /**
   * Compiles the arguments into an evaluator over the column's values in row order, missing
   * values (`null`) included; most aggregates ignore them, as GE does.
   */
  compile(kwargs: Kwargs): (values: readonly unknown[]) => AggregateOutcome;
}

/** A map over two columns (`expect_column_pair_values_...`); `ignore_row_if` is applied by the engine. */
export interface ColumnPairMapDefinition extends DefinitionCommon {
  readonly domain: "column_pair";
  readonly kind: "row";
  compile(kwargs: Kwargs): (a: unknown, b: unknown) => boolean;
}

/** A map over several columns of one row (`expect_multicolumn_sum_to_equal`). */
export interface MulticolumnMapDefinition extends DefinitionCommon {
  readonly domain: "multicolumn";
  readonly kind: "row";
  compile(kwargs: Kwargs): (values: readonly unknown[]) => boolean;
}

/** A map over several columns that needs the whole window (`expect_compound_columns_to_be_unique`). */
export interface MulticolumnWindowMapDefinition extends DefinitionCommon {
  readonly domain: "multicolumn";
  readonly kind: "window_map";
  /** Given the kept rows (each the list of the columns' values), returns which are unexpected. */
  compile(kwargs: Kwargs): (rows: readonly (readonly unknown[])[]) => ArrayLike<boolean>;
}

/** A table expectation (row count, column set...) over a window. */
export interface TableDefinition extends DefinitionCommon {
  readonly domain: "table";
  readonly kind: "aggregate";
  compile(kwargs: Kwargs): (table: TableView) => AggregateOutcome;
}

export type ExpectationDefinition =
  | ColumnMapDefinition
  | ColumnWindowMapDefinition
  | ColumnAggregateDefinition
  | ColumnPairMapDefinition
  | MulticolumnMapDefinition
  | MulticolumnWindowMapDefinition
  | TableDefinition;

/** What table expectations see of a window. */
export interface TableView {
  readonly rows: number;
  /** The table's columns in first-seen order (an event's top-level fields, for a stream). */
  readonly columns: readonly string[];
  /** A column's values in row order; `null` where the row lacks it. */
  column(name: string): readonly unknown[];
  /** What a stream adds to a window (times, field shapes, history), for the stream expectations. */
  readonly context?: StreamContext;
}

/**
 * What the daemon knows about a window beyond its rows, for the expectations GE has no notion of
 * (freshness, schema change, volume). Absent when a file is validated.
 */
export interface StreamContext {
  /** When the window is evaluated (ms since the epoch). */
  readonly now: number;
  /** Per row, seconds from the event's own time to its arrival; null when it has none. */
  readonly lag_secs?: readonly (number | null)[];
  /** Arrival time of the source's latest event (ms), null before any. */
  readonly last_arrival: number | null;
  /** The window's fields: JSON pointer → JSON types seen (`null` included). */
  readonly fields?: ReadonlyMap<string, ReadonlySet<string>>;
  /** The reference's fields, the same way; null while the reference is still being collected. */
  readonly reference_fields?: ReadonlyMap<string, ReadonlySet<string>> | null;
  /** Event counts of the windows before this one, oldest first. */
  readonly history?: readonly number[];
  /** The window's length in seconds for time windows, null for count windows. */
  readonly window_secs?: number | null;
}

/**
 * One expectation's result, shaped as GE's `ExpectationValidationResult` so that GE users (and
 * GE's own tests) read it as they know it.
 */
export interface ExpectationResult {
  readonly success: boolean;
  readonly expectation_config: {
    readonly type: string;
    readonly kwargs: Readonly<Record<string, unknown>>;
    readonly meta?: Readonly<Record<string, unknown>>;
    readonly notes?: unknown;
    readonly severity?: "warn" | "fail";
  };
  readonly result: ExpectationResultBody;
  readonly exception_info: {
    readonly raised_exception: boolean;
    readonly exception_message: string | null;
  };
}

/** The `result` member: which keys appear depends on the expectation's kind and the result format. */
export interface ExpectationResultBody {
  observed_value?: unknown;
  element_count?: number;
  missing_count?: number;
  missing_percent?: number | null;
  unexpected_count?: number;
  unexpected_percent?: number | null;
  unexpected_percent_total?: number | null;
  unexpected_percent_nonmissing?: number | null;
  partial_unexpected_list?: unknown[];
  partial_unexpected_index_list?: unknown[];
  partial_unexpected_counts?: { value: unknown; count: number }[];
  unexpected_list?: unknown[];
  unexpected_index_list?: unknown[];
  details?: Readonly<Record<string, unknown>>;
}
