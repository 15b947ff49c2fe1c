import { showValue, suggest } from "../errors.js";
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

/** The unexpected rows of a map expectation over one window. */
interface MapTally {
  element: number;
  missing: number;
  unexpected: number;
  /** The unexpected values (column: value; pair: [a, b]; multicolumn: {col: value}). */
  values: unknown[];
  /** The unexpected rows' indices in the table. */
  rows: number[];
}

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
    const built = this.build();
    this.run = built.run;
    this.checkRow = built.checkRow;
  }

  /** `row` expectations judge each event alone; `window` ones need the whole window. */
  get level(): "row" | "window" {
    return this.definition.kind === "row" ? "row" : "window";
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
    const expectation_config = {
      type: this.definition.type,
      kwargs: this.config.kwargs,
      ...(this.config.meta === undefined ? {} : { meta: this.config.meta }),
      ...(this.config.notes === undefined ? {} : { notes: this.config.notes }),
      severity: this.config.severity ?? "fail",
    };
    try {
      const { success, ...result } = this.run(table, options);
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

  private build(): {
    run: CompiledExpectation["run"];
    checkRow: CompiledExpectation["checkRow"];
  } {
    const d = this.definition;
    const k = this.kwargs;
    const mostly = (k.mostly as number | undefined) ?? 1;
    const condition = this.condition;
    const inCondition = (get: (c: string) => unknown) => condition === null || condition.test(get);
    const mapResult = (tally: MapTally, table: TableView, format: ResultFormatOptions, hashable: boolean) =>
      this.mapResult(tally, table, format, mostly, hashable);
    switch (d.kind) {
      case "row": {
        if (d.domain === "column") {
          const predicate = d.compile(k);
          const column = k.column as string;
          const includeNulls = d.nulls === "include";
          return {
            run: (table, format) => {
              const values = table.column(column);
              const tally: MapTally = { element: 0, missing: 0, unexpected: 0, values: [], rows: [] };
              for (const r of this.rowsOf(table)) {
                tally.element++;
                const v = values[r];
                if (!includeNulls && (v === null || v === undefined)) tally.missing++;
                else if (!predicate(v ?? null)) {
                  tally.unexpected++;
                  tally.values.push(v ?? null);
                  tally.rows.push(r);
                }
              }
              return mapResult(tally, table, format, true);
            },
            checkRow: (get) => {
              if (!inCondition(get)) return null;
              const v = get(column);
              if (!includeNulls && (v === null || v === undefined)) return null;
              return predicate(v ?? null);
            },
          };
        }
        if (d.domain === "column_pair") {
          const predicate = d.compile(k);
          const [a, b] = this.domainColumns;
          const ignore = k.ignore_row_if as string;
          const ignored = (x: unknown, y: unknown) => {
            const [mx, my] = [x === null || x === undefined, y === null || y === undefined];
            return ignore === "both_values_are_missing"
              ? mx && my
              : ignore === "either_value_is_missing"
                ? mx || my
                : false;
          };
          return {
            run: (table, format) => {
              const [xs, ys] = [table.column(a), table.column(b)];
              const tally: MapTally = { element: 0, missing: 0, unexpected: 0, values: [], rows: [] };
              for (const r of this.rowsOf(table)) {
                tally.element++;
                const [x, y] = [xs[r] ?? null, ys[r] ?? null];
                if (ignored(x, y)) tally.missing++;
                else if (!predicate(x, y)) {
                  tally.unexpected++;
                  tally.values.push([x, y]);
                  tally.rows.push(r);
                }
              }
              return mapResult(tally, table, format, false);
            },
            checkRow: (get) => {
              if (!inCondition(get)) return null;
              const [x, y] = [get(a) ?? null, get(b) ?? null];
              return ignored(x, y) ? null : predicate(x, y);
            },
          };
        }
        if (d.domain === "multicolumn") {
          const predicate = d.compile(k);
          const columns = this.domainColumns;
          const ignored = multicolumnIgnore(k.ignore_row_if as string);
          return {
            run: (table, format) => {
              const data = columns.map((c) => table.column(c));
              const tally: MapTally = { element: 0, missing: 0, unexpected: 0, values: [], rows: [] };
              for (const r of this.rowsOf(table)) {
                tally.element++;
                const row = data.map((values) => values[r] ?? null);
                if (ignored(row)) tally.missing++;
                else if (!predicate(row)) {
                  tally.unexpected++;
                  tally.values.push(Object.fromEntries(columns.map((c, i) => [c, row[i]])));
                  tally.rows.push(r);
                }
              }
              return mapResult(tally, table, format, false);
            },
            checkRow: (get) => {
              if (!inCondition(get)) return null;
              const row = columns.map((c) => get(c) ?? null);
              return ignored(row) ? null : predicate(row);
            },
          };
        }
        throw new Error("unreachable");
      }
      case "window_map": {
        if (d.domain === "column") {
          const unexpectedOf = d.compile(k);
          const column = k.column as string;
          return {
            run: (table, format) => {
              const values = table.column(column);
              const tally: MapTally = { element: 0, missing: 0, unexpected: 0, values: [], rows: [] };
              const kept: unknown[] = [];
              const rows: number[] = [];
              for (const r of this.rowsOf(table)) {
                tally.element++;
                const v = values[r];
                if (v === null || v === undefined) tally.missing++;
                else {
                  kept.push(v);
                  rows.push(r);
                }
              }
              const flags = unexpectedOf(kept);
              for (let i = 0; i < kept.length; i++) {
                if (!flags[i]) continue;
                tally.unexpected++;
                tally.values.push(kept[i]);
                tally.rows.push(rows[i]);
              }
              return mapResult(tally, table, format, true);
            },
            checkRow: null,
          };
        }
        const unexpectedOf = d.compile(k);
        const columns = this.domainColumns;
        const ignored = multicolumnIgnore(k.ignore_row_if as string);
        return {
          run: (table, format) => {
            const data = columns.map((c) => table.column(c));
            const tally: MapTally = { element: 0, missing: 0, unexpected: 0, values: [], rows: [] };
            const kept: unknown[][] = [];
            const rows: number[] = [];
            for (const r of this.rowsOf(table)) {
              tally.element++;
              const row = data.map((values) => values[r] ?? null);
              if (ignored(row)) tally.missing++;
              else {
                kept.push(row);
                rows.push(r);
              }
            }
            const flags = unexpectedOf(kept);
            for (let i = 0; i < kept.length; i++) {
              if (!flags[i]) continue;
              tally.unexpected++;
              tally.values.push(Object.fromEntries(columns.map((c, j) => [c, kept[i][j]])));
              tally.rows.push(rows[i]);
            }
            return mapResult(tally, table, format, false);
          },
          checkRow: null,
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
            checkRow: null,
          };
        }
        const aggregate = d.compile(k);
        return {
          run: (table) => aggregateBody(aggregate(table)),
          checkRow: null,
        };
      }
    }
  }

  private mapResult(
    tally: MapTally,
    table: TableView,
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
    const indexColumns = format.unexpected_index_column_names;
    const indexData = indexColumns?.map((c) => [c, table.column(c)] as const);
    const domain = this.domainColumns;
    const index = tally.rows.map((r, i) => {
      if (indexData === undefined) return r;
      const entry: Record<string, unknown> = {};
      for (const [c, values] of indexData) entry[c] = values[r];
      const value = tally.values[i];
      if (domain.length === 1) entry[domain[0]] = value;
      else if (Array.isArray(value)) for (const [j, c] of domain.entries()) entry[c] = value[j];
      else Object.assign(entry, value);
      return entry;
    });
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
