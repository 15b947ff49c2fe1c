import { showValue, UserError } from "../errors.js";
import { parseDecimal } from "./columns.js";
import { describeColumn, readHeader } from "./csv.js";
import { type CsvRow, fieldText, tokenizeCsv } from "./csv-tokenizer.js";
import { isBlank, parseJson } from "./json.js";
import { splitJsonArray } from "./json-array.js";
import { defaultReadLimits, type ReadLimits } from "./limits.js";
import { splitLines } from "./lines.js";
import { openData } from "./open.js";
import { readParquetColumns } from "./parquet.js";
import { type RawValue, rawOf } from "./raw.js";
import { formatOf, type InputFormat } from "./read.js";

export type { RawValue } from "./raw.js";

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
  limits: ReadLimits = defaultReadLimits,
): Promise<(number | null)[][]> {
  return (await readRawRows(path, columns, format, limits)).map((row) => row.map(numberOf));
}

/**
 * Reads the given columns of a data file row by row, as the file holds them (CSV text; JSON and
 * Parquet values), with null for an empty or absent value. For the CLI's label and prediction
 * pairs and the outlier rows. Every column must exist; errors name the file and the column. The
 * same limits as the column readers apply while reading.
 */
export async function readRawRows(
  path: string,
  columns: readonly string[],
  format: InputFormat = formatOf(path),
  limits: ReadLimits = defaultReadLimits,
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
    const handle = await openData(path);
    let index: number[] | null = null;
    let names: string[] | null = null;
    let width = 0;
    try {
      await tokenizeCsv(
        path,
        handle,
        (row: CsvRow, line: number) => {
          if (index === null) {
            names = readHeader(path, row, line);
            missingColumn(names);
            index = columns.map((c) => (names as string[]).indexOf(c));
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
        {
          delimiter: format === "tsv" ? "\t" : ",",
          limits,
          describeField: (i) => describeColumn(names, i),
        },
      );
    } finally {
      await handle.close();
    }
    if (index === null) throw new UserError(`${path}: empty file: expected a header row`);
    return rows;
  }
  if (format === "parquet") {
    // Column by column, as decoded: a row count is only what the pages hold, never the footer's.
    const values = new Map<string, unknown[]>(columns.map((c) => [c, []]));
    const { rows: count } = await readParquetColumns(
      path,
      (names) => {
        missingColumn(names);
        return columns;
      },
      limits,
      (name, chunk) => {
        const into = values.get(name) as unknown[];
        for (let i = 0; i < chunk.length; i++) into.push(chunk[i]);
      },
    );
    const lists = columns.map((c) => values.get(c) as unknown[]);
    for (let r = 0; r < count; r++) rows.push(lists.map((list) => rawOf(list[r])));
    return rows;
  }
  const add = (value: unknown, where: string): void => {
    if (value === null || typeof value !== "object" || Array.isArray(value))
      throw new UserError(`${where}: expected a JSON object`);
    rows.push(columns.map((c) => rawOf((value as Record<string, unknown>)[c])));
  };
  const handle = await openData(path);
  try {
    if (format === "json") {
      await splitJsonArray(
        path,
        handle,
        (buf, start, end, index, line) => {
          const where = `${path}:${line}: element ${index}`;
          add(
            parseJson(buf, start, end, () => where),
            where,
          );
        },
        { limits },
      );
    } else {
      await splitLines(
        path,
        handle,
        (buf, start, end, line) => {
          if (isBlank(buf, start, end)) return;
          add(
            parseJson(buf, start, end, () => `${path}:${line}`),
            `${path}:${line}`,
          );
        },
        { limits },
      );
    }
  } finally {
    await handle.close();
  }
  return rows;
}
