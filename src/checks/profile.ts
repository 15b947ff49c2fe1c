/**
 * Profiles a reference data set into a starter expectation suite, as Great Expectations'
 * profilers do: per column its type, its missing values, a numeric range or a set of categories,
 * uniqueness for id-like columns; for the table its column set and its schema. Pure: data in,
 * expectations out; `driftwatch suggest` reads the file and writes the YAML.
 *
 * Every rule is a named constant and is written into the suite's header (`SUGGEST_RULES`), so a
 * reader knows why each bound is what it is; each chosen bound also says so in its `notes`.
 */

/** A cell as the suite will see it. */
export type ProfileValue = string | number | boolean | null;

/** Share of the observed range added below the minimum and above the maximum. */
export const RANGE_MARGIN = 0.1;
/** A text column with at most this many distinct values is a candidate category... */
export const MAX_SET_SIZE = 20;
/** ...when it also has at most this many distinct values per non-missing value. */
export const MAX_SET_RATIO = 0.05;
/** An integer or text column whose values are all distinct is id-like from this many values. */
export const MIN_ID_VALUES = 10;

/**
 * GE's type names (pandas backend: Python's) for the JSON types of values, as
 * `expect_column_values_to_be_of_type` / `..._in_type_list` accept them.
 */
export const TYPE_NAMES = { integer: "int", number: "float", string: "str", boolean: "bool" } as const;

/** The rules, one line each, for the header of a suggested suite. */
export const SUGGEST_RULES: readonly string[] = [
  `types: the JSON type of the non-missing values (${TYPE_NAMES.integer} = integers only, ${TYPE_NAMES.number} = any number, ${TYPE_NAMES.string}, ${TYPE_NAMES.boolean}); a type list for mixed columns`,
  "not null: every column; with missing values, `mostly` just under the present share (rounded down to the percent, minus 1 point)",
  `ranges (numbers, not id-like): the observed min..max widened by ${RANGE_MARGIN * 100}% of the range on each side (of the value when the range is 0), not below 0 when no value is negative, integer columns rounded out to integers`,
  `sets (text): the observed values, when there are at most ${MAX_SET_SIZE} and at most ${MAX_SET_RATIO * 100}% as many as non-missing values`,
  `unique: integer or text columns whose values (at least ${MIN_ID_VALUES}) are all distinct (id-like)`,
  "table: the exact column set, and the schema (fields and their JSON types) against the reference",
];

/** What a column holds, from its non-missing values. */
export interface ColumnProfile {
  readonly name: string;
  readonly rows: number;
  readonly missing: number;
  /** The JSON types of its non-missing values (integer and number apart), sorted. */
  readonly types: readonly ("boolean" | "integer" | "number" | "string")[];
  readonly distinct: number;
  /** Smallest and largest value, when every non-missing value is a number. */
  readonly range: readonly [number, number] | null;
  /** The distinct values, sorted, when they are text and few enough for a set. */
  readonly categories: readonly string[] | null;
}

/** One suggested expectation; `comment` goes above it in the YAML (not part of the suite). */
export interface SuggestedExpectation {
  readonly type: string;
  readonly kwargs: Readonly<Record<string, unknown>>;
  readonly notes?: string;
  readonly comment?: string;
}

/** A suggested suite, in the suite format `loadSuite` reads. */
export interface SuggestedSuite {
  readonly name: string;
  readonly expectations: readonly SuggestedExpectation[];
  /** Columns that got no column expectation and why (all missing), for the header. */
  readonly remarks: readonly string[];
}

/** The data set to profile: column names in order and each column's values in row order. */
export interface ProfileInput {
  readonly names: readonly string[];
  readonly rows: number;
  readonly columns: ReadonlyMap<string, readonly ProfileValue[]>;
}

function typeOf(value: string | number | boolean): "boolean" | "integer" | "number" | "string" {
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value as "boolean" | "string";
}

/** Profiles one column (see `ColumnProfile`). */
export function profileColumn(name: string, values: readonly ProfileValue[]): ColumnProfile {
  const types = new Set<"boolean" | "integer" | "number" | "string">();
  const distinct = new Set<string | number | boolean>();
  let missing = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const value of values) {
    if (value === null) {
      missing++;
      continue;
    }
    types.add(typeOf(value));
    distinct.add(value);
    if (typeof value === "number") {
      if (value < min) min = value;
      if (value > max) max = value;
    }
  }
  const present = values.length - missing;
  const numeric = present > 0 && [...types].every((t) => t === "integer" || t === "number");
  const text = present > 0 && types.size === 1 && types.has("string");
  const categorical = text && distinct.size <= MAX_SET_SIZE && distinct.size <= MAX_SET_RATIO * present;
  return {
    name,
    rows: values.length,
    missing,
    types: [...types].sort(),
    distinct: distinct.size,
    range: numeric ? [min, max] : null,
    categories: categorical ? ([...distinct] as string[]).sort(compareText) : null,
  };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether a column looks like an identifier: integers or text, at least MIN_ID_VALUES, all distinct. */
export function isIdLike(p: ColumnProfile): boolean {
  const present = p.rows - p.missing;
  const kind = p.types.length === 1 && (p.types[0] === "integer" || p.types[0] === "string");
  return kind && present >= MIN_ID_VALUES && p.distinct === present;
}

/**
 * `mostly` for `expect_column_values_to_not_be_null`: the present share rounded down to the
 * percent, minus one point, so the reference passes with a little room; null when no useful bound
 * remains (under 2 % present).
 *
 * @example
 * mostlyFor(0.987) // 0.97
 */
export function mostlyFor(presentShare: number): number | null {
  const mostly = (Math.floor(presentShare * 100) - 1) / 100;
  return mostly > 0 ? mostly : null;
}

/**
 * Bounds for `expect_column_values_to_be_between`: [min, max] widened by `margin` of the range on
 * each side (of |value| when the range is 0, 1 when that is 0 too), kept at 0 when no value is
 * negative, rounded outwards to integers for integer columns and otherwise to two significant
 * digits of the margin.
 *
 * @example
 * widenedBounds(-1.6, 35.6, false) // [-5.4, 39.4]
 * widenedBounds(0, 55.9, false)    // [0, 61.5]
 */
export function widenedBounds(
  min: number,
  max: number,
  integer: boolean,
  margin = RANGE_MARGIN,
): [number, number] {
  const span = max - min;
  const pad = span > 0 ? span * margin : Math.abs(min) * margin || 1;
  let lower = min - pad;
  const upper = max + pad;
  if (min >= 0 && lower < 0) lower = 0;
  if (integer) return [Math.floor(lower), Math.ceil(upper)];
  const exponent = Math.floor(Math.log10(pad)) - 1;
  const digits = Math.max(0, -exponent);
  if (digits > 100 || !Number.isFinite(exponent)) return [lower, upper];
  const step = 10 ** exponent;
  const round = (x: number): number => Number(x.toFixed(digits)) || 0;
  // The nudge absorbs division noise (-3.2 / 0.01 is -320.00000000000006); the margin is at least
  // ten steps, so it cannot bring a bound inside the observed range.
  return [round(Math.floor(lower / step + 1e-9) * step), round(Math.ceil(upper / step - 1e-9) * step)];
}

function percent(share: number): string {
  return `${Number((share * 100).toPrecision(4))}%`;
}

function describe(p: ColumnProfile): string {
  const present = p.rows - p.missing;
  const parts = [`${present} values`, p.missing === 0 ? "none missing" : `${p.missing} missing`];
  if (p.types.length > 0) parts.push(p.types.join("/"));
  if (p.range !== null) parts.push(`${p.range[0]}..${p.range[1]}`);
  parts.push(`${p.distinct} distinct`);
  return `column ${JSON.stringify(p.name)}: ${parts.join(", ")}`;
}

/** The column expectations a profile suggests, in a fixed order (type, nulls, values, uniqueness). */
export function columnExpectations(p: ColumnProfile): SuggestedExpectation[] {
  const present = p.rows - p.missing;
  if (present === 0) return [];
  const column = p.name;
  const out: SuggestedExpectation[] = [];
  // Every integer is a number, so a list with float needs no int.
  const types = p.types.includes("number") ? p.types.filter((t) => t !== "integer") : p.types;
  const names = types.map((t) => TYPE_NAMES[t]);
  // A column of integers and non-integers is a column of numbers: GE's float.
  const numbers = p.types.every((t) => t === "integer" || t === "number");
  if (numbers) {
    const type = p.types.includes("number") ? TYPE_NAMES.number : TYPE_NAMES.integer;
    out.push({ type: "expect_column_values_to_be_of_type", kwargs: { column, type_: type } });
  } else if (names.length === 1) {
    out.push({ type: "expect_column_values_to_be_of_type", kwargs: { column, type_: names[0] } });
  } else {
    out.push({
      type: "expect_column_values_to_be_in_type_list",
      kwargs: { column, type_list: names },
      notes: "the reference mixes these types",
    });
  }
  if (p.missing === 0) out.push({ type: "expect_column_values_to_not_be_null", kwargs: { column } });
  else {
    const share = present / p.rows;
    const mostly = mostlyFor(share);
    if (mostly !== null)
      out.push({
        type: "expect_column_values_to_not_be_null",
        kwargs: { column, mostly },
        notes: `${percent(share)} of the reference's values are present; mostly is set just under that`,
      });
  }
  const idLike = isIdLike(p);
  if (p.range !== null && !idLike) {
    const integer = p.types.length === 1 && p.types[0] === "integer";
    const [min_value, max_value] = widenedBounds(p.range[0], p.range[1], integer);
    const kept = min_value === 0 && p.range[0] >= 0;
    out.push({
      type: "expect_column_values_to_be_between",
      kwargs: { column, min_value, max_value },
      notes: `observed ${p.range[0]}..${p.range[1]}, widened by ${RANGE_MARGIN * 100}% of the range on each side${kept ? ", not below 0 (no negative values seen)" : ""}${integer ? ", rounded out to integers" : ""}`,
    });
  }
  if (p.categories !== null)
    out.push({
      type: "expect_column_values_to_be_in_set",
      kwargs: { column, value_set: p.categories },
      notes: `the ${p.categories.length} distinct values of ${present} in the reference`,
    });
  if (idLike)
    out.push({
      type: "expect_column_values_to_be_unique",
      kwargs: { column },
      notes: `all ${present} values of the reference are distinct: an id-like column`,
    });
  const [first, ...rest] = out;
  return [{ ...first, comment: describe(p) }, ...rest];
}

/**
 * Suggests a suite for a data set: the table's column set and schema, then each column's
 * expectations in file order (see `SUGGEST_RULES`).
 */
export function suggestSuite(data: ProfileInput, name: string): SuggestedSuite {
  const expectations: SuggestedExpectation[] = [
    {
      type: "expect_table_columns_to_match_set",
      kwargs: { column_set: [...data.names], exact_match: true },
      comment: `the table: ${data.names.length} columns, ${data.rows} rows in the reference`,
    },
    {
      type: "expect_schema_to_match_reference",
      kwargs: {},
      notes: "fields and JSON types as in the reference it runs against",
    },
  ];
  const remarks: string[] = [];
  for (const column of data.names) {
    const profile = profileColumn(column, data.columns.get(column) ?? []);
    const suggested = columnExpectations(profile);
    if (suggested.length === 0)
      remarks.push(`column ${JSON.stringify(column)} has no values in the reference: no column expectations`);
    expectations.push(...suggested);
  }
  return { name, expectations, remarks };
}
