import { extname } from "node:path";
import { UserError } from "../errors.js";
import { ColumnBuilder, type ColumnData } from "./columns.js";
import { readCsv } from "./csv.js";
import { readJsonArray, readJsonLines } from "./json.js";
import { readParquet } from "./parquet.js";
import type { RawValue } from "./raw.js";
import type { ReadOptions, Table } from "./table.js";

/** The file formats `report` reads, by the name used with `--input-format`. */
export const inputFormats = ["csv", "tsv", "jsonl", "json", "parquet"] as const;
export type InputFormat = (typeof inputFormats)[number];

/** Picks the format from the file extension (`.csv`, `.tsv`, `.jsonl`/`.ndjson`, `.json`, `.parquet`). */
export function formatOf(path: string): InputFormat {
  const ext = extname(path).toLowerCase();
  switch (ext) {
    case ".csv":
      return "csv";
    case ".tsv":
    case ".tab":
      return "tsv";
    case ".jsonl":
    case ".ndjson":
      return "jsonl";
    case ".json":
      return "json";
    case ".parquet":
    case ".pq":
      return "parquet";
    default:
      throw new UserError(
        `${path}: unknown file type ${JSON.stringify(ext || "(none)")}; expected .csv, .tsv, .jsonl, .ndjson, .json or .parquet (or pass --input-format)`,
      );
  }
}

/** Reads a data file into columns, re-reading CSV columns that turned out to be text. */
export async function readTable(path: string, options: ReadOptions, format = formatOf(path)): Promise<Table> {
  const read = (opts: ReadOptions): Promise<Table> => {
    switch (format) {
      case "csv":
        return readCsv(path, opts);
      case "tsv":
        return readCsv(path, opts, "\t");
      case "jsonl":
        return readJsonLines(path, opts);
      case "json":
        return readJsonArray(path, opts);
      case "parquet":
        return readParquet(path, opts);
    }
  };
  const table = await read(options);
  if (table.rereadAsText.length === 0) return table;
  const raw = table.raw;
  if (raw !== undefined && table.rereadAsText.every((name) => raw.has(name))) {
    // The file's own text of those columns was kept while reading: no second read.
    const kept = new Map(table.rereadAsText.map((name) => [name, raw.get(name) as RawValue[]]));
    return {
      ...table,
      columns: table.columns.map((column) => {
        const values = kept.get(column.name);
        return values === undefined ? column : categoricalOf(column.name, values);
      }),
      rereadAsText: [],
    };
  }
  // Mixed columns: read them again as text so their categories are the file's own strings.
  const again = new Set(table.rereadAsText);
  const retyped = await read({
    hint: (name) => (again.has(name) ? "categorical" : options.hint(name)),
    include: (name) => again.has(name),
    limits: options.limits,
  });
  const replaced = new Map(retyped.columns.map((column) => [column.name, column]));
  return {
    ...table,
    columns: table.columns.map((column) => replaced.get(column.name) ?? column),
    rereadAsText: [],
  };
}

/**
 * A column's raw cells read as categorical, the same column a reader gives with the hint
 * `categorical`: numbers by their JavaScript text, as the JSON readers turn them into categories.
 */
export function categoricalOf(name: string, values: readonly RawValue[]): ColumnData {
  const builder = new ColumnBuilder(name, "categorical");
  for (const value of values) {
    if (value === null) builder.addMissing();
    else if (typeof value === "number") builder.addNumber(value);
    else builder.addText(String(value), "stringify");
  }
  return builder.finish();
}
