import { showValue, suggest } from "../errors.js";
import {
  addOutcome,
  EXPECTED,
  emptyTally,
  MISSING,
  type RowOutcome,
  SKIPPED,
  type TallyState,
} from "../windows/tally.js";
import { checkArgs } from "./args.js";
import { type CompiledCondition, compileCondition } from "./condition.js";
import { definitions } from "./registry.js";
import {
  type AggregateOutcome,
  type ExpectationDefinition,
  ExpectationError,
  type ExpectationResult,
  type ExpectationResultBody,
  type Kwargs,
  type ResultFormat,
  type ResultFormatOptions,
  type TableView,
  type ValuePredicate,
} from "./types.js";

/** An expectation as a suite writes it (GE 1.x: `type`, `kwargs`, `meta`, `notes`; plus ours). */
export interface ExpectationConfig {
  readonly type: string;
  readonly kwargs: Readonly<Record<string, unknown>>;
  readonly meta?: Readonly<Record<string, unknown>>;
  readonly notes?: unknown;
  /** `fail` (default) decides the suite's verdict; `warn` is reported only. */
  readonly severity?: "warn" | "fail";
  /** Events failing this row-level expectation go to the dead-letter destination (daemon). */
  readonly dead_letter?: boolean;
}

/** GE's default length of `partial_unexpected_list`. */
export const PARTIAL_UNEXPECTED_COUNT = 20;

/** Reads `result_format` as GE does: a name, or an object with the name and options. */
export function resultFormatOf(value: unknown, fallback: ResultFormatOptions): ResultFormatOptions {
  if (typeof value === "string") return { ...fallback, result_format: value as ResultFormat };
  if (value !== null && typeof value === "object") {
    const v = value as Record<string, unknown>;
    return {
      result_format: (v.result_format as ResultFormat | undefined) ?? fallback.result_format,
      partial_unexpected_count:
        typeof v.partial_unexpected_count === "number"
          ? v.partial_unexpected_count
          : fallback.partial_unexpected_count,
      unexpected_index_column_names:
        (v.unexpected_index_column_names as string[] | undefined) ?? fallback.unexpected_index_column_names,
    };
  }
  return fallback;
}

const DEFAULT_FORMAT: ResultFormatOptions = {
  result_format: "BASIC",
  partial_unexpected_count: PARTIAL_UNEXPECTED_COUNT,
};

/** The unexpected rows of a map expectation over one window (`index`: row numbers, or event ids). */
type MapTally = Pick<TallyState, "element" | "missing" | "unexpected" | "values" | "index">;

function percent(part: number, whole: number): number | null {
  return whole > 0 ? (part / whole) * 100 : null;
}

/** `partial_unexpected_counts`: value counts, most frequent first (ties by value), GE's order. */
function valueCounts(values: readonly unknown[], limit: number): { value: unknown; count: number }[] {
  const counts = new Map<string, { value: unknown; count: number }>();
  for (const value of values) {
    const key = typeof value === "string" ? `s${value}` : `j${JSON.stringify(value)}`;
    const seen = counts.get(key);
    if (seen) seen.count++;
    else counts.set(key, { value, count: 1 });
  }
  return [...counts.values()]
    .sort((a, b) => b.count - a.count || compareValues(a.value, b.value))
    .slice(0, limit);
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const [x, y] = [String(a), String(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * A loaded expectation: arguments checked, closures compiled. `evaluate` runs it over a window
 * (the same code for `driftwatch report`, the daemon's windows and the GE conformance runner);
 * `checkRow` gives a row-level expectation's verdict on a single event as it arrives.
 */
export class CompiledExpectation {
  /** Columns the expectation reads (its domain and its row condition). */
  readonly columns: readonly string[];
  /** The domain's columns, in the order of the expectation's arguments. */
  readonly domainColumns: readonly string[];
  private readonly condition: CompiledCondition | null;
  private readonly format: ResultFormatOptions;
  private readonly run: (
    table: TableView,
    format: ResultFormatOptions,
  ) => ExpectationResultBody & {
    success: boolean;
  };
  /** Per-event verdict for row-level expectations: true, false, or null when the row is out of its domain. */
  readonly checkRow: ((get: (column: string) => unknown) => boolean | null) | null;
  /** Row-level expectations judge each event alone (`bind`, `checkRow`); the others need the window. */
  readonly rowLevel: boolean;
  /** A row-level definition's predicate, compiled once at load. */
  private readonly judge:
    | ValuePredicate
    | ((a: unknown, b: unknown) => boolean)
    | ((values: readonly unknown[]) => boolean)
    | null;

  constructor(
    readonly config: ExpectationConfig,
    readonly definition: ExpectationDefinition,
    readonly kwargs: Kwargs,
  ) {
    const k = kwargs;
    this.domainColumns =
      definition.domain === "column"
        ? [k.column as string]
        : definition.domain === "column_pair"
          ? [k.column_A as string, k.column_B as string]
          : definition.domain === "multicolumn"
            ? (k.column_list as string[])
            : [];
    this.condition =
      typeof k.row_condition === "string" && k.row_condition !== ""
        ? compileCondition(k.row_condition, (k.condition_parser as string | undefined) ?? "pandas")
        : null;
    this.columns = [...new Set([...this.domainColumns, ...(this.condition?.columns ?? [])])];
    this.format = resultFormatOf(k.result_format, DEFAULT_FORMAT);
    definition.validate?.(kwargs);
    this.rowLevel = definition.kind === "row";
    this.judge = definition.kind === "row" ? definition.compile(kwargs) : null;
    const built = this.build();
    this.run = built.run;
    if (this.rowLevel) {
      let current: (column: string) => unknown = () => undefined;
      const observe = this.bind((c) => () => current(c));
      this.checkRow = (get) => {
        current = get;
        const outcome = observe();
        return outcome === SKIPPED || outcome === MISSING ? null : outcome === EXPECTED;
      };
    } else this.checkRow = null;
  }

  /** How many unexpected values (and their index entries) a result lists. */
  get partialLimit(): number {
    return this.format.partial_unexpected_count;
  }

  get type(): string {
    return this.definition.type;
  }

  /** Where the result goes in metrics and reports: the domain's columns joined, or "" for a table. */
  get feature(): string {
    return this.domainColumns.join(",");
  }

  /**
   * Evaluates over a window. An error (a comparison GE refuses, a missing column) becomes the
   * result's `exception_info` when `catch_exceptions` is on (the default), as in GE.
   */
  evaluate(table: TableView, format?: Partial<ResultFormatOptions>): ExpectationResult {
    const options = { ...this.format, ...format };
    return this.envelope(options, () => this.run(table, options));
  }

  /** GE's result envelope around a computation; its ExpectationError becomes `exception_info`. */
  private envelope(
    options: ResultFormatOptions,
    compute: () => ExpectationResultBody & { success: boolean },
  ): ExpectationResult {
    const expectation_config = {
      type: this.definition.type,
      kwargs: this.config.kwargs,
      ...(this.config.meta === undefined ? {} : { meta: this.config.meta }),
      ...(this.config.notes === undefined ? {} : { notes: this.config.notes }),
      severity: this.config.severity ?? "fail",
    };
    try {
      const { success, ...result } = compute();
      return {
        success,
        expectation_config,
        result: options.result_format === "BOOLEAN_ONLY" ? {} : result,
        exception_info: { raised_exception: false, exception_message: null },
      };
    } catch (error) {
      if (!(error instanceof ExpectationError) || this.kwargs.catch_exceptions === false) throw error;
      return {
        success: false,
        expectation_config,
        result: {},
        exception_info: { raised_exception: true, exception_message: error.message },
      };
    }
  }

  /** Rows of the table the expectation applies to (all, or those its row condition keeps). */
  private rowsOf(table: TableView): ArrayLike<number> & Iterable<number> {
    // A plain loop: `Array.from({ length }, fn)` costs about 40 ns a row (0.4 ms per 10 000-row
    // window, for every map expectation), 20 times this.
    const all: number[] = new Array(table.rows);
    for (let i = 0; i < all.length; i++) all[i] = i;
    const condition = this.condition;
    if (condition === null) return all;
    const columns = new Map(condition.columns.map((c) => [c, table.column(c)]));
    let row = 0;
    const get = (c: string) => (columns.get(c) as readonly unknown[])[row];
    return all.filter((r) => {
      row = r;
      return condition.test(get);
    });
  }

  private build(): { run: CompiledExpectation["run"] } {
    const d = this.definition;
    const k = this.kwargs;
    const mostly = (k.mostly as number | undefined) ?? 1;
    const mapResult = (
      tally: MapTally,
      indexOf: (i: number) => unknown,
      format: ResultFormatOptions,
      hashable: boolean,
    ) => this.mapResult(tally, indexOf, format, mostly, hashable);
    switch (d.kind) {
      case "row": {
        const hashable = d.domain === "column";
        return {
          run: (table, format) => {
            // The daemon's per-event judgement, bound to a row cursor: one code for files and streams.
            let r = 0;
            const observe = this.bind((c) => {
              const values = table.column(c);
              return () => values[r];
            });
            const tally = emptyTally(Number.POSITIVE_INFINITY);
            for (r = 0; r < table.rows; r++) addOutcome(tally, observe(), r);
            if (tally.error !== null) throw new ExpectationError(tally.error);
            return mapResult(tally, this.rowIndex(table, format, tally), format, hashable);
          },
        };
      }
      case "window_map": {
        // Both domains: keep the rows in the domain (a column's present values, or rows of several
        // columns `ignore_row_if` keeps), let the definition flag the unexpected ones among them.
        const columns = this.domainColumns;
        const single = d.domain === "column";
        const flagsOf = d.compile(k) as (kept: readonly unknown[]) => ArrayLike<boolean>;
        const ignored = single
          ? (row: readonly unknown[]) => row[0] === null
          : multicolumnIgnore(k.ignore_row_if as string);
        return {
          run: (table, format) => {
            const data = columns.map((c) => table.column(c));
            const tally: MapTally = { element: 0, missing: 0, unexpected: 0, values: [], index: [] };
            const kept: unknown[] = [];
            const rows: number[] = [];
            for (const r of this.rowsOf(table)) {
              tally.element++;
              const row = data.map((values) => values[r] ?? null);
              if (ignored(row)) tally.missing++;
              else {
                kept.push(single ? row[0] : row);
                rows.push(r);
              }
            }
            const flags = flagsOf(kept);
            for (let i = 0; i < kept.length; i++) {
              if (!flags[i]) continue;
              tally.unexpected++;
              const value = kept[i];
              tally.values.push(
                single ? value : Object.fromEntries(columns.map((c, j) => [c, (value as unknown[])[j]])),
              );
              tally.index.push(rows[i]);
            }
            return mapResult(tally, this.rowIndex(table, format, tally), format, single);
          },
        };
      }
      case "aggregate": {
        if (d.domain === "column") {
          const aggregate = d.compile(k);
          const column = k.column as string;
          return {
            run: (table) => {
              const values = table.column(column);
              const rows = this.condition === null ? null : this.rowsOf(table);
              const kept = rows === null ? values : Array.from(rows, (r) => values[r]);
              let missing = 0;
              for (const v of kept) if (v === null || v === undefined) missing++;
              const outcome = aggregate(kept);
              return {
                ...aggregateBody(outcome),
                element_count: kept.length,
                missing_count: missing,
                missing_percent: percent(missing, kept.length),
              };
            },
          };
        }
        const aggregate = d.compile(k);
        return {
          run: (table) => aggregateBody(aggregate(table)),
        };
      }
    }
  }

  /**
   * Binds a row-level expectation to where rows come from: `read(column)` is called once per
   * column here and returns the reader of that column's value in the current row. The result
   * judges the current row: the definition's predicate (compiled once, at load) behind the row
   * condition, null handling (`nulls`, `ignore_row_if`) and error capture. The daemon binds it to
   * the event being added, a file's evaluation to its row cursor: one code for both.
   */
  bind(read: (column: string) => () => unknown): () => RowOutcome {
    const d = this.definition;
    const k = this.kwargs;
    const judge = this.judge;
    if (d.kind !== "row" || judge === null) throw new Error(`${d.type} judges whole windows`);
    const condition = this.condition;
    // null when every row is in the domain: one test per row saved on the common path.
    let outside: (() => boolean) | null = null;
    if (condition !== null) {
      const readers = new Map(condition.columns.map((c) => [c, read(c)]));
      const get = (c: string) => (readers.get(c) as () => unknown)();
      outside = () => !condition.test(get);
    }
    const guarded = (test: () => RowOutcome): RowOutcome => {
      try {
        return test();
      } catch (error) {
        if (error instanceof ExpectationError) return { error: error.message };
        throw error;
      }
    };
    if (d.domain === "column") {
      const predicate = judge as ValuePredicate;
      const value = read(k.column as string);
      const includeNulls = d.nulls === "include";
      return () => {
        if (outside?.()) return SKIPPED;
        const v = value() ?? null;
        if (v === null && !includeNulls) return MISSING;
        try {
          return predicate(v) ? EXPECTED : { unexpected: v };
        } catch (error) {
          if (error instanceof ExpectationError) return { error: error.message };
          throw error;
        }
      };
    }
    if (d.domain === "column_pair") {
      const predicate = judge as (a: unknown, b: unknown) => boolean;
      const [a, b] = this.domainColumns.map(read);
      const ignore = k.ignore_row_if as string;
      return () => {
        if (outside?.()) return SKIPPED;
        const x = a() ?? null;
        const y = b() ?? null;
        const ignored =
          ignore === "both_values_are_missing"
            ? x === null && y === null
            : ignore === "either_value_is_missing"
              ? x === null || y === null
              : false;
        if (ignored) return MISSING;
        return guarded(() => (predicate(x, y) ? EXPECTED : { unexpected: [x, y] }));
      };
    }
    const predicate = judge as (values: readonly unknown[]) => boolean;
    const columns = this.domainColumns;
    const readers = columns.map(read);
    const ignored = multicolumnIgnore(k.ignore_row_if as string);
    // One row array for every call: predicates do not keep it, and an unexpected row is copied.
    const row: unknown[] = new Array(readers.length).fill(null);
    return () => {
      if (outside?.()) return SKIPPED;
      for (let i = 0; i < readers.length; i++) row[i] = readers[i]() ?? null;
      if (ignored(row)) return MISSING;
      return guarded(() =>
        predicate(row) ? EXPECTED : { unexpected: Object.fromEntries(columns.map((c, i) => [c, row[i]])) },
      );
    };
  }

  /**
   * The result of a row-level expectation from a window's tally (the daemon keeps tallies, not
   * columns, for these): the same result `evaluate` gives on the window's rows, with the unexpected
   * values kept (the tally's limit) and the events' ids as index entries.
   */
  fromTally(tally: TallyState, format?: Partial<ResultFormatOptions>): ExpectationResult {
    const options = { ...this.format, ...format };
    const mostly = (this.kwargs.mostly as number | undefined) ?? 1;
    return this.envelope(options, () => {
      if (tally.error !== null) throw new ExpectationError(tally.error);
      return this.mapResult(
        tally,
        (i) => tally.index[i],
        options,
        mostly,
        this.definition.domain === "column",
      );
    });
  }

  /**
   * Index entries of a file's unexpected rows: the row number, or (with GE's
   * `unexpected_index_column_names`) an object of those columns' values plus the domain's values.
   */
  private rowIndex(table: TableView, format: ResultFormatOptions, tally: MapTally): (i: number) => unknown {
    const indexColumns = format.unexpected_index_column_names;
    if (indexColumns === undefined) return (i) => tally.index[i];
    const indexData = indexColumns.map((c) => [c, table.column(c)] as const);
    const domain = this.domainColumns;
    return (i) => {
      const r = tally.index[i] as number;
      const entry: Record<string, unknown> = {};
      for (const [c, values] of indexData) entry[c] = values[r];
      const value = tally.values[i];
      if (domain.length === 1) entry[domain[0]] = value;
      else if (Array.isArray(value)) for (const [j, c] of domain.entries()) entry[c] = value[j];
      else Object.assign(entry, value);
      return entry;
    };
  }

  private mapResult(
    tally: MapTally,
    indexOf: (i: number) => unknown,
    format: ResultFormatOptions,
    mostly: number,
    hashable: boolean,
  ): ExpectationResultBody & { success: boolean } {
    const nonmissing = tally.element - tally.missing;
    const success = nonmissing === 0 || (nonmissing - tally.unexpected) / nonmissing >= mostly;
    const body: ExpectationResultBody & { success: boolean } = {
      success,
      element_count: tally.element,
      missing_count: tally.missing,
      missing_percent: percent(tally.missing, tally.element),
      unexpected_count: tally.unexpected,
      unexpected_percent: percent(tally.unexpected, nonmissing),
      unexpected_percent_total: percent(tally.unexpected, tally.element),
      unexpected_percent_nonmissing: percent(tally.unexpected, nonmissing),
      partial_unexpected_list: tally.values.slice(0, format.partial_unexpected_count),
    };
    if (format.result_format === "BASIC") return body;
    const index = tally.values.map((_, i) => indexOf(i));
    body.partial_unexpected_index_list = index.slice(0, format.partial_unexpected_count);
    if (hashable) body.partial_unexpected_counts = valueCounts(tally.values, format.partial_unexpected_count);
    if (format.result_format === "SUMMARY") return body;
    body.unexpected_list = tally.values;
    body.unexpected_index_list = index;
    return body;
  }
}

function multicolumnIgnore(mode: string): (row: readonly unknown[]) => boolean {
  if (mode === "any_value_is_missing") return (row) => row.some((v) => v === null);
  if (mode === "never") return () => false;
  return (row) => row.every((v) => v === null);
}

function aggregateBody(outcome: AggregateOutcome): ExpectationResultBody & { success: boolean } {
  return {
    success: outcome.success,
    observed_value: outcome.observed_value,
    ...(outcome.details === undefined ? {} : { details: outcome.details }),
  };
}

/** Looks up a definition by GE name; unknown names get the nearest valid one. */
export function definitionOf(type: string): ExpectationDefinition {
  const definition = definitions.get(type);
  if (definition === undefined)
    throw new ExpectationError(
      `unknown expectation ${showValue(type)}${suggest(type, [...definitions.keys()])}`,
    );
  return definition;
}

/**
 * Loads one expectation: checks its name and arguments and compiles it. Throws ExpectationError
 * with every argument problem (the suite loader reports them with file, path and line instead).
 */
export function compileExpectation(config: ExpectationConfig): CompiledExpectation {
  const definition = definitionOf(config.type);
  const { kwargs, problems } = checkArgs(definition, config.kwargs);
  if (problems.length > 0)
    throw new ExpectationError(
      problems.map((p) => `kwargs${p.path.replaceAll("/", ".")}: ${p.message}`).join("; "),
    );
  return new CompiledExpectation(config, definition, kwargs);
}
