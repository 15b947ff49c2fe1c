import type { ColumnData, KindHint } from "./columns.js";
import type { ReadLimits } from "./limits.js";
import type { RawValue } from "./raw.js";
import type { InvalidUtf8 } from "./utf8.js";

/** What a reader needs to know besides the path. */
export interface ReadOptions {
  /** The kind each column is read as; `auto` infers it from the values. */
  readonly hint: (column: string) => KindHint;
  /** Whether a column is read at all (others are parsed for validity but not kept). */
  readonly include: (column: string) => boolean;
  /** Called as bytes are consumed, with the number of new bytes. */
  readonly onProgress?: (bytes: number) => void;
  /** Size limits enforced while reading (default `defaultReadLimits`). */
  readonly limits?: ReadLimits;
  /** Columns whose raw cells are kept in row order (`Table.raw`), included or not. */
  readonly keep?: (column: string) => boolean;
  /** Whether numeric columns also keep their values in row order (`ColumnData.rows`). */
  readonly rowOrder?: boolean;
}

/** A data file read into columns. */
export interface Table {
  readonly path: string;
  /** Every column name in the file, in file order. */
  readonly names: readonly string[];
  readonly rows: number;
  /** The included columns. */
  readonly columns: readonly ColumnData[];
  /**
   * Auto columns that turned out to hold text after numbers, in a format that keeps no typed
   * numbers (CSV): read the file again with these forced categorical to get their original text.
   */
  readonly rereadAsText: readonly string[];
  /** Records that were not valid UTF-8 (read with U+FFFD), when there were any. */
  readonly invalidUtf8?: InvalidUtf8;
  /** The raw cells of the columns `keep` chose, in row order, null where missing. */
  readonly raw?: ReadonlyMap<string, RawValue[]>;
}
