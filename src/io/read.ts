import { extname } from "node:path";
import { UserError } from "../errors.js";
import { readCsv } from "./csv.js";
import { readJsonArray, readJsonLines } from "./json.js";
import { readParquet } from "./parquet.js";
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
