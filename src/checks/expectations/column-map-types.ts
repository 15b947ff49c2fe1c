import { showValue, suggest } from "../../errors.js";
import { isoInstant } from "../datetime.js";
import { ExpectationError } from "../types.js";

/**
 * Type names in GE's type expectations (`..._to_be_of_type`, `..._to_be_in_type_list`) mapped onto
 * JSON values. GE suites name pandas / numpy dtypes (`int64`, `float64`, `object`, `datetime64`),
 * Python types (`int`, `str`, `bool`, `list`, `dict`), SQL types (`INTEGER`, `VARCHAR`,
 * `DOUBLE_PRECISION`) and Spark types (`IntegerType`, `StringType`); an event carries JSON, so each
 * name stands for the JSON values it would hold. Names are matched case-blind.
 *
 * | JSON value                         | names                                                       |
 * | ---------------------------------- | ----------------------------------------------------------- |
 * | integral number                    | int, int8..int64, uint8..uint64, Int64 / Int64Dtype..., long, integer, bigint, smallint, tinyint, IntegerType, LongType, ... |
 * | any number                         | float, float16..float64, double, DOUBLE_PRECISION, real, numeric, decimal, number, FloatType, DoubleType, DecimalType |
 * | string                             | str, string, unicode, text, varchar, char, StringType, ... |
 * | boolean                            | bool, boolean, bit, BooleanType                             |
 * | ISO 8601 date or date-time string  | datetime, datetime64, datetime64[ns], Timestamp, DatetimeTZDtype, TimestampType, ... |
 * | ISO 8601 date string (YYYY-MM-DD)  | date, DateType                                              |
 * | array                              | list, tuple, ArrayType                                      |
 * | object                             | dict, MapType, StructType                                   |
 * | any value                          | object, object_, O (numpy's catch-all dtype: a pandas column of strings, or of anything, is `object`) |
 * | null (never, nulls are skipped)    | None, NoneType                                              |
 *
 * JSON cannot tell 1.0 from 1, so `float` accepts every number and `int` every integral number;
 * booleans are not numbers here (numpy's `bool_` is not an integer dtype). What GE does for a
 * non-object pandas column, comparing the column's dtype and reporting it as `observed_value`, has
 * no JSON counterpart: driftwatch always checks value by value.
 */

/** A JSON value's type test. */
export type ValueType = (value: unknown) => boolean;

const isInteger: ValueType = (v) => typeof v === "number" && Number.isInteger(v);
const isNumber: ValueType = (v) => typeof v === "number";
const isString: ValueType = (v) => typeof v === "string";
const isBoolean: ValueType = (v) => typeof v === "boolean";
const isDateTime: ValueType = (v) => typeof v === "string" && !Number.isNaN(isoInstant(v));
const isDate: ValueType = (v) => typeof v === "string" && v.length === 10 && !Number.isNaN(isoInstant(v));
const isArray: ValueType = (v) => Array.isArray(v);
const isObject: ValueType = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const isAnything: ValueType = () => true;
const isNull: ValueType = (v) => v === null;

const sizes = (prefix: string, bits: readonly number[]) => bits.map((b) => `${prefix}${b}`);
const INTS = [8, 16, 32, 64];

const NAMES: ReadonlyArray<readonly [ValueType, readonly string[]]> = [
  [
    isInteger,
    [
      "int",
      "int_",
      "intc",
      "intp",
      "long",
      "longlong",
      "short",
      "integer",
      "bigint",
      "smallint",
      "tinyint",
      "mediumint",
      "integertype",
      "longtype",
      "shorttype",
      "bytetype",
      ...sizes("int", INTS),
      ...sizes("uint", INTS),
      ...INTS.map((b) => `int${b}dtype`),
      ...INTS.map((b) => `uint${b}dtype`),
    ],
  ],
  [
    isNumber,
    [
      "float",
      "float_",
      "double",
      "longdouble",
      "half",
      "single",
      "real",
      "numeric",
      "decimal",
      "number",
      "double_precision",
      "floattype",
      "doubletype",
      "decimaltype",
      ...sizes("float", [16, 32, 64]),
      "float32dtype",
      "float64dtype",
    ],
  ],
  [
    isString,
    [
      "str",
      "str_",
      "string",
      "string_",
      "string_types",
      "unicode",
      "unicode_",
      "text",
      "varchar",
      "nvarchar",
      "char",
      "nchar",
      "clob",
      "stringtype",
      "stringdtype",
    ],
  ],
  [isBoolean, ["bool", "bool_", "boolean", "bit", "booleantype", "booleandtype"]],
  [
    isDateTime,
    [
      "datetime",
      "datetime64",
      "datetime64[ns]",
      "datetime64[us]",
      "datetime64[ms]",
      "datetime64[s]",
      "timestamp",
      "datetimetzdtype",
      "datetimetzdtypetype",
      "timestamptype",
      "timestamp_ntz",
      "timestamp_ltz",
      "timestamp_tz",
    ],
  ],
  [isDate, ["date", "datetype"]],
  [isArray, ["list", "tuple", "array", "arraytype"]],
  [isObject, ["dict", "map", "maptype", "struct", "structtype"]],
  [isAnything, ["object", "object_", "o"]],
  [isNull, ["none", "nonetype"]],
];

const BY_NAME: ReadonlyMap<string, ValueType> = new Map(
  NAMES.flatMap(([test, names]) => names.map((n) => [n, test] as const)),
);

/** The JSON type test for a GE type name; throws ExpectationError for a name it does not know. */
export function valueTypeOf(name: string): ValueType {
  const test = BY_NAME.get(name.toLowerCase());
  if (test === undefined)
    throw new ExpectationError(
      `unknown type ${showValue(name)}${suggest(name.toLowerCase(), [...BY_NAME.keys()])}; known: pandas/numpy, Python, SQL and Spark names such as int, float, str, bool, datetime64, list, dict, object`,
    );
  return test;
}

/** One test for several type names (any of them matches). */
export function anyValueType(names: readonly string[]): ValueType {
  const tests = [...new Set(names.map(valueTypeOf))];
  if (tests.length === 1) return tests[0];
  return (value) => {
    for (const test of tests) if (test(value)) return true;
    return false;
  };
}
