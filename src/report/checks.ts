import { fieldsOf, jsonType, shapeOf } from "../checks/expectations/stream.js";
import { type Suite, type SuiteResult, validateSuite } from "../checks/suite.js";
import { ColumnTable } from "../checks/table.js";
import type { ExpectationResult, StreamContext } from "../checks/types.js";
import { parseDecimal } from "../io/columns.js";
import { defaultReadLimits, type ReadLimits } from "../io/limits.js";
import type { RawValue } from "../io/raw.js";
import { formatOf, type InputFormat, readTable } from "../io/read.js";
import type { Table } from "../io/table.js";
import type { InvalidUtf8 } from "../io/utf8.js";
import type { ChecksSection, ExpectationOutcome } from "./model.js";

/**
 * Expectation suites over data files, for `driftwatch report --suite` and `driftwatch suggest`:
 * a file's rows as the JSON-like values expectations judge, and the report's `checks` section.
 */

/** A cell as expectations see it. */
export type JsonValue = string | number | boolean | null;

/** A data file's values, column by column, in file order. */
export interface DataColumns {
  readonly path: string;
  /** Every column of the file, in file order (first appearance for JSON). */
  readonly names: readonly string[];
  readonly rows: number;
  /** Column name → its values in row order, `null` where missing. */
  readonly columns: ReadonlyMap<string, readonly JsonValue[]>;
  /** Records that were not valid UTF-8 (read with U+FFFD), when there were any. */
  readonly invalidUtf8?: InvalidUtf8;
}

const BOOLEAN_TEXT = /^(?:true|false)$/i;

/**
 * Types a CSV column's text as JSON values, the whole column alike: numbers when every value is
 * a decimal number (as `report` decides a numeric column), booleans when every value is
 * `true`/`false` in any case (as pandas reads them), the text itself otherwise.
 *
 * @example
 * typeTextColumn(["1", null, "2.5"]) // [1, null, 2.5]
 * typeTextColumn(["1", "a"])         // ["1", "a"]
 */
export function typeTextColumn(values: readonly (string | null)[]): JsonValue[] {
  const present = values.filter((v): v is string => v !== null);
  if (present.length > 0 && present.every((v) => !Number.isNaN(parseDecimal(v))))
    return values.map((v) => (v === null ? null : parseDecimal(v)));
  if (present.length > 0 && present.every((v) => BOOLEAN_TEXT.test(v)))
    return values.map((v) => (v === null ? null : v.toLowerCase() === "true"));
  return [...values];
}

/**
 * Reads a data file (CSV, TSV, JSON Lines, JSON array, Parquet; the readers `report` uses) into
 * columns of JSON-like values: JSON and Parquet values as they are (nested values as their JSON
 * text), CSV text typed per column by `typeTextColumn`. Errors are `UserError`s naming the file;
 * `limits` apply while reading.
 */
export async function readDataColumns(
  path: string,
  format: InputFormat = formatOf(path),
  limits: ReadLimits = defaultReadLimits,
): Promise<DataColumns> {
  const table = await readTable(
    path,
    { hint: () => "auto", include: () => false, keep: () => true, limits },
    format,
  );
  return dataColumnsOf(table, format);
}

/**
 * A file's `DataColumns` from a table read with every column's raw cells kept (`keep`), so that
 * `report` reads a file once for drift and suites alike.
 */
export function dataColumnsOf(table: Table, format: InputFormat = formatOf(table.path)): DataColumns {
  const { path, names, rows, invalidUtf8 } = table;
  const text = format === "csv" || format === "tsv";
  const columns = new Map<string, JsonValue[]>();
  for (const name of names) {
    const values: RawValue[] = table.raw?.get(name) ?? new Array<RawValue>(rows).fill(null);
    columns.set(name, text ? typeTextColumn(values as (string | null)[]) : (values as JsonValue[]));
  }
  return { path, names, rows, columns, ...(invalidUtf8 === undefined ? {} : { invalidUtf8 }) };
}

/**
 * The fields (JSON pointer → JSON types) of a file's columns, as the daemon records them from
 * events with `shapeOf` / `fieldsOf`: each column is a top-level field.
 */
export function fieldsOfColumns(data: DataColumns): Map<string, Set<string>> {
  const shapes: string[] = [];
  for (const [name, values] of data.columns) {
    const seen = new Set<string>();
    for (const value of values) {
      const type = jsonType(value);
      if (seen.has(type)) continue;
      seen.add(type);
      shapes.push(shapeOf({ [name]: value }));
    }
  }
  return fieldsOf(shapes);
}

/**
 * The table a suite sees of a file: every column in file order, reading an unknown column is an
 * error, and a context with only the fields of both files, so `expect_schema_to_match_reference`
 * works while the expectations that need a clock or history report that they need the daemon.
 */
export function fileTable(current: DataColumns, reference: DataColumns): ColumnTable {
  // Deliberately partial: no `now`, `last_arrival`, `lag_secs` or `history` exist for a file.
  const context = {
    fields: fieldsOfColumns(current),
    reference_fields: fieldsOfColumns(reference),
  } as Partial<StreamContext> as StreamContext;
  return new ColumnTable(current.rows, current.columns, current.names, true, context);
}

/** Runs each suite over the current file and returns the report's `checks` section. */
export function runSuites(
  suites: readonly Suite[],
  current: DataColumns,
  reference: DataColumns,
): ChecksSection[] {
  const table = fileTable(current, reference);
  return suites.map((suite) => checksSection(suite, validateSuite(suite, table)));
}

/** The report's view of a suite result: per expectation, its columns, verdict and evidence. */
export function checksSection(suite: Suite, result: SuiteResult): ChecksSection {
  return {
    suite: result.suite_name,
    file: suite.file,
    success: result.success,
    statistics: result.statistics,
    expectations: result.results.map((r, i) =>
      expectationOutcome(r, suite.expectations[i]?.domainColumns ?? []),
    ),
  };
}

/** Flattens one GE result, keeping the members a reader needs to see why it failed. */
export function expectationOutcome(r: ExpectationResult, columns: readonly string[]): ExpectationOutcome {
  const body = r.result;
  const optional = {
    observed_value: body.observed_value,
    element_count: body.element_count,
    missing_count: body.missing_count,
    unexpected_count: body.unexpected_count,
    unexpected_percent: body.unexpected_percent,
    partial_unexpected_list: body.partial_unexpected_list,
    details: body.details,
  };
  return {
    type: r.expectation_config.type,
    columns: [...columns],
    kwargs: r.expectation_config.kwargs,
    severity: r.expectation_config.severity ?? "fail",
    success: r.success,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    error: r.exception_info.raised_exception ? (r.exception_info.exception_message ?? "error") : null,
  };
}
