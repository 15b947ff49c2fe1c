import { showValue } from "../../errors.js";
import { numpySum } from "../../stats/bins.js";
import { ExpectationError } from "../types.js";

/**
 * Column values as the column aggregate expectations see them: missing values dropped, hashed into
 * sets the way a JSON reader expects (`1` and `1.0` are one value, `true` and `1` are not), ordered
 * as GE sorts them, read as numbers or as ISO date-times, and summarised with pandas' exact
 * arithmetic (numpy's pairwise sums over the rows, missing rows counted as 0).
 */

/** A value that is missing (`null` in a JSON event, an absent field). */
export function isMissing(value: unknown): boolean {
  return value === null || value === undefined || (typeof value === "number" && Number.isNaN(value));
}

/** The column's present values in row order. */
export function present(values: readonly unknown[]): unknown[] {
  return values.filter((v) => !isMissing(v));
}

/**
 * A key under which equal values hash alike: numbers by value (so 1 and 1.0 agree), strings by
 * text, booleans apart from numbers, anything else by its JSON text.
 *
 * @example
 * valueKey(1) === valueKey(1.0) // true
 */
export function valueKey(value: unknown): string {
  switch (typeof value) {
    case "number":
      return `n${value}`;
    case "string":
      return `s${value}`;
    case "boolean":
      return `b${value}`;
    default:
      return `j${JSON.stringify(value)}`;
  }
}

/** Rank of a value's type in the total order: booleans, numbers, strings, then the rest. */
function typeRank(value: unknown): number {
  switch (typeof value) {
    case "boolean":
      return 0;
    case "number":
      return 1;
    case "string":
      return 2;
    default:
      return 3;
  }
}

/**
 * A total order on JSON values: GE's `sorted(...)` for one-typed columns (numbers ascending,
 * strings by code unit), and types kept apart, booleans < numbers < strings < others, where
 * Python would refuse to compare them.
 */
export function compareValues(a: unknown, b: unknown): number {
  const rank = typeRank(a) - typeRank(b);
  if (rank !== 0) return rank;
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  const [x, y] = typeof a === "string" ? [a, b as string] : [JSON.stringify(a), JSON.stringify(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** One distinct value of a column and how many rows hold it. */
export interface ValueCount {
  readonly value: unknown;
  readonly count: number;
}

/**
 * Counts of the distinct present values, sorted by value (GE's `column.value_counts` with
 * `sort="value"`), each value as it first appeared.
 *
 * @example
 * valueCounts([2, 1, 2, null]) // [{value: 1, count: 1}, {value: 2, count: 2}]
 */
export function valueCounts(values: readonly unknown[]): ValueCount[] {
  const counts = new Map<string, { value: unknown; count: number }>();
  for (const value of values) {
    if (isMissing(value)) continue;
    const key = valueKey(value);
    const seen = counts.get(key);
    if (seen) seen.count++;
    else counts.set(key, { value, count: 1 });
  }
  return [...counts.values()].sort((a, b) => compareValues(a.value, b.value));
}

/** A set of values keyed by `valueKey`, from an expectation's `value_set`. */
export function keySet(values: readonly unknown[]): ReadonlySet<string> {
  return new Set(values.map(valueKey));
}

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Milliseconds since the epoch of an ISO 8601 date or date-time text (`2019-01-01`,
 * `2019-01-01T12:00:01`, `2019-01-01 12:00:01.5+02:00`); a naive date-time is read as UTC, as GE
 * compares naive datetimes. Null for anything else, including impossible dates.
 *
 * @example
 * isoMillis("1970-01-02") // 86400000
 */
export function isoMillis(text: string): number | null {
  const m = ISO_DATE_TIME.exec(text.trim());
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((s) =>
    s === undefined ? 0 : Number(s),
  );
  const fraction = m[7] === undefined ? 0 : Number(`0.${m[7]}`) * 1000;
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, 0);
  if (
    utc.getUTCFullYear() !== year ||
    utc.getUTCMonth() !== month - 1 ||
    utc.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  )
    return null;
  return utc.getTime() + fraction - zoneOffsetMillis(m[8]);
}

function zoneOffsetMillis(zone: string | undefined): number {
  if (zone === undefined || zone.toUpperCase() === "Z") return 0;
  const digits = zone.slice(1).replace(":", "");
  const minutes = Number(digits.slice(0, 2)) * 60 + (digits.length > 2 ? Number(digits.slice(2)) : 0);
  return (zone[0] === "-" ? -1 : 1) * minutes * 60_000;
}

/**
 * The column's present values as numbers for an arithmetic aggregate (booleans count as 0 and 1,
 * as pandas averages them); any other value is an error naming it.
 */
export function numericValues(values: readonly unknown[], what: string): number[] {
  const out: number[] = [];
  for (const v of values) {
    if (isMissing(v)) continue;
    if (typeof v === "number") out.push(v);
    else if (typeof v === "boolean") out.push(v ? 1 : 0);
    else throw new ExpectationError(`${what} needs numeric values; the column holds ${showValue(v)}`);
  }
  return out;
}

/**
 * The rows as pandas' nan-aware reductions see them: every row, missing ones as 0, so that
 * numpy's pairwise sum groups the terms exactly as pandas does. Also the count of present rows.
 */
function maskedRows(values: readonly unknown[], what: string): { rows: Float64Array; count: number } {
  const rows = new Float64Array(values.length);
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isMissing(v)) continue;
    if (typeof v === "number") rows[i] = v;
    else if (typeof v === "boolean") rows[i] = v ? 1 : 0;
    else throw new ExpectationError(`${what} needs numeric values; the column holds ${showValue(v)}`);
    count++;
  }
  return { rows, count };
}

/**
 * Sum of the present values, as `Series.sum()` (pandas' `nansum`): 0 when none is present.
 *
 * @example
 * pandasSum([1, null, 2.5]) // 3.5
 */
export function pandasSum(values: readonly unknown[]): number {
  return numpySum(maskedRows(values, "the sum").rows);
}

/**
 * Mean of the present values, as `Series.mean()` (pandas' `nanmean`: the pairwise sum divided by
 * the count); NaN when none is present.
 *
 * @example
 * pandasMean([true, null, false]) // 0.5
 */
export function pandasMean(values: readonly unknown[]): number {
  const { rows, count } = maskedRows(values, "the mean");
  return count === 0 ? Number.NaN : numpySum(rows) / count;
}

/**
 * Sample standard deviation (ddof = 1) of the present values, as `Series.std()` (pandas' two-pass
 * `nanvar`: squared deviations from the mean, missing rows as 0, over count − 1); NaN for fewer
 * than two values.
 *
 * @example
 * pandasStd([1, 1, 3]) // 1.1547005383792517
 */
export function pandasStd(values: readonly unknown[]): number {
  const { rows, count } = maskedRows(values, "the standard deviation");
  if (count < 2) return Number.NaN;
  const mean = numpySum(rows) / count;
  const squares = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    if (isMissing(values[i])) continue;
    const d = mean - rows[i];
    squares[i] = d * d;
  }
  return Math.sqrt(numpySum(squares) / (count - 1));
}

/**
 * Median of the present values, as `Series.median()` (numpy's: the middle value, or the mean of
 * the two middle ones); NaN when none is present.
 *
 * @example
 * pandasMedian([5, 7, 6, null]) // 6
 */
export function pandasMedian(values: readonly unknown[]): number {
  const sorted = Float64Array.from(numericValues(values, "the median")).sort();
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** pandas' `interpolation` choices for `Series.quantile` (numpy's discontinuous and linear methods). */
export const INTERPOLATIONS = ["linear", "lower", "higher", "midpoint", "nearest"] as const;

/** One of `INTERPOLATIONS`. */
export type Interpolation = (typeof INTERPOLATIONS)[number];

/** Rounds half to even, as `np.around`. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Quantile `q` of an ascending sample as `Series.quantile(q, interpolation=...)`: numpy's
 * percentile at `q·100` (pandas hands numpy percents, and numpy divides them back, which can move
 * q by an ulp), virtual index h = (n − 1)·q, then the named rule; `nearest` rounds h half to even.
 * NaN for an empty sample.
 *
 * @example
 * pandasQuantile(Float64Array.of(1, 2, 3, 4), 0.5, "nearest") // 3 (h = 1.5 rounds to the even index 2)
 */
export function pandasQuantile(sorted: ArrayLike<number>, q: number, interpolation: Interpolation): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * ((q * 100) / 100);
  const lo = Math.min(Math.floor(h), n - 1);
  const hi = Math.min(lo + 1, n - 1);
  switch (interpolation) {
    case "lower":
      return sorted[lo];
    case "higher":
      return sorted[Math.min(Math.ceil(h), n - 1)];
    case "midpoint":
      return h === lo ? sorted[lo] : sorted[hi] - (sorted[hi] - sorted[lo]) * 0.5;
    case "nearest":
      return sorted[Math.min(roundHalfEven(h), n - 1)];
    case "linear": {
      const t = h - lo;
      const diff = sorted[hi] - sorted[lo];
      return t >= 0.5 ? sorted[hi] - diff * (1 - t) : sorted[lo] + diff * t;
    }
  }
}
