import { showValue } from "../../errors.js";
import {
  type AggregateOutcome,
  type ArgSpec,
  type ColumnAggregateDefinition,
  type ExpectationDefinition,
  ExpectationError,
  type Kwargs,
} from "../types.js";
import { comparableOf, parseBounds, withinBounds } from "./aggregate-between.js";
import {
  INTERPOLATIONS,
  type Interpolation,
  isMissing,
  isoMillis,
  keySet,
  numericValues,
  pandasMean,
  pandasMedian,
  pandasQuantile,
  pandasStd,
  pandasSum,
  present,
  valueCounts,
  valueKey,
} from "./aggregate-values.js";

/**
 * GE's column aggregate expectations (GE 1.x, pandas semantics): the distinct-value set checks,
 * min / max / mean / median / stdev / sum between bounds, the most common value, the share and
 * count of unique values, and quantiles between ranges. Missing values are ignored, as in GE; an
 * aggregate of no values (mean, median, stdev, min, max) is `observed_value: null` and fails.
 */

// ---------------------------------------------------------------------------------------------
// Aggregates between bounds

const NUMBER_BOUNDS: Record<string, ArgSpec> = {
  min_value: { kind: "number", nullable: true },
  max_value: { kind: "number", nullable: true },
  strict_min: { kind: "boolean", default: false },
  strict_max: { kind: "boolean", default: false },
};

const COMPARABLE_BOUNDS: Record<string, ArgSpec> = {
  ...NUMBER_BOUNDS,
  min_value: { kind: "comparable", nullable: true },
  max_value: { kind: "comparable", nullable: true },
};

/**
 * A `..._to_be_between` aggregate: `metric` computes the observed value from the column (null or
 * NaN when there is none), which must lie within `min_value` / `max_value` (GE's
 * `_validate_metric_value_between`).
 */
function betweenAggregate(
  type: string,
  description: string,
  metric: (values: readonly unknown[]) => unknown,
  bounds: "number" | "comparable" = "number",
): ColumnAggregateDefinition {
  return {
    type,
    description,
    domain: "column",
    kind: "aggregate",
    args: bounds === "number" ? NUMBER_BOUNDS : COMPARABLE_BOUNDS,
    validate: (kwargs) => void parseBounds(kwargs),
    compile(kwargs: Kwargs) {
      const parsed = parseBounds(kwargs);
      return (values): AggregateOutcome => {
        const observed = metric(values);
        if (isMissing(observed)) return { success: false, observed_value: null };
        return { success: withinBounds(comparableOf(observed), parsed), observed_value: observed };
      };
    },
  };
}

/**
 * The keys by which a column's values order for min / max: numbers (booleans as 0 / 1), instants
 * (ms) of ISO date-time texts or dates, or else the texts themselves. Mixed kinds are an error.
 */
function orderKeys(values: readonly unknown[], what: string): readonly (number | string)[] {
  if (values.every((v) => typeof v === "number" || typeof v === "boolean")) return values.map(Number);
  if (values.every((v) => v instanceof Date)) return values.map((v) => (v as Date).getTime());
  if (values.every((v) => typeof v === "string")) {
    const times = values.map((v) => isoMillis(v as string));
    return times.every((t) => t !== null) ? (times as number[]) : (values as string[]);
  }
  const kinds = [...new Set(values.map((v) => (v instanceof Date ? "date-time" : typeof v)))];
  throw new ExpectationError(`the ${what} needs comparable values; the column mixes ${kinds.join(" and ")}`);
}

/**
 * The largest (`sign` 1) or smallest (`sign` −1) present value, as pandas' `max` / `min`: numbers
 * by value, ISO date-time texts by instant, other texts by code unit; the value itself is returned
 * (a date-time stays its ISO text). Null for a column without values; mixed kinds are an error.
 */
function extreme(values: readonly unknown[], sign: 1 | -1): unknown {
  const kept = present(values);
  if (kept.length === 0) return null;
  const keys = orderKeys(kept, sign === 1 ? "maximum" : "minimum");
  let best = 0;
  for (let i = 1; i < kept.length; i++)
    if (sign === 1 ? keys[i] > keys[best] : keys[i] < keys[best]) best = i;
  return kept[best];
}

const maxBetween = betweenAggregate(
  "expect_column_max_to_be_between",
  "The column's maximum (a number, or a date-time given as ISO text) is between min_value and max_value.",
  (values) => extreme(values, 1),
  "comparable",
);

const minBetween = betweenAggregate(
  "expect_column_min_to_be_between",
  "The column's minimum (a number, or a date-time given as ISO text) is between min_value and max_value.",
  (values) => extreme(values, -1),
  "comparable",
);

const meanBetween = betweenAggregate(
  "expect_column_mean_to_be_between",
  "The mean of the column's values (booleans count as 0 and 1) is between min_value and max_value.",
  pandasMean,
);

const medianBetween = betweenAggregate(
  "expect_column_median_to_be_between",
  "The median of the column's values is between min_value and max_value.",
  pandasMedian,
);

const stdevBetween = betweenAggregate(
  "expect_column_stdev_to_be_between",
  "The sample standard deviation (ddof = 1, as pandas) of the column's values is between min_value and max_value.",
  pandasStd,
);

const sumBetween = betweenAggregate(
  "expect_column_sum_to_be_between",
  "The sum of the column's values (0 when it has none, as pandas) is between min_value and max_value.",
  pandasSum,
);

/** Number of distinct present values. */
function distinctCount(values: readonly unknown[]): number {
  const keys = new Set<string>();
  for (const v of values) if (!isMissing(v)) keys.add(valueKey(v));
  return keys.size;
}

const uniqueValueCountBetween = betweenAggregate(
  "expect_column_unique_value_count_to_be_between",
  "The number of distinct values in the column is between min_value and max_value.",
  distinctCount,
);

const proportionOfUniqueBetween = betweenAggregate(
  "expect_column_proportion_of_unique_values_to_be_between",
  "The number of distinct values divided by the number of present values (0 when none) is between min_value and max_value.",
  (values) => {
    const count = present(values).length;
    return count === 0 ? 0 : distinctCount(values) / count;
  },
);

// ---------------------------------------------------------------------------------------------
// Distinct values and the most common value

/** Reads `value_set`: an array (null or absent reads as empty, when `nullable`). */
function valueSetOf(kwargs: Kwargs): readonly unknown[] {
  const set = kwargs.value_set;
  return Array.isArray(set) ? set : [];
}

/** A distinct-values check: `test(observed keys, expected keys)` decides success. */
function distinctValues(
  type: string,
  description: string,
  nullable: boolean,
  test: (observed: ReadonlySet<string>, expected: ReadonlySet<string>) => boolean,
): ColumnAggregateDefinition {
  return {
    type,
    description,
    domain: "column",
    kind: "aggregate",
    args: { value_set: { kind: "array", required: true, nullable } },
    compile(kwargs) {
      const expected = keySet(valueSetOf(kwargs));
      return (values) => {
        const counts = valueCounts(values);
        const observed = new Set(counts.map((c) => valueKey(c.value)));
        return {
          success: test(observed, expected),
          observed_value: counts.map((c) => c.value),
          details: { value_counts: counts },
        };
      };
    },
  };
}

const isSubset = (a: ReadonlySet<string>, b: ReadonlySet<string>) => [...a].every((k) => b.has(k));

const distinctInSet = distinctValues(
  "expect_column_distinct_values_to_be_in_set",
  "Every distinct value of the column is in value_set (an empty or null value_set admits any value).",
  true,
  (observed, expected) => expected.size === 0 || isSubset(observed, expected),
);

const distinctContainSet = distinctValues(
  "expect_column_distinct_values_to_contain_set",
  "The column's distinct values include every value of value_set.",
  false,
  (observed, expected) => isSubset(expected, observed),
);

const distinctEqualSet = distinctValues(
  "expect_column_distinct_values_to_equal_set",
  "The column's distinct values are exactly the values of value_set.",
  false,
  (observed, expected) => observed.size === expected.size && isSubset(observed, expected),
);

const mostCommonValueInSet: ColumnAggregateDefinition = {
  type: "expect_column_most_common_value_to_be_in_set",
  description:
    "The column's most common value is in value_set (with ties_okay, any of several equally common values may be).",
  domain: "column",
  kind: "aggregate",
  args: {
    value_set: { kind: "array", required: true, nullable: true },
    ties_okay: { kind: "boolean", nullable: true, default: false },
  },
  compile(kwargs) {
    const expected = keySet(valueSetOf(kwargs));
    const tiesOkay = kwargs.ties_okay === true;
    return (values) => {
      const counts = valueCounts(values);
      const top = counts.reduce((m, c) => Math.max(m, c.count), 0);
      const modes = counts.filter((c) => c.count === top).map((c) => c.value);
      const hits = modes.filter((m) => expected.has(valueKey(m))).length;
      return {
        success: tiesOkay ? hits > 0 : modes.length === 1 && hits === 1,
        observed_value: modes,
      };
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Quantiles

/** `quantile_ranges` read once: the levels, their ranges (null ends open) and pandas' interpolation. */
interface QuantileRanges {
  readonly quantiles: readonly number[];
  readonly ranges: readonly (readonly [number, number])[];
  readonly interpolation: Interpolation;
}

/**
 * Reads `quantile_ranges` ({quantiles, value_ranges}) and `allow_relative_error` (false: pandas'
 * `nearest`, as GE; or an interpolation name). Throws ExpectationError for levels outside [0, 1],
 * ranges that are not ordered pairs, or lists of different lengths.
 */
export function parseQuantileRanges(kwargs: Kwargs): QuantileRanges {
  const spec = kwargs.quantile_ranges as Record<string, unknown>;
  const { quantiles, value_ranges } = spec;
  if (!Array.isArray(quantiles) || !quantiles.every((q) => typeof q === "number" && q >= 0 && q <= 1))
    throw new ExpectationError(
      `quantile_ranges.quantiles must be a list of numbers between 0 and 1, got ${showValue(quantiles)}`,
    );
  if (!Array.isArray(value_ranges))
    throw new ExpectationError(`quantile_ranges.value_ranges must be a list of [min, max] pairs`);
  const ranges = value_ranges.map((range, i): [number, number] => {
    const ok =
      Array.isArray(range) && range.length === 2 && range.every((v) => v === null || typeof v === "number");
    if (!ok)
      throw new ExpectationError(
        `quantile_ranges.value_ranges[${i}] must be a [min, max] pair of numbers or nulls, got ${showValue(range)}`,
      );
    const [lo, hi] = range as (number | null)[];
    if (lo !== null && hi !== null && lo > hi)
      throw new ExpectationError(
        `quantile_ranges must consist of ordered pairs; value_ranges[${i}] is ${showValue(range)}`,
      );
    return [lo ?? Number.NEGATIVE_INFINITY, hi ?? Number.POSITIVE_INFINITY];
  });
  if (ranges.length !== quantiles.length)
    throw new ExpectationError(
      `quantile_ranges has ${quantiles.length} quantiles but ${ranges.length} value_ranges`,
    );
  const relative = kwargs.allow_relative_error;
  if (
    relative === true ||
    (typeof relative === "string" && !INTERPOLATIONS.includes(relative as Interpolation))
  )
    throw new ExpectationError(
      `allow_relative_error must be false or one of ${INTERPOLATIONS.join(", ")} (pandas' interpolation), got ${showValue(relative)}`,
    );
  const interpolation = typeof relative === "string" ? (relative as Interpolation) : "nearest";
  return { quantiles: quantiles as number[], ranges, interpolation };
}

/** numpy's `isclose(a, b, rtol, atol=1e-8)`: non-finite values are close only when equal. */
function isClose(a: number, b: number, rtol: number): boolean {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= 1e-8 + rtol * Math.abs(b);
}

/** GE's per-quantile verdict: within the range, or within a relative 1e-4 of either end. */
function quantileInRange(value: number, [lo, hi]: readonly [number, number]): boolean {
  return isClose(value, lo, 1e-4) || isClose(value, hi, 1e-4) || (lo <= value && value <= hi);
}

const quantileValuesBetween: ColumnAggregateDefinition = {
  type: "expect_column_quantile_values_to_be_between",
  description:
    "Each listed quantile of the column (pandas' nearest-rank interpolation by default) lies within its value range.",
  domain: "column",
  kind: "aggregate",
  args: {
    quantile_ranges: { kind: "object", required: true },
    allow_relative_error: { kind: ["boolean", "string"], default: false },
  },
  validate: (kwargs) => void parseQuantileRanges(kwargs),
  compile(kwargs) {
    const { quantiles, ranges, interpolation } = parseQuantileRanges(kwargs);
    return (values) => {
      const sorted = Float64Array.from(numericValues(values, "a quantile")).sort();
      const observed = quantiles.map((q) => pandasQuantile(sorted, q, interpolation));
      const details = observed.map((v, i) => quantileInRange(v, ranges[i]));
      return {
        success: details.every(Boolean),
        observed_value: { quantiles, values: observed.map((v) => (Number.isNaN(v) ? null : v)) },
        details: { success_details: details },
      };
    };
  },
};

/** Every column aggregate expectation, by GE name. */
export const column_aggregate: readonly ExpectationDefinition[] = [
  distinctInSet,
  distinctContainSet,
  distinctEqualSet,
  maxBetween,
  minBetween,
  meanBetween,
  medianBetween,
  stdevBetween,
  sumBetween,
  mostCommonValueInSet,
  proportionOfUniqueBetween,
  quantileValuesBetween,
  uniqueValueCountBetween,
];
