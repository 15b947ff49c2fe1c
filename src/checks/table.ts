import { ExpectationError, type StreamContext, type TableView } from "./types.js";

/**
 * A window as expectations see it: column-oriented values in row order, `null` for a row that
 * lacks the column. Built from GE-style column data (`{col: [..]}`) or from the raw buffers a
 * checks monitor keeps per window.
 */
export class ColumnTable implements TableView {
  readonly columns: readonly string[];
  private readonly data: ReadonlyMap<string, readonly unknown[]>;

  /**
   * @param rows the number of rows
   * @param data column name → values (each `rows` long)
   * @param columns the table's columns in order (default: the keys of `data`); a column listed in
   *   `data` but not here can be read but is not part of the table's column set
   * @param strict when true, reading an unknown column is an error (a file has a fixed header);
   *   when false it reads as all-missing (a stream's event may simply not carry the field yet)
   * @param context what a stream knows beyond the rows (times, fields, history)
   */
  constructor(
    readonly rows: number,
    data: ReadonlyMap<string, readonly unknown[]> | Readonly<Record<string, readonly unknown[]>>,
    columns?: readonly string[],
    private readonly strict = true,
    readonly context?: StreamContext,
  ) {
    this.data = data instanceof Map ? data : new Map(Object.entries(data));
    this.columns = columns ?? [...this.data.keys()];
  }

  /** Builds a table from GE's column-oriented data (`{col: [v0, v1, ...]}`). */
  static fromColumns(data: Readonly<Record<string, readonly unknown[]>>): ColumnTable {
    const lengths = new Set(Object.values(data).map((values) => values.length));
    if (lengths.size > 1) throw new RangeError("columns differ in length");
    const rows = lengths.size === 0 ? 0 : [...lengths][0];
    const normalised: Record<string, unknown[]> = {};
    for (const [name, values] of Object.entries(data)) normalised[name] = values.map((v) => v ?? null);
    return new ColumnTable(rows, normalised);
  }

  /** Builds a table from row objects (events): each top-level field is a column, in first-seen order. */
  static fromRows(rows: readonly Readonly<Record<string, unknown>>[]): ColumnTable {
    const data = new Map<string, unknown[]>();
    rows.forEach((row, i) => {
      for (const [key, value] of Object.entries(row)) {
        let values = data.get(key);
        if (values === undefined) {
          values = new Array(rows.length).fill(null);
          data.set(key, values);
        }
        values[i] = value ?? null;
      }
    });
    return new ColumnTable(rows.length, data, undefined, false);
  }

  has(name: string): boolean {
    return this.data.has(name);
  }

  column(name: string): readonly unknown[] {
    const values = this.data.get(name);
    if (values !== undefined) return values;
    if (this.strict) throw new ExpectationError(`column ${JSON.stringify(name)} is not in the table`);
    const missing = new Array(this.rows).fill(null);
    (this.data as Map<string, readonly unknown[]>).set(name, missing);
    return missing;
  }
}
