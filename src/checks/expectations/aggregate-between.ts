import { showValue } from "../../errors.js";
import { ExpectationError, type Kwargs } from "../types.js";
import { compareValues, isMissing, isoMillis } from "./aggregate-values.js";

/**
 * The `min_value` / `max_value` / `strict_min` / `strict_max` check GE 1.x applies to a column
 * aggregate (`_validate_metric_value_between`): both bounds inclusive unless strict, a missing bound
 * is no bound (so no bound at all passes vacuously), a missing or NaN aggregate fails. Bounds compare
 * with numbers, with date-times (ISO text, compared as instants) or with plain text (compared by
 * code unit); comparing across those kinds is an error, as it is in Python.
 */

/** An aggregate value or bound, read once: a number, an instant (ms) or a text. */
export type Comparable =
  | { readonly kind: "number"; readonly value: number }
  | { readonly kind: "time"; readonly value: number; readonly text: string }
  | { readonly kind: "text"; readonly text: string };

/** Parsed bounds of a `..._to_be_between` aggregate. */
export interface Bounds {
  readonly min: Comparable | null;
  readonly max: Comparable | null;
  readonly strictMin: boolean;
  readonly strictMax: boolean;
}

/** Reads a bound or observed value: numbers (booleans as 0/1), ISO date-times, or plain text. */
export function comparableOf(value: unknown): Comparable {
  if (typeof value === "number") return { kind: "number", value };
  if (typeof value === "boolean") return { kind: "number", value: value ? 1 : 0 };
  if (value instanceof Date) return { kind: "time", value: value.getTime(), text: value.toISOString() };
  if (typeof value === "string") {
    const ms = isoMillis(value);
    return ms === null ? { kind: "text", text: value } : { kind: "time", value: ms, text: value };
  }
  throw new ExpectationError(`cannot compare ${showValue(value)} with a bound`);
}

/**
 * Compares an aggregate with a bound: negative, zero or positive. A date-time aggregate needs a
 * date-time bound and a number one a number; a text aggregate compares with any text bound as text.
 */
function compare(observed: Comparable, bound: Comparable, name: string): number {
  if (observed.kind === "number" && bound.kind === "number") return observed.value - bound.value;
  if (observed.kind === "time" && bound.kind === "time") return observed.value - bound.value;
  if (observed.kind !== "number" && bound.kind !== "number") {
    if (observed.kind === "time")
      throw new ExpectationError(`${name} ${showValue(bound.text)} is not a date-time (ISO 8601)`);
    return compareValues(observed.text, bound.text);
  }
  const shown = (c: Comparable) => showValue(c.kind === "number" ? c.value : c.text);
  throw new ExpectationError(
    `cannot compare the observed value ${shown(observed)} with ${name} ${shown(bound)}: one is a number, the other ${observed.kind === "number" ? "text" : "not"}`,
  );
}

/**
 * Parses `min_value`, `max_value`, `strict_min`, `strict_max`; a bound given as null is no bound.
 * Throws ExpectationError when min_value exceeds max_value, or the two are of different kinds.
 *
 * @example
 * parseBounds({ min_value: 1, max_value: 0 }) // throws: min_value 1 is greater than max_value 0
 */
export function parseBounds(kwargs: Kwargs): Bounds {
  const read = (v: unknown) => (isMissing(v) ? null : comparableOf(v));
  const min = read(kwargs.min_value);
  const max = read(kwargs.max_value);
  if (min !== null && max !== null) {
    const kinds = new Set([min.kind, max.kind]);
    if (kinds.has("number") && kinds.size > 1)
      throw new ExpectationError(
        `min_value ${showValue(kwargs.min_value)} and max_value ${showValue(kwargs.max_value)} must both be numbers or both be text`,
      );
    const order =
      min.kind === "number" || max.kind === "number"
        ? compare(min, max, "max_value")
        : min.kind === "time" && max.kind === "time"
          ? min.value - max.value
          : compareValues(min.text, max.text);
    if (order > 0)
      throw new ExpectationError(
        `min_value ${showValue(kwargs.min_value)} is greater than max_value ${showValue(kwargs.max_value)}`,
      );
  }
  return {
    min,
    max,
    strictMin: kwargs.strict_min === true,
    strictMax: kwargs.strict_max === true,
  };
}

/**
 * Whether an aggregate lies within the bounds (GE: `min <= x <= max`, `<` where strict).
 *
 * @example
 * withinBounds({ kind: "number", value: 5 }, parseBounds({ min_value: 0, max_value: 5 })) // true
 */
export function withinBounds(observed: Comparable, bounds: Bounds): boolean {
  if (bounds.min !== null) {
    const c = compare(observed, bounds.min, "min_value");
    if (bounds.strictMin ? !(c > 0) : !(c >= 0)) return false;
  }
  if (bounds.max !== null) {
    const c = compare(observed, bounds.max, "max_value");
    if (bounds.strictMax ? !(c < 0) : !(c <= 0)) return false;
  }
  return true;
}
