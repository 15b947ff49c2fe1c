import { showValue } from "../../errors.js";
import { isoInstant } from "../datetime.js";
import { ExpectationError } from "../types.js";

/**
 * Value helpers shared by the column map expectations: Python's view of strings (lengths and order
 * by code point), GE's comparison rules for `..._to_be_between` and ordering checks, equality for
 * value sets, and JSON text. All allocation-free for strings and numbers, as they run per event.
 */

/** Python's `len(text)`: code points, so "😀" is 1 (JavaScript's `length` says 2). */
export function codePointLength(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** Python's string order (by code point; JavaScript's `<` orders UTF-16 units, which differs above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (an astral code point) sorts after every BMP character above it.
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy) return sx ? (y >= 0xe000 ? 1 : x - y) : x >= 0xe000 ? -1 : x - y;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * Compares a column value with a bound as GE's `is_between` does: numbers with numbers, strings
 * with strings (as instants when both are ISO 8601 date-times, which is how a pandas datetime
 * column compares with a date bound, else by code point); anything else raises, as Python raises
 * comparing `str` with `int`. `boundInstant` and `valueInstant` are the instants of the bound
 * and of the value (NaN when not ISO date-times), read once by the caller.
 */
export function compareWithBound(
  value: unknown,
  bound: number | string,
  boundInstant: number,
  valueInstant: number,
): number {
  if (typeof value === "number" && typeof bound === "number") return value - bound;
  if (typeof value === "string" && typeof bound === "string") {
    if (!Number.isNaN(boundInstant) && !Number.isNaN(valueInstant)) return valueInstant - boundInstant;
    return compareCodePoints(value, bound);
  }
  throw new ExpectationError(
    `cannot compare the column value ${showValue(value)} with ${showValue(bound)}; column values and bounds must both be numbers or both be strings (dates as ISO 8601 text)`,
  );
}

/**
 * A value's position for ordering checks (`..._to_be_increasing`): the number itself, or the
 * instant of an ISO 8601 date-time. Other values raise: GE's pandas `diff()` refuses them.
 */
export function orderKey(value: unknown): { kind: "number" | "datetime"; key: number } {
  if (typeof value === "number") return { kind: "number", key: value };
  if (typeof value === "string") {
    const instant = isoInstant(value);
    if (!Number.isNaN(instant)) return { kind: "datetime", key: instant };
  }
  throw new ExpectationError(
    `${showValue(value)} is neither a number nor an ISO 8601 date-time, so it has no order`,
  );
}

/**
 * Key for equality of arrays and objects in sets: canonical JSON with sorted object keys (GE
 * compares such values with Python's `==`, which ignores key order).
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * Membership in a value set with GE's equality on JSON values: 1 and 1.0 are equal (one number in
 * JSON), "1" and 1 are not, booleans are not numbers, arrays and objects compare by content.
 * Built once; `has` allocates only for arrays and objects.
 */
export function valueSet(values: readonly unknown[]): (value: unknown) => boolean {
  const scalars = new Set<unknown>();
  const composites = new Set<string>();
  for (const v of values) {
    if (v !== null && typeof v === "object") composites.add(canonicalJson(v));
    else scalars.add(v);
  }
  if (composites.size === 0) return (value) => scalars.has(value);
  return (value) =>
    value !== null && typeof value === "object" ? composites.has(canonicalJson(value)) : scalars.has(value);
}

/** The text a regular expression sees: strings as they are, other values as JSON (GE: `astype(str)`). */
export function textOf(value: unknown): string {
  return typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
}
