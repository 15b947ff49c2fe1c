import { isUtf8 } from "node:buffer";
import {
  type AsyncBuffer,
  type FileMetaData,
  parquetMetadataAsync,
  parquetRead,
  parquetSchema,
} from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { showValue, UserError } from "../errors.js";
import { ColumnBuilder } from "./columns.js";
import { defaultReadLimits, fieldTooLong, type ReadLimits, tooManyColumns } from "./limits.js";
import { openData } from "./open.js";
import { RawColumns, type RawValue, rawOf } from "./raw.js";
import type { ReadOptions, Table } from "./table.js";

/**
 * Parquet files through hyparquet (every standard codec through hyparquet-compressors), read as
 * untrusted input: hyparquet trusts the footer, so a file whose metadata claims four billion rows
 * made it allocate until the process died, and one with 20 000 row groups opened the file once
 * per column chunk at the same time (EMFILE, an unhandled rejection). Here one handle serves
 * every read, the metadata is checked against the file before any data is read, row counts come
 * from the values actually decoded, and every failure is a `UserError` naming the file.
 */

/** A Parquet file opened for reading: one handle, its metadata checked, and its top-level columns. */
interface OpenParquet {
  readonly file: AsyncBuffer;
  readonly metadata: FileMetaData;
  readonly names: string[];
  readonly rows: number;
  close(): Promise<void>;
}

const unreadable = (path: string, why: string): UserError =>
  new UserError(`${path}: not a readable Parquet file: ${why}`);

/** Opens a Parquet file and checks its metadata (see `checkMetadata`). */
async function openParquet(path: string, limits: ReadLimits): Promise<OpenParquet> {
  const handle = await openData(path);
  const { size } = await handle.stat();
  // Positional reads on one handle: any number may be in flight without opening the file again.
  const file: AsyncBuffer = {
    byteLength: size,
    async slice(start: number, end = size): Promise<ArrayBuffer> {
      if (!(start >= 0 && end <= size && start <= end))
        throw new Error(`byte range ${start}-${end} outside the file`);
      const bytes = new Uint8Array(end - start);
      let done = 0;
      while (done < bytes.length) {
        const { bytesRead } = await handle.read(bytes, done, bytes.length - done, start + done);
        if (bytesRead === 0) throw new Error("file shorter than it was when opened");
        done += bytesRead;
      }
      return bytes.buffer;
    },
  };
  try {
    let metadata: FileMetaData;
    try {
      metadata = await parquetMetadataAsync(file);
    } catch (error) {
      throw unreadable(path, (error as Error).message);
    }
    const rows = checkMetadata(path, metadata, size, limits);
    let names: string[];
    try {
      names = parquetSchema(metadata).children.map((child) => child.element.name);
    } catch (error) {
      throw unreadable(path, `schema: ${(error as Error).message}`);
    }
    return { file, metadata, names, rows, close: () => handle.close() };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Checks what hyparquet would otherwise trust: the number of schema fields (nested ones count)
 * against `maxColumns`, row counts that are safe integers adding up to the file's, and every
 * column chunk inside the data part of the file with as many values as its row group has rows
 * (for a top-level, non-repeated column). Returns the number of rows.
 */
function checkMetadata(path: string, metadata: FileMetaData, size: number, limits: ReadLimits): number {
  const fields = metadata.schema.length - 1;
  if (fields > limits.maxColumns) throw tooManyColumns(path, undefined, limits, fields);
  const count = (value: unknown, what: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 0) throw unreadable(path, `${what} is ${String(value)}`);
    return n;
  };
  const rows = count(metadata.num_rows, "the number of rows");
  const dataEnd = size - 8 - metadata.metadata_length;
  const flat = new Set(
    metadata.schema
      .slice(1)
      .filter((e) => e.num_children === undefined && e.repetition_type !== "REPEATED")
      .map((e) => e.name),
  );
  let total = 0;
  for (const [g, group] of metadata.row_groups.entries()) {
    const groupRows = count(group.num_rows, `the number of rows of row group ${g}`);
    total += groupRows;
    for (const chunk of group.columns) {
      const meta = chunk.meta_data;
      if (meta === undefined) throw unreadable(path, `a column of row group ${g} has no metadata`);
      const name = meta.path_in_schema.join(".");
      const where = `column ${showValue(name)} of row group ${g}`;
      const start = count(meta.dictionary_page_offset ?? meta.data_page_offset, `the offset of ${where}`);
      const length = count(meta.total_compressed_size, `the size of ${where}`);
      if (start < 4 || start + length > dataEnd)
        throw unreadable(
          path,
          `${where} lies outside the data (bytes ${start}-${start + length} of ${dataEnd})`,
        );
      const values = count(meta.num_values, `the number of values of ${where}`);
      if (meta.path_in_schema.length === 1 && flat.has(name) && values !== groupRows)
        throw unreadable(path, `${where} holds ${values} values for ${groupRows} rows`);
    }
  }
  if (total !== rows) throw unreadable(path, `the row groups hold ${total} rows, the footer says ${rows}`);
  return rows;
}

/**
 * Reads the top-level columns that `select` picks from the file's column names and hands each
 * decoded chunk of values to `onValues`, in row order per column. Strings longer than
 * `maxFieldBytes` are errors; string values that are not valid UTF-8 (decoded with U+FFFD) are
 * counted in `invalidValues`. Every column read must hold exactly the rows the metadata promises.
 */
export async function readParquetColumns(
  path: string,
  select: (names: readonly string[]) => readonly string[],
  limits: ReadLimits,
  onValues: (column: string, values: ArrayLike<unknown>) => void,
): Promise<{ names: string[]; rows: number; bytes: number; invalidValues: number }> {
  const parquet = await openParquet(path, limits);
  let invalidValues = 0;
  const decoder = new TextDecoder();
  const counts = new Map<string, number>();
  try {
    const wanted = select(parquet.names).filter((c) => parquet.names.includes(c));
    for (const name of wanted) counts.set(name, 0);
    if (wanted.length > 0) {
      await parquetRead({
        file: parquet.file,
        metadata: parquet.metadata,
        compressors,
        columns: [...wanted],
        parsers: {
          // Every string and byte array passes here (a dictionary's entries once).
          stringFromBytes(bytes: Uint8Array | undefined) {
            if (bytes === undefined) return undefined;
            if (bytes.length > limits.maxFieldBytes)
              throw fieldTooLong(path, undefined, "a string value", bytes.length, limits);
            if (!isUtf8(bytes)) invalidValues++;
            return decoder.decode(bytes);
          },
        },
        onChunk: ({ columnName, columnData }) => {
          const seen = counts.get(columnName);
          if (seen === undefined) return;
          counts.set(columnName, seen + columnData.length);
          if (seen + columnData.length > parquet.rows)
            throw unreadable(
              path,
              `column ${showValue(columnName)} holds more values than the ${parquet.rows} rows`,
            );
          onValues(columnName, columnData as ArrayLike<unknown>);
        },
      });
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`${path}: reading Parquet: ${(error as Error).message}`);
  } finally {
    await parquet.close();
  }
  for (const [name, n] of counts) {
    if (n !== parquet.rows)
      throw unreadable(
        path,
        `column ${showValue(name)} holds ${n} values, the metadata says ${parquet.rows} rows`,
      );
  }
  return { names: parquet.names, rows: parquet.rows, bytes: parquet.file.byteLength, invalidValues };
}

/**
 * Reads a Parquet file into columns. Integers (including INT64) and floats are numeric; strings
 * and booleans categorical; dates and timestamps are skipped like ISO-8601 text; structs and
 * lists are skipped as nested values.
 */
export async function readParquet(path: string, options: ReadOptions): Promise<Table> {
  const builders = new Map<string, ColumnBuilder>();
  const timestamps = new Set<string>();
  const raw = new RawColumns(options.keep);
  const kept = new Map<string, RawValue[]>();
  const select = (names: readonly string[]): string[] => {
    for (const name of names) {
      if (options.include(name))
        builders.set(name, new ColumnBuilder(name, options.hint(name), options.rowOrder));
      const into = raw.open(name);
      if (into !== null) kept.set(name, into);
    }
    return names.filter((name) => builders.has(name));
  };
  const onValues = (name: string, values: ArrayLike<unknown>): void => {
    const into = kept.get(name);
    if (into !== undefined) for (let i = 0; i < values.length; i++) into.push(rawOf(values[i]));
    const builder = builders.get(name);
    if (builder === undefined) return;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value === null || value === undefined) builder.addMissing();
      else if (typeof value === "number") {
        if (Number.isNaN(value)) builder.addMissing();
        else builder.addNumber(value);
      } else if (typeof value === "bigint") builder.addNumber(Number(value));
      else if (typeof value === "string" || typeof value === "boolean") {
        if (builder.hint === "numeric") {
          throw new UserError(
            `${path}: column ${showValue(name)}: value ${showValue(value)} is not a number (remove --numeric to read it as categorical)`,
          );
        }
        builder.addText(String(value), "stringify");
      } else if (value instanceof Date) timestamps.add(name);
      else builder.addNested();
    }
  };
  const limits = options.limits ?? defaultReadLimits;
  const { names, rows, bytes, invalidValues } = await readParquetColumns(path, select, limits, onValues);
  // Columns kept but not compared come in their own pass over their own column chunks (Parquet
  // is columnar: no byte is decoded twice), so that invalid UTF-8 is counted, as before, only in
  // the compared columns.
  const keptOnly = [...kept.keys()].filter((name) => !builders.has(name));
  if (keptOnly.length > 0) await readParquetColumns(path, () => keptOnly, limits, onValues);
  options.onProgress?.(bytes);
  const columns = [...builders.values()].map((builder) => {
    const data = builder.finish();
    return timestamps.has(builder.name)
      ? { name: builder.name, kind: "skipped" as const, reason: "timestamps", missing: data.missing }
      : data;
  });
  return {
    path,
    names,
    rows,
    columns,
    rereadAsText: [],
    ...raw.finish(),
    ...(invalidValues > 0 ? { invalidUtf8: { records: invalidValues } } : {}),
  };
}
