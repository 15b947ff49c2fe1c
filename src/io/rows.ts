import { createReadStream } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { showValue, UserError } from "../errors.js";
import { parseDecimal } from "./columns.js";
import { readHeader } from "./csv.js";
import { type CsvRow, fieldText, tokenizeCsv } from "./csv-tokenizer.js";
import { formatOf, type InputFormat } from "./read.js";

/** A cell as the file holds it: text from CSV, typed values from JSON and Parquet. */
export type RawValue = string | number | boolean | null;

function rawOf(value: unknown): RawValue {
  if (value === undefined || value === null) return null;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string" || typeof value === "boolean") return value;
  // A Parquet timestamp: its ISO text, as a JSON event would carry it.
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

function numberOf(value: RawValue): number | null {
  if (typeof value === "number") return value;
  if (typeof value === "string") {
    const parsed = parseDecimal(value);
    return Number.isNaN(parsed) ? null : parsed;
  }
  return null;
}

/**
 * Reads the given numeric columns of a data file row by row (outlier scorers need whole rows,
 * which the column readers do not keep): one array per row, in `columns` order, with null for a
 * missing or non-numeric value. Every column must exist; errors name the file and the column.
 */
export async function readNumericRows(
  path: string,
  columns: readonly string[],
  format: InputFormat = formatOf(path),
): Promise<(number | null)[][]> {
  return (await readRawRows(path, columns, format)).map((row) => row.map(numberOf));
}

/**
 * Reads the given columns of a data file row by row, as the file holds them (CSV text; JSON and
 * Parquet values), with null for an empty or absent value. For the CLI's label and prediction
 * pairs and the outlier rows. Every column must exist; errors name the file and the column.
 */
export async function readRawRows(
  path: string,
  columns: readonly string[],
  format: InputFormat = formatOf(path),
): Promise<RawValue[][]> {
  const rows: RawValue[][] = [];
  const missingColumn = (names: readonly string[]): void => {
    for (const column of columns) {
      if (!names.includes(column))
        throw new UserError(
          `${path}: reference has no column ${showValue(column)} for the feature of that name`,
        );
    }
  };
  if (format === "csv" || format === "tsv") {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, "r");
    } catch (error) {
      throw new UserError(`${path}: cannot open: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    let index: number[] | null = null;
    let width = 0;
    try {
      await tokenizeCsv(
        path,
        handle,
        (row: CsvRow, line: number) => {
          if (index === null) {
            const names = readHeader(path, row, line);
            missingColumn(names);
            index = columns.map((c) => names.indexOf(c));
            width = names.length;
            return;
          }
          if (row.count !== width)
            throw new UserError(`${path}:${line}: expected ${width} fields, found ${row.count}`);
          rows.push(
            index.map((i) =>
              row.starts[i] === row.ends[i] && row.quoted[i] === 0 ? null : fieldText(row, i),
            ),
          );
        },
        { delimiter: format === "tsv" ? "\t" : "," },
      );
    } finally {
      await handle.close();
    }
    if (index === null) throw new UserError(`${path}: empty file: expected a header row`);
    return rows;
  }
  if (format === "parquet") {
    const objects = await parquetReadObjects({
      file: await asyncBufferFromFile(path),
      columns: [...columns],
      compressors,
    });
    if (objects.length > 0) missingColumn(Object.keys(objects[0]));
    for (const object of objects) rows.push(columns.map((c) => rawOf(object[c])));
    return rows;
  }
  const add = (value: unknown, where: string): void => {
    if (value === null || typeof value !== "object" || Array.isArray(value))
      throw new UserError(`${where}: expected a JSON object`);
    rows.push(columns.map((c) => rawOf((value as Record<string, unknown>)[c])));
  };
  if (format === "json") {
    let document: unknown;
    try {
      document = JSON.parse(await readFile(path, "utf8"));
    } catch (error) {
      throw new UserError(`${path}: ${(error as Error).message}`);
    }
    if (!Array.isArray(document)) throw new UserError(`${path}: expected a JSON array of objects`);
    for (const [i, value] of document.entries()) add(value, `${path}: element ${i}`);
    return rows;
  }
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new UserError(`${path}:${line}: invalid JSON: ${(error as Error).message}`);
      }
      add(value, `${path}:${line}`);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      throw new UserError(`${path}: cannot open: ENOENT`);
    throw error;
  }
  return rows;
}
