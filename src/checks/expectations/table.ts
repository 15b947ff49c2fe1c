import { showValue } from "../../errors.js";
import { compileCondition } from "../condition.js";
import {
  type AggregateOutcome,
  type ExpectationDefinition,
  ExpectationError,
  type Kwargs,
  type TableDefinition,
  type TableView,
} from "../types.js";
import { compareCodePoints } from "./multicolumn.js";

/** The row counts filter by `row_condition` as GE does; other table expectations take none. */
const CONDITION_ARGS = {
  row_condition: { kind: "string", nullable: true },
  condition_parser: { kind: "string", nullable: true },
} as const;

/**
 * Table expectations (GE 1.x): the window's row count and its columns (names, order, count). The
 * columns are the table's own (an event's top-level fields, in first-seen order, for a stream).
 * Results follow GE 1.2.0's pandas backend.
 */

/** An optional integer bound (`min_value` / `max_value`). */
const INTEGER_BOUND = { kind: "integer", nullable: true } as const;

/** `min_value` must not exceed `max_value` when both are given. */
function checkBounds(kwargs: Kwargs): void {
  const [min, max] = [kwargs.min_value, kwargs.max_value];
  if (typeof min === "number" && typeof max === "number" && min > max)
    throw new ExpectationError(`min_value cannot be greater than max_value (${min} > ${max})`);
}

/** A test that a count lies within the inclusive bounds; a missing bound does not constrain. */
function within(kwargs: Kwargs): (n: number) => boolean {
  const min = typeof kwargs.min_value === "number" ? kwargs.min_value : -Infinity;
  const max = typeof kwargs.max_value === "number" ? kwargs.max_value : Infinity;
  return (n) => n >= min && n <= max;
}

/**
 * Counts a window's rows, or those its `row_condition` keeps (GE filters the table before
 * `table.row_count`; the engine leaves table expectations the whole window, so it is done here).
 */
function rowCounter(kwargs: Kwargs): (table: TableView) => number {
  const text = kwargs.row_condition;
  if (typeof text !== "string" || text === "") return (table) => table.rows;
  const condition = compileCondition(text, (kwargs.condition_parser as string | undefined) ?? "pandas");
  return (table) => {
    const data = new Map(condition.columns.map((c) => [c, table.column(c)]));
    let row = 0;
    const get = (c: string) => (data.get(c) as readonly unknown[])[row];
    let count = 0;
    for (row = 0; row < table.rows; row++) if (condition.test(get)) count++;
    return count;
  };
}

/** Column names must be strings; GE compares them as such. */
function checkNames(name: string, list: unknown): void {
  if (list === undefined || list === null) return;
  const bad = (list as unknown[]).find((c) => typeof c !== "string");
  if (bad !== undefined)
    throw new ExpectationError(`${name} entries must be column names, got ${showValue(bad)}`);
}

/** The names in `from` that are not in `other`, in code point order (GE sorts them). */
function missingFrom(from: ReadonlySet<string>, other: ReadonlySet<string>): string[] {
  return [...from].filter((c) => !other.has(c)).sort(compareCodePoints);
}

/**
 * `details.mismatched` of `..._to_match_ordered_list`: every position where the expected and the
 * found column differ, `null` past the end of the shorter list (GE's `zip_longest`).
 */
export function orderedMismatches(
  expected: readonly string[],
  found: readonly string[],
): { "Expected Column Position": number; Expected: string | null; Found: string | null }[] {
  const out = [];
  for (let i = 0; i < Math.max(expected.length, found.length); i++) {
    const [e, f] = [expected[i] ?? null, found[i] ?? null];
    if (e !== f) out.push({ "Expected Column Position": i, Expected: e, Found: f });
  }
  return out;
}

/**
 * `..._to_match_set` as GE 1.2.0 decides it: equal sets pass (observed value in table order);
 * otherwise the observed value is sorted and `details.mismatched` lists the `unexpected` (found,
 * not expected) and `missing` (expected, not found) columns; with `exact_match` any difference
 * fails, without it only missing columns do. A null `column_set` is the empty set.
 */
export function matchColumnSet(
  columns: readonly string[],
  expected: ReadonlySet<string>,
  exactMatch: boolean,
): AggregateOutcome {
  const actual = new Set(columns);
  const unexpected = missingFrom(actual, expected);
  const missing = missingFrom(expected, actual);
  if (unexpected.length === 0 && missing.length === 0) return { success: true, observed_value: [...columns] };
  const mismatched: Record<string, string[]> = {};
  if (unexpected.length > 0) mismatched.unexpected = unexpected;
  if (missing.length > 0) mismatched.missing = missing;
  return {
    success: !exactMatch && missing.length === 0,
    observed_value: [...columns].sort(compareCodePoints),
    details: { mismatched },
  };
}

const columnToExist: TableDefinition = {
  type: "expect_column_to_exist",
  description: "The table has the column (at position column_index, counted from 0, when given).",
  domain: "table",
  kind: "aggregate",
  args: {
    column: { kind: "string", required: true },
    column_index: { kind: "integer", nullable: true },
  },
  compile(kwargs) {
    const column = kwargs.column as string;
    const index = kwargs.column_index as number | undefined;
    // GE 1.2.0 reads `column_index: 0` as "anywhere" (it tests the index for truth); we read it as
    // the first position. A negative index counts from the end, as in Python.
    const found =
      index === undefined
        ? (columns: readonly string[]) => columns.includes(column)
        : (columns: readonly string[]) => columns.at(index) === column;
    return (table) => ({ success: found(table.columns), observed_value: [...table.columns] });
  },
};

const columnCountBetween: TableDefinition = {
  type: "expect_table_column_count_to_be_between",
  description: "The table has between min_value and max_value columns (inclusive; a null bound is open).",
  domain: "table",
  kind: "aggregate",
  args: { min_value: INTEGER_BOUND, max_value: INTEGER_BOUND, ...CONDITION_ARGS },
  validate: checkBounds,
  compile(kwargs) {
    const ok = within(kwargs);
    return (table) => ({ success: ok(table.columns.length), observed_value: table.columns.length });
  },
};

const columnCountEqual: TableDefinition = {
  type: "expect_table_column_count_to_equal",
  description: "The table has exactly `value` columns.",
  domain: "table",
  kind: "aggregate",
  args: { value: { kind: "integer", required: true, min: 0 } },
  compile(kwargs) {
    const value = kwargs.value as number;
    return (table) => ({ success: table.columns.length === value, observed_value: table.columns.length });
  },
};

const columnsMatchOrderedList: TableDefinition = {
  type: "expect_table_columns_to_match_ordered_list",
  description: "The table's columns are exactly column_list, in that order (a null list passes).",
  domain: "table",
  kind: "aggregate",
  args: { column_list: { kind: "array", nullable: true } },
  validate: (kwargs) => checkNames("column_list", kwargs.column_list),
  compile(kwargs) {
    const expected = kwargs.column_list as string[] | undefined;
    return (table) => {
      const found = [...table.columns];
      const mismatched = expected === undefined ? [] : orderedMismatches(expected, found);
      return mismatched.length === 0
        ? { success: true, observed_value: found }
        : { success: false, observed_value: found, details: { mismatched } };
    };
  },
};

const columnsMatchSet: TableDefinition = {
  type: "expect_table_columns_to_match_set",
  description:
    "The table's columns are column_set in any order; without exact_match, extra columns are allowed.",
  domain: "table",
  kind: "aggregate",
  args: {
    column_set: { kind: "array", nullable: true },
    // GE's docstring says the default is true, but GE 1.2.0 reads an absent exact_match as false.
    exact_match: { kind: "boolean", nullable: true, default: false },
  },
  validate: (kwargs) => checkNames("column_set", kwargs.column_set),
  compile(kwargs) {
    const expected = new Set((kwargs.column_set as string[] | undefined) ?? []);
    const exact = kwargs.exact_match === true;
    return (table) => matchColumnSet(table.columns, expected, exact);
  },
};

const rowCountBetween: TableDefinition = {
  type: "expect_table_row_count_to_be_between",
  description:
    "The window has between min_value and max_value rows (inclusive; a null bound is open), counting those row_condition keeps.",
  domain: "table",
  kind: "aggregate",
  args: { min_value: INTEGER_BOUND, max_value: INTEGER_BOUND, ...CONDITION_ARGS },
  validate: checkBounds,
  compile(kwargs) {
    const ok = within(kwargs);
    const count = rowCounter(kwargs);
    return (table) => {
      const n = count(table);
      return { success: ok(n), observed_value: n };
    };
  },
};

const rowCountEqual: TableDefinition = {
  type: "expect_table_row_count_to_equal",
  description: "The window has exactly `value` rows, counting those row_condition keeps.",
  domain: "table",
  kind: "aggregate",
  args: { value: { kind: "integer", required: true, min: 0 }, ...CONDITION_ARGS },
  compile(kwargs) {
    const value = kwargs.value as number;
    const count = rowCounter(kwargs);
    return (table) => {
      const n = count(table);
      return { success: n === value, observed_value: n };
    };
  },
};

/** The table expectations, by GE name. */
export const table: readonly ExpectationDefinition[] = [
  columnToExist,
  columnCountBetween,
  columnCountEqual,
  columnsMatchOrderedList,
  columnsMatchSet,
  rowCountBetween,
  rowCountEqual,
];
