/** A cell as the file holds it: text from CSV, typed values from JSON and Parquet. */
export type RawValue = string | number | boolean | null;

/**
 * A JSON or Parquet value as a raw cell: null for absent or non-finite, a Parquet timestamp as its
 * ISO text (as a JSON event would carry it), a nested value as its JSON text.
 */
export function rawOf(value: unknown): RawValue {
  if (value === undefined || value === null) return null;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

/**
 * Collects the raw cells of chosen columns in row order while a reader goes through a file, so
 * the sections that need the file's own values (model quality, suites) need no second read.
 */
export class RawColumns {
  private readonly columns = new Map<string, RawValue[]>();

  constructor(private readonly keep: ((column: string) => boolean) | undefined) {}

  /** The array a column's cells go to, or null when the column is not kept. */
  open(column: string, rowsSoFar = 0): RawValue[] | null {
    if (this.keep === undefined || !this.keep(column)) return null;
    let values = this.columns.get(column);
    if (values === undefined) {
      values = new Array<RawValue>(rowsSoFar).fill(null);
      this.columns.set(column, values);
    }
    return values;
  }

  /** Pads every kept column with nulls up to `rows` (keys a JSON row lacks). */
  fill(rows: number): void {
    for (const values of this.columns.values()) while (values.length < rows) values.push(null);
  }

  /** The kept columns, or nothing when none were asked for. */
  finish(): { raw?: ReadonlyMap<string, RawValue[]> } {
    return this.keep === undefined ? {} : { raw: this.columns };
  }
}
