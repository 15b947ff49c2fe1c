import { showValue } from "../../errors.js";
import {
  type ColumnPairMapDefinition,
  type ExpectationDefinition,
  ExpectationError,
  type Kwargs,
  type MulticolumnMapDefinition,
  type MulticolumnWindowMapDefinition,
} from "../types.js";

/**
 * Column-pair and multicolumn map expectations (GE 1.x): comparisons between two columns of a row,
 * and checks over several columns of a row (sums, uniqueness within the row) or of the window
 * (compound uniqueness). The engine drops the rows `ignore_row_if` names before these run.
 *
 * Values are JSON values, compared the way GE's pandas backend compares them where JSON allows:
 * a missing value (`null`) is never equal to, greater or smaller than anything (pandas' NaN);
 * `1` and `1.0` are the same number; a number never equals a string, and ordering a number against
 * a string is an error (Python raises `TypeError`). Unlike numpy, booleans are their own type
 * (`true` is not `1`) except in sums, where they count as 1 and 0 as pandas adds them.
 */

/** Orders two strings by Unicode code point, as Python's `<` on `str` does. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i) as number;
    const y = b.codePointAt(i) as number;
    // Equal code points leave both strings at the same place; a surrogate pair's low half then
    // compares equal too, so stepping one UTF-16 unit at a time is enough.
    if (x !== y) return x - y;
  }
  return a.length - b.length;
}

/** The JSON type of a value, for messages and for deciding what can be ordered. */
function jsonType(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** JSON text of a value with object keys sorted, so that equal objects read the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      compareCodePoints(a, b),
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * A key that two values share exactly when they are equal (type-tagged, so `1` and `"1"` differ;
 * all missing values share one key, as pandas' `duplicated` and `nunique(dropna=False)` treat NaN).
 */
export function valueKey(value: unknown): string {
  switch (jsonType(value)) {
    case "null":
      return "null";
    case "number":
      return `n${String(value)}`;
    case "string":
      return `s${value as string}`;
    case "boolean":
      return `b${String(value)}`;
    default:
      return `j${canonical(value)}`;
  }
}

/** Whether two values are one value for uniqueness (`valueKey` equal; nulls equal each other). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return valueKey(a) === valueKey(b);
}

/** Equality as pandas' `==` between two columns: a missing value equals nothing, not even another. */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return false;
  return valueKey(a) === valueKey(b);
}

/**
 * Orders two non-missing values: numbers by value, strings by code point, booleans false < true.
 * Returns null for values that cannot be ordered: different types (Python's `TypeError`), arrays,
 * objects.
 */
export function compareOrdered(a: unknown, b: unknown): number | null {
  const type = jsonType(a);
  if (type !== jsonType(b)) return null;
  if (type === "number") return (a as number) - (b as number);
  if (type === "string") return compareCodePoints(a as string, b as string);
  if (type === "boolean") return Number(a) - Number(b);
  return null;
}

/** One addend of a row sum: numbers as they are, booleans as 1 / 0, a missing value as NaN. */
function addend(value: unknown, column: string | undefined): number {
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value === null || value === undefined) return Number.NaN;
  throw new ExpectationError(
    `cannot add ${column === undefined ? "" : `column ${showValue(column)}'s value `}${showValue(value)} (${jsonType(value)}) to a sum`,
  );
}

/**
 * A row's sum as pandas computes `df[columns].sum(axis=1, skipna=False)`: left to right in the
 * columns' order (so float rounding matches), NaN as soon as one value is missing. A value that is
 * not a number or a boolean is an ExpectationError naming its column (from `columns`, when given).
 */
export function rowSum(values: readonly unknown[], columns?: readonly string[]): number {
  let sum = addend(values[0], columns?.[0]);
  for (let i = 1; i < values.length; i++) sum += addend(values[i], columns?.[i]);
  return sum;
}

/** `column_list` must name at least one column, each by a non-empty string. */
function checkColumnList(kwargs: Kwargs): void {
  const list = kwargs.column_list as unknown[];
  if (list.length === 0) throw new ExpectationError("column_list must name at least one column");
  const bad = list.find((c) => typeof c !== "string" || c === "");
  if (bad !== undefined)
    throw new ExpectationError(`column_list entries must be column names, got ${showValue(bad)}`);
}

/** `value_pairs_set` must be a list of `[a, b]` pairs. */
function checkValuePairs(kwargs: Kwargs): void {
  for (const pair of kwargs.value_pairs_set as unknown[])
    if (!Array.isArray(pair) || pair.length !== 2)
      throw new ExpectationError(`value_pairs_set entries must be [a, b] pairs, got ${showValue(pair)}`);
}

/** The key of a pair of values (used for set membership and uniqueness). */
function pairKey(a: unknown, b: unknown): string {
  return JSON.stringify([valueKey(a), valueKey(b)]);
}

const aGreaterThanB: ColumnPairMapDefinition = {
  type: "expect_column_pair_values_a_to_be_greater_than_b",
  description: "In each row, column_A's value is greater than column_B's (or equal, with or_equal).",
  domain: "column_pair",
  kind: "row",
  args: { or_equal: { kind: "boolean", nullable: true, default: false } },
  compile(kwargs) {
    const orEqual = kwargs.or_equal === true;
    const [nameA, nameB] = [kwargs.column_A as string, kwargs.column_B as string];
    return (a, b) => {
      if (a === null || a === undefined || b === null || b === undefined) return false;
      const order = compareOrdered(a, b);
      if (order === null)
        throw new ExpectationError(
          `cannot order column_A ${showValue(nameA)}'s ${showValue(a)} (${jsonType(a)}) against column_B ${showValue(nameB)}'s ${showValue(b)} (${jsonType(b)})`,
        );
      return orEqual ? order >= 0 : order > 0;
    };
  },
};

const pairEqual: ColumnPairMapDefinition = {
  type: "expect_column_pair_values_to_be_equal",
  description: "In each row, column_A and column_B hold the same value.",
  domain: "column_pair",
  kind: "row",
  args: {},
  compile() {
    return valuesEqual;
  },
};

const pairInSet: ColumnPairMapDefinition = {
  type: "expect_column_pair_values_to_be_in_set",
  description:
    "In each row, the pair (column_A, column_B) is one of value_pairs_set (null matches a missing value).",
  domain: "column_pair",
  kind: "row",
  args: { value_pairs_set: { kind: "array", required: true } },
  validate: checkValuePairs,
  compile(kwargs) {
    const allowed = new Set((kwargs.value_pairs_set as [unknown, unknown][]).map(([a, b]) => pairKey(a, b)));
    return (a, b) => allowed.has(pairKey(a, b));
  },
};

const compoundUnique: MulticolumnWindowMapDefinition = {
  type: "expect_compound_columns_to_be_unique",
  description:
    "Each row's combination of the column_list values occurs only once in the window (every copy of a repeated combination is unexpected).",
  domain: "multicolumn",
  kind: "window_map",
  args: {},
  validate: checkColumnList,
  compile() {
    return (rows) => {
      const keys = rows.map((row) => JSON.stringify(row.map(valueKey)));
      const counts = new Map<string, number>();
      for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
      return keys.map((key) => (counts.get(key) as number) > 1);
    };
  },
};

const sumEqual: MulticolumnMapDefinition = {
  type: "expect_multicolumn_sum_to_equal",
  description:
    "In each row, the column_list values add up to exactly sum_total (a missing value makes the row fail).",
  domain: "multicolumn",
  kind: "row",
  args: { sum_total: { kind: "number", required: true } },
  validate: checkColumnList,
  compile(kwargs) {
    const total = kwargs.sum_total as number;
    const columns = kwargs.column_list as string[];
    return (values) => rowSum(values, columns) === total;
  },
};

const uniqueWithinRecord: MulticolumnMapDefinition = {
  type: "expect_select_column_values_to_be_unique_within_record",
  description:
    "In each row, the column_list columns all hold different values (two missing values count as equal).",
  domain: "multicolumn",
  kind: "row",
  args: {},
  validate: checkColumnList,
  compile() {
    return (values) => {
      // A row has a few columns: compare pairs, keying only values that are not primitives, so
      // that judging an event allocates nothing (a Set of keys costs more than the rest of it).
      for (let i = 1; i < values.length; i++)
        for (let j = 0; j < i; j++) if (sameValue(values[i], values[j])) return false;
      return true;
    };
  },
};

/** The column-pair and multicolumn expectations, by GE name. */
export const multicolumn: readonly ExpectationDefinition[] = [
  aGreaterThanB,
  pairEqual,
  pairInSet,
  compoundUnique,
  sumEqual,
  uniqueWithinRecord,
];
