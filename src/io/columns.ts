import { sortFloat64 } from "../stats/sort.js";
import type { CategoryCounts, ColumnSample } from "../stats/types.js";

/** How a column's values are to be read: decided by the user or inferred from the data. */
export type KindHint = "numeric" | "categorical" | "auto";

/** A column read from a file, ready for the statistics: missing values removed and counted. */
export type ColumnData =
  | {
      readonly name: string;
      readonly kind: "numeric";
      readonly sample: Extract<ColumnSample, { kind: "numeric" }>;
      readonly missing: number;
      /** The values in row order, NaN where missing: only when the reader was asked to keep it. */
      readonly rows?: Float64Array;
    }
  | {
      readonly name: string;
      readonly kind: "categorical";
      readonly sample: Extract<ColumnSample, { kind: "categorical" }>;
      readonly missing: number;
    }
  | {
      readonly name: string;
      readonly kind: "skipped";
      /** Why the column cannot be compared (timestamps, nested values, all missing). */
      readonly reason: string;
      readonly missing: number;
    };

// ISO-8601 date or date-time (calendar dates; optional time, fraction and offset). Columns whose
// every value matches are timestamps: drift in them is drift in time itself, so they are skipped.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** True when `text` is an ISO-8601 calendar date or date-time. */
export function isIsoTimestamp(text: string): boolean {
  return ISO_8601.test(text);
}

/**
 * Parses CSV field text as a finite decimal number, or returns NaN. Stricter than `Number()`:
 * hexadecimal, binary and octal literals, padding whitespace and infinities are not numbers in a
 * data file (pandas agrees on all but whitespace), so they make the column categorical.
 */
export function parseDecimal(text: string): number {
  const n = text.length;
  if (n === 0) return Number.NaN;
  const first = text.charCodeAt(0);
  // digits, '+', '-', '.'
  if (!((first >= 48 && first <= 57) || first === 43 || first === 45 || first === 46)) return Number.NaN;
  const last = text.charCodeAt(n - 1);
  if (!((last >= 48 && last <= 57) || last === 46)) return Number.NaN;
  if (first === 48 && n > 1) {
    const second = text.charCodeAt(1) | 32;
    if (second === 120 || second === 98 || second === 111) return Number.NaN; // 0x 0b 0o
  }
  const value = +text;
  return Number.isFinite(value) ? value : Number.NaN;
}

/**
 * Accumulates one column while a file is read. Numeric until a value that is not a number
 * arrives; then the reader is told (`needsText`) so it can supply the original text again, because
 * the categories of a mixed column must be the file's own strings ("1.0" is not "1").
 */
export class ColumnBuilder {
  // Small at first and doubled as needed: 8 KiB per column up front made a 100 000-column file
  // cost 800 MB per side before a single value was read.
  private values = new Float64Array(16);
  private length = 0;
  private counts = new Map<string, number>();
  private missingCount = 0;
  private mode: "numeric" | "categorical";
  private nested = false;
  private nestedCount = 0;
  private categoryTotal = 0;
  // Row order with NaN for a missing value, for sections that need whole rows (outliers); kept
  // apart from `values` so the sorted sample costs nothing more when no one asks for rows.
  private order: Float64Array | null;
  private orderLength = 0;
  /** True when an auto column met a non-number after numbers: the reader must re-read it as text. */
  needsText = false;

  constructor(
    readonly name: string,
    readonly hint: KindHint,
    keepRowOrder = false,
  ) {
    this.mode = hint === "categorical" ? "categorical" : "numeric";
    this.order = keepRowOrder && this.mode === "numeric" ? new Float64Array(16) : null;
  }

  private pushOrder(value: number): void {
    if (this.order === null) return;
    if (this.orderLength === this.order.length) {
      const grown = new Float64Array(this.order.length * 2);
      grown.set(this.order);
      this.order = grown;
    }
    this.order[this.orderLength++] = value;
  }

  /** True when the builder wants values as text (categorical), false when it wants numbers. */
  get wantsText(): boolean {
    return this.mode === "categorical";
  }

  /** Records a missing value. */
  addMissing(): void {
    this.missingCount++;
    this.pushOrder(Number.NaN);
  }

  /** Number of values recorded so far, missing included. */
  get count(): number {
    return this.length + this.missingCount + this.categoryTotal + this.nestedCount;
  }

  /** Adds missing values until the column spans `rows` rows (for rows that lacked the key). */
  fill(rows: number): void {
    const gap = rows - this.count;
    if (gap > 0) this.missingCount += gap;
    for (let i = 0; i < gap && this.order !== null; i++) this.pushOrder(Number.NaN);
  }

  /** Records a number. Returns false when a numeric-only column receives text. */
  addNumber(value: number): void {
    if (this.mode === "categorical") {
      this.addCategory(String(value));
      return;
    }
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
    this.pushOrder(value);
  }

  /**
   * Records a value that is not a number. In an auto column that already holds numbers the
   * original text of those numbers is needed: `fromNumbers` says whether the numbers seen so far can
   * be turned back into their text exactly (JSON: yes, the file had numbers; CSV: no, re-read).
   */
  addText(text: string, fromNumbers: "stringify" | "reread"): void {
    if (this.mode === "numeric") {
      if (this.hint === "numeric") {
        throw new TypeError(`value ${JSON.stringify(text)} is not a number`);
      }
      this.mode = "categorical";
      this.order = null;
      if (this.length > 0) {
        if (fromNumbers === "reread") {
          this.needsText = true;
          // Keep the row count right until the re-read replaces this column.
          this.categoryTotal += this.length;
        } else {
          for (let i = 0; i < this.length; i++) this.addCategory(String(this.values[i]));
        }
      }
      this.values = new Float64Array(0);
      this.length = 0;
    }
    this.addCategory(text);
  }

  /** Records a nested value (JSON object or array): the column cannot be compared. */
  addNested(): void {
    this.nested = true;
    this.nestedCount++;
  }

  private addCategory(text: string): void {
    this.categoryTotal++;
    this.counts.set(text, (this.counts.get(text) ?? 0) + 1);
  }

  private rowsOf(): { rows?: Float64Array } {
    return this.order === null ? {} : { rows: this.order.slice(0, this.orderLength) };
  }

  /** The finished column: values sorted, or category counts, or the reason it is skipped. */
  finish(): ColumnData {
    const name = this.name;
    const missing = this.missingCount;
    if (this.nested) return { name, kind: "skipped", reason: "nested values (objects or arrays)", missing };
    if (this.mode === "numeric") {
      if (this.length === 0) {
        if (this.hint === "categorical") {
          return { name, kind: "categorical", sample: { kind: "categorical", counts: new Map() }, missing };
        }
        return {
          name,
          kind: "numeric",
          sample: { kind: "numeric", sorted: new Float64Array(0) },
          missing,
          ...this.rowsOf(),
        };
      }
      // -0 sorts before +0, which the statistics treat as equal values anyway.
      const sorted = sortFloat64(this.values.slice(0, this.length));
      return { name, kind: "numeric", sample: { kind: "numeric", sorted }, missing, ...this.rowsOf() };
    }
    const counts: CategoryCounts = this.counts;
    if (this.hint === "auto" && counts.size > 0 && [...counts.keys()].every(isIsoTimestamp)) {
      return { name, kind: "skipped", reason: "ISO-8601 timestamps", missing };
    }
    return { name, kind: "categorical", sample: { kind: "categorical", counts }, missing };
  }
}

// Exact powers of ten: every 10^k with k <= 22 is a double without rounding.
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * Parses a plain decimal number (`-12.345`, `7`, `.5`) straight from bytes, or returns NaN when
 * the field needs the general path (`parseDecimal` on its text): an exponent, more than 15
 * significant digits, or anything that is not a digit, sign or point.
 *
 * Exact by Clinger's fast path (Clinger 1990, "How to read floating point numbers accurately"):
 * with at most 15 significant digits the digits form an integer below 2^53 and every 10^k for
 * k <= 22 is exact, so one IEEE division or multiplication gives the correctly rounded double,
 * the same as `Number(text)`. It avoids making a string for every numeric field of a large file.
 */
export function parseDecimalBytes(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  let negative = false;
  const first = buf[i];
  if (first === 45 || first === 43) {
    negative = first === 45;
    i++;
  }
  let mantissa = 0;
  let significant = 0;
  let fraction = 0;
  let digits = 0;
  let point = false;
  for (; i < end; i++) {
    const c = buf[i];
    if (c >= 48 && c <= 57) {
      digits++;
      if (point) fraction++;
      if (mantissa !== 0 || c !== 48) {
        if (++significant > 15) return Number.NaN;
      }
      mantissa = mantissa * 10 + (c - 48);
    } else if (c === 46 && !point) {
      point = true;
    } else {
      return Number.NaN;
    }
  }
  if (digits === 0 || fraction > 22) return Number.NaN;
  const value = fraction === 0 ? mantissa : mantissa / POW10[fraction];
  return negative ? -value : value;
}
