import { Ajv, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import { showValue } from "../../errors.js";
import { isoInstant } from "../datetime.js";
import { compileStrptime, StrftimeFormatError } from "../strftime.js";
import {
  type ColumnMapDefinition,
  type ColumnWindowMapDefinition,
  type ExpectationDefinition,
  ExpectationError,
  type Kwargs,
} from "../types.js";
import { isDateutilParseable } from "./column-map-dateutil.js";
import { compilePythonRegex, RegexSyntaxError } from "./column-map-regex.js";
import { anyValueType, valueTypeOf } from "./column-map-types.js";
import {
  canonicalJson,
  codePointLength,
  compareWithBound,
  orderKey,
  textOf,
  valueSet,
} from "./column-map-values.js";

/**
 * GE's column map expectations: a verdict per row of one column (`unexpected_list` holds the rows
 * that fail). Arguments are checked and compiled once (regular expressions, sets, JSON Schemas,
 * strftime formats), so evaluating a value is a cheap closure call; `row` expectations are also
 * judged per event in the daemon. The engine drops missing values first (except for
 * `..._to_be_null` / `..._to_not_be_null`), so predicates never see null.
 *
 * A value of a type an expectation cannot judge (a number whose length is asked, a string against
 * numeric bounds, a number for a strftime format) raises ExpectationError, as GE raises; the
 * window's result reports it in `exception_info`.
 */

type RowDefinition = Omit<ColumnMapDefinition, "domain" | "kind">;
type WindowDefinition = Omit<ColumnWindowMapDefinition, "domain" | "kind">;

const row = (d: RowDefinition): ColumnMapDefinition => ({ ...d, domain: "column", kind: "row" });
const windowMap = (d: WindowDefinition): ColumnWindowMapDefinition => ({
  ...d,
  domain: "column",
  kind: "window_map",
});

/** `min_value` / `max_value` as given (null when absent). */
function bounds(kwargs: Kwargs): { min: unknown; max: unknown } {
  return { min: kwargs.min_value ?? null, max: kwargs.max_value ?? null };
}

// ---------------------------------------------------------------------------------------------
// Lengths

/** A string's length in code points (Python's `len`), or an array's element count. */
function lengthOf(value: unknown): number {
  if (typeof value === "string") return codePointLength(value);
  if (Array.isArray(value)) return value.length;
  throw new ExpectationError(`${showValue(value)} has no length; values must be strings or arrays`);
}

const valueLengthsBetween = row({
  type: "expect_column_value_lengths_to_be_between",
  description:
    "Each value's length (characters of a string, counted as Python does, or items of an array) is between min_value and max_value.",
  args: {
    min_value: { kind: "integer", nullable: true, min: 0 },
    max_value: { kind: "integer", nullable: true, min: 0 },
    strict_min: { kind: "boolean", default: false },
    strict_max: { kind: "boolean", default: false },
  },
  validate(kwargs) {
    const { min, max } = bounds(kwargs);
    if (min === null && max === null)
      throw new ExpectationError("min_value and max_value cannot both be null; give at least one");
  },
  compile(kwargs) {
    const min = (kwargs.min_value as number | null | undefined) ?? Number.NEGATIVE_INFINITY;
    const max = (kwargs.max_value as number | null | undefined) ?? Number.POSITIVE_INFINITY;
    const strictMin = kwargs.strict_min === true;
    const strictMax = kwargs.strict_max === true;
    // GE does not refuse min_value > max_value here: every value is then unexpected.
    return (value) => {
      const n = lengthOf(value);
      return (strictMin ? n > min : n >= min) && (strictMax ? n < max : n <= max);
    };
  },
});

const valueLengthsEqual = row({
  type: "expect_column_value_lengths_to_equal",
  description: "Each value's length (characters of a string, or items of an array) equals value.",
  args: { value: { kind: "integer", required: true, min: 0 } },
  compile(kwargs) {
    const expected = kwargs.value as number;
    return (value) => lengthOf(value) === expected;
  },
});

// ---------------------------------------------------------------------------------------------
// Z-scores

const zScoresLessThan = windowMap({
  type: "expect_column_value_z_scores_to_be_less_than",
  description:
    "Each value's z-score against the window (sample standard deviation) is below threshold, in absolute value when double_sided.",
  args: {
    threshold: { kind: "number", required: true },
    double_sided: { kind: "boolean", required: true },
  },
  compile(kwargs) {
    const threshold = kwargs.threshold as number;
    const doubleSided = kwargs.double_sided === true;
    const limit = Math.abs(threshold);
    return (values) => {
      const n = values.length;
      let sum = 0;
      for (const v of values) {
        if (typeof v !== "number")
          throw new ExpectationError(`${showValue(v)} is not a number; z-scores need numbers`);
        sum += v;
      }
      const mean = sum / n;
      let squares = 0;
      for (const v of values) squares += ((v as number) - mean) ** 2;
      // pandas' std(): ddof 1, NaN for one value; a constant column gives 0/0 = NaN z-scores,
      // which are never below the threshold.
      const std = Math.sqrt(squares / (n - 1));
      const flags = new Array<boolean>(n);
      for (let i = 0; i < n; i++) {
        const z = ((values[i] as number) - mean) / std;
        flags[i] = !(doubleSided ? Math.abs(z) < limit : z < threshold);
      }
      return flags;
    };
  },
});

// ---------------------------------------------------------------------------------------------
// Between

/** A bound's kind for the cross-argument check: number, string, or absent. */
const kindOfBound = (v: unknown) => (v === null ? null : typeof v === "number" ? "number" : "string");

/** min_value > max_value, compared as the values would be (ISO date-times as instants). */
function boundsReversed(min: number | string, max: number | string): boolean {
  if (typeof min === "number" && typeof max === "number") return min > max;
  const [a, b] = [isoInstant(String(min)), isoInstant(String(max))];
  if (!Number.isNaN(a) && !Number.isNaN(b)) return a > b;
  return String(min) > String(max);
}

const valuesBetween = row({
  type: "expect_column_values_to_be_between",
  description:
    "Each value is between min_value and max_value (numbers, or strings: ISO 8601 date-times as instants, other text in code-point order).",
  args: {
    min_value: { kind: "comparable", nullable: true },
    max_value: { kind: "comparable", nullable: true },
    strict_min: { kind: "boolean", default: false },
    strict_max: { kind: "boolean", default: false },
  },
  validate(kwargs) {
    const { min, max } = bounds(kwargs);
    if (min === null && max === null)
      throw new ExpectationError("min_value and max_value cannot both be null; give at least one");
    if (min !== null && max !== null) {
      if (kindOfBound(min) !== kindOfBound(max))
        throw new ExpectationError(
          `min_value ${showValue(min)} and max_value ${showValue(max)} must both be numbers or both be strings`,
        );
      if (boundsReversed(min as number | string, max as number | string))
        throw new ExpectationError(
          `min_value ${showValue(min)} cannot be greater than max_value ${showValue(max)}`,
        );
    }
  },
  compile(kwargs) {
    const { min, max } = bounds(kwargs) as { min: number | string | null; max: number | string | null };
    const strictMin = kwargs.strict_min === true;
    const strictMax = kwargs.strict_max === true;
    const minInstant = typeof min === "string" ? isoInstant(min) : Number.NaN;
    const maxInstant = typeof max === "string" ? isoInstant(max) : Number.NaN;
    const dateBounds = !Number.isNaN(minInstant) || !Number.isNaN(maxInstant);
    return (value) => {
      // A value of the wrong type raises even when the other bound alone would fail it.
      // With date bounds, the value is read as an instant once for both.
      const instant = dateBounds && typeof value === "string" ? isoInstant(value) : Number.NaN;
      let low = true;
      let high = true;
      if (min !== null) {
        const c = compareWithBound(value, min, minInstant, instant);
        low = strictMin ? c > 0 : c >= 0;
      }
      if (max !== null) {
        const c = compareWithBound(value, max, maxInstant, instant);
        high = strictMax ? c < 0 : c <= 0;
      }
      return low && high;
    };
  },
});

// ---------------------------------------------------------------------------------------------
// Dates and times

/** Strings only: GE raises a TypeError for other values (e.g. already-parsed datetimes). */
function requireString(value: unknown, type: string): string {
  if (typeof value === "string") return value;
  throw new ExpectationError(`Values passed to ${type} must be of type string, got ${showValue(value)}`);
}

const dateutilParseable = row({
  type: "expect_column_values_to_be_dateutil_parseable",
  description: "Each value is a string that Python's dateutil.parser.parse reads as a date or time.",
  args: {},
  compile() {
    return (value) =>
      isDateutilParseable(requireString(value, "expect_column_values_to_be_dateutil_parseable"));
  },
});

const matchStrftimeFormat = row({
  type: "expect_column_values_to_match_strftime_format",
  description:
    "Each value is a string that Python's datetime.strptime reads with strftime_format (e.g. %Y-%m-%d).",
  args: { strftime_format: { kind: "string", required: true } },
  compile(kwargs) {
    let format: ReturnType<typeof compileStrptime>;
    try {
      format = compileStrptime(kwargs.strftime_format as string);
    } catch (error) {
      if (error instanceof StrftimeFormatError)
        throw new ExpectationError(`Unable to use provided strftime_format: ${error.message}`);
      throw error;
    }
    return (value) => format.test(requireString(value, "expect_column_values_to_match_strftime_format"));
  },
});

/**
 * `..._to_be_increasing` / `..._to_be_decreasing`: each value against the previous non-missing
 * one (the first passes), as GE's pandas `diff()`. Numbers, or ISO 8601 date-times as instants.
 */
function monotonic(direction: 1 | -1, strictly: boolean): (values: readonly unknown[]) => ArrayLike<boolean> {
  return (values) => {
    const flags = new Array<boolean>(values.length).fill(false);
    let previous = 0;
    let kind: string | null = null;
    for (let i = 0; i < values.length; i++) {
      const { kind: k, key } = orderKey(values[i]);
      if (kind !== null && k !== kind) throw new ExpectationError("the column mixes numbers and date-times");
      kind = k;
      if (i > 0) {
        const step = (key - previous) * direction;
        flags[i] = !(strictly ? step > 0 : step >= 0);
      }
      previous = key;
    }
    return flags;
  };
}

const increasing = windowMap({
  type: "expect_column_values_to_be_increasing",
  description:
    "Each value is at least the previous one in row order (greater when strictly); numbers or ISO 8601 date-times.",
  args: { strictly: { kind: "boolean", default: false } },
  compile: (kwargs) => monotonic(1, kwargs.strictly === true),
});

const decreasing = windowMap({
  type: "expect_column_values_to_be_decreasing",
  description:
    "Each value is at most the previous one in row order (less when strictly); numbers or ISO 8601 date-times.",
  args: { strictly: { kind: "boolean", default: false } },
  compile: (kwargs) => monotonic(-1, kwargs.strictly === true),
});

// ---------------------------------------------------------------------------------------------
// Sets and uniqueness

const inSet = row({
  type: "expect_column_values_to_be_in_set",
  description: 'Each value is one of value_set (1 equals 1.0; "1" does not equal 1).',
  args: { value_set: { kind: "array", required: true } },
  compile: (kwargs) => valueSet(kwargs.value_set as unknown[]),
});

const notInSet = row({
  type: "expect_column_values_to_not_be_in_set",
  description: 'No value is one of value_set (1 equals 1.0; "1" does not equal 1).',
  args: { value_set: { kind: "array", required: true } },
  compile(kwargs) {
    const has = valueSet(kwargs.value_set as unknown[]);
    return (value) => !has(value);
  },
});

const unique = windowMap({
  type: "expect_column_values_to_be_unique",
  description:
    "No non-missing value occurs twice in the window; every occurrence of a repeated value is unexpected.",
  args: {},
  compile: () => (values) => {
    const counts = new Map<unknown, number>();
    const keys = values.map((v) => (v !== null && typeof v === "object" ? `\u0000${canonicalJson(v)}` : v));
    for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
    return keys.map((k) => (counts.get(k) as number) > 1);
  },
});

// ---------------------------------------------------------------------------------------------
// Types

const inTypeList = row({
  type: "expect_column_values_to_be_in_type_list",
  description:
    "Each value is of one of the types in type_list (GE's pandas, Python, SQL or Spark type names, mapped onto JSON values).",
  args: { type_list: { kind: "array", nullable: true } },
  validate(kwargs) {
    const list = kwargs.type_list;
    if (Array.isArray(list) && !list.every((t) => typeof t === "string"))
      throw new ExpectationError(`type_list must be a list of type names, got ${showValue(list)}`);
  },
  compile(kwargs) {
    const list = kwargs.type_list as string[] | null | undefined;
    // GE: no type_list means no constraint.
    if (list === null || list === undefined) return () => true;
    return anyValueType(list);
  },
});

const ofType = row({
  type: "expect_column_values_to_be_of_type",
  description:
    "Each value is of type type_ (a pandas, Python, SQL or Spark type name, mapped onto JSON values).",
  args: { type_: { kind: "string", required: true } },
  compile: (kwargs) => valueTypeOf(kwargs.type_ as string),
});

// ---------------------------------------------------------------------------------------------
// Nulls

const toBeNull = row({
  type: "expect_column_values_to_be_null",
  description: "Each value is missing (null or absent).",
  args: {},
  nulls: "include",
  compile: () => (value) => value === null,
});

const notToBeNull = row({
  type: "expect_column_values_to_not_be_null",
  description: "No value is missing (null or absent).",
  args: {},
  nulls: "include",
  compile: () => (value) => value !== null,
});

// ---------------------------------------------------------------------------------------------
// JSON

const PYTHON_CONSTANTS = /NaN|Infinity/;

/**
 * Python's `json.loads` also reads the bare constants NaN, Infinity and -Infinity; they are
 * replaced (outside strings) by a number before JSON.parse tries again.
 */
function withoutPythonConstants(text: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") {
        out += c + (text[i + 1] ?? "");
        i++;
        continue;
      }
      if (c === '"') inString = false;
      out += c;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (text.startsWith("NaN", i)) {
      out += "0";
      i += 2;
    } else if (text.startsWith("Infinity", i)) {
      out += "0";
      i += 7;
    } else out += c;
  }
  return out;
}

/** Whether Python's `json.loads(text)` succeeds. */
function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    if (!PYTHON_CONSTANTS.test(text)) return false;
    try {
      JSON.parse(withoutPythonConstants(text));
      return true;
    } catch {
      return false;
    }
  }
}

const jsonParseable = row({
  type: "expect_column_values_to_be_json_parseable",
  description:
    "Each value is a string holding valid JSON (other values, even objects, are unexpected, as in GE).",
  args: {},
  compile: () => (value) => typeof value === "string" && parsesAsJson(value),
});

/**
 * Compiles a JSON Schema with the draft its `$schema` names (Python's `jsonschema.validate`
 * defaults to 2020-12). Formats are annotations, as in `jsonschema` without a format checker.
 */
function compileJsonSchema(schema: Record<string, unknown>): ValidateFunction {
  const draft = typeof schema.$schema === "string" ? schema.$schema : "";
  const options = { strict: false, validateFormats: false, allErrors: false };
  const ajv = draft.includes("draft-07")
    ? new Ajv(options)
    : draft.includes("2019-09")
      ? new Ajv2019(options)
      : new Ajv2020(options);
  // Older drafts (04, 06) are read with 2020-12 rules, which they mostly share.
  const compatible =
    draft === "" || draft.includes("draft-07") || draft.includes("2019-09") || draft.includes("2020-12");
  const { $schema: _, ...rest } = schema;
  try {
    return ajv.compile(compatible ? schema : rest);
  } catch (error) {
    throw new ExpectationError(`json_schema is not a valid JSON Schema: ${(error as Error).message}`);
  }
}

const matchJsonSchema = row({
  type: "expect_column_values_to_match_json_schema",
  description:
    "Each value matches json_schema: a string is parsed as JSON first (as GE does), an already-structured value is validated as it is.",
  args: { json_schema: { kind: "object", required: true } },
  compile(kwargs) {
    const validate = compileJsonSchema(kwargs.json_schema as Record<string, unknown>);
    return (value) => {
      if (typeof value !== "string") return validate(value) === true;
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        return false;
      }
      return validate(parsed) === true;
    };
  },
});

// ---------------------------------------------------------------------------------------------
// Regular expressions

/** Compiles one Python pattern; a bad pattern is the user's error. */
function regexOf(pattern: unknown, argument: string): RegExp {
  if (typeof pattern !== "string")
    throw new ExpectationError(`${argument} must hold strings, got ${showValue(pattern)}`);
  try {
    return compilePythonRegex(pattern);
  } catch (error) {
    if (error instanceof RegexSyntaxError) throw new ExpectationError(`${argument}: ${error.message}`);
    throw error;
  }
}

/** Compiles `regex_list`, refusing an empty one (GE fails on it with a pandas error). */
function regexListOf(kwargs: Kwargs): RegExp[] {
  const list = kwargs.regex_list as unknown[];
  if (list.length === 0) throw new ExpectationError("regex_list must not be empty");
  return list.map((p) => regexOf(p, "regex_list"));
}

const matchRegex = row({
  type: "expect_column_values_to_match_regex",
  description:
    "Each value contains a match of regex (Python syntax, re.search semantics; non-strings are matched as their JSON text).",
  args: { regex: { kind: "string", default: "(?s).*" } },
  compile(kwargs) {
    const regex = regexOf(kwargs.regex, "regex");
    return (value) => regex.test(textOf(value));
  },
});

const notMatchRegex = row({
  type: "expect_column_values_to_not_match_regex",
  description: "No value contains a match of regex (Python syntax, re.search semantics).",
  args: { regex: { kind: "string", required: true } },
  compile(kwargs) {
    const regex = regexOf(kwargs.regex, "regex");
    return (value) => !regex.test(textOf(value));
  },
});

const matchRegexList = row({
  type: "expect_column_values_to_match_regex_list",
  description:
    "Each value contains a match of any (match_on: any) or of every (match_on: all) regex in regex_list (Python syntax).",
  args: {
    regex_list: { kind: "array", required: true },
    match_on: { kind: "string", default: "any", oneOf: ["any", "all"] },
  },
  compile(kwargs) {
    const regexes = regexListOf(kwargs);
    if (kwargs.match_on === "all")
      return (value) => {
        const text = textOf(value);
        for (const r of regexes) if (!r.test(text)) return false;
        return true;
      };
    return (value) => {
      const text = textOf(value);
      for (const r of regexes) if (r.test(text)) return true;
      return false;
    };
  },
});

const notMatchRegexList = row({
  type: "expect_column_values_to_not_match_regex_list",
  description: "No value contains a match of any regex in regex_list (Python syntax).",
  args: { regex_list: { kind: "array", required: true } },
  compile(kwargs) {
    const regexes = regexListOf(kwargs);
    return (value) => {
      const text = textOf(value);
      for (const r of regexes) if (r.test(text)) return false;
      return true;
    };
  },
});

/**
 * The column map expectations of GE 1.x, except the four SQL `LIKE` ones
 * (`..._like_pattern...`), which GE runs on SQL backends only.
 */
export const column_map: readonly ExpectationDefinition[] = [
  valueLengthsBetween,
  valueLengthsEqual,
  zScoresLessThan,
  valuesBetween,
  dateutilParseable,
  decreasing,
  increasing,
  inSet,
  notInSet,
  inTypeList,
  ofType,
  jsonParseable,
  matchJsonSchema,
  toBeNull,
  notToBeNull,
  unique,
  matchRegex,
  notMatchRegex,
  matchRegexList,
  notMatchRegexList,
  matchStrftimeFormat,
];
